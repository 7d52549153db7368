-- Churn rate, month M: S = customers active on M's first day, L = those of S not active on M's
-- last day; value = 100 x L / S. Per month only (kpis.md).
with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

events as (
    select
        month_start as period_at,
        segment,
        value_tier,
        {{ kpi_flag('active_at_month_start and not active_at_month_end') }} as kpi_numerator,
        {{ kpi_flag('active_at_month_start') }} as kpi_denominator,
        {{ kpi_flag('active_at_month_start') }} as kpi_sample
    from customer_months
)

{{ kpi_facts(
    'churn_rate', 'events', unit='percent',
    dimensions=['segment', 'value_tier'], grains=['month'], multiplier=100, ci='wilson'
) }}
