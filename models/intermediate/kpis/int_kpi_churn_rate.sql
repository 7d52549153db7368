-- Churn rate, month M: S = customers active on M's first day, L = those of S not active on the
-- first day of M + 1 (a contract whose last covered day is M's last day churns in M);
-- value = 100 x L / S. Per month only (kpis.md).
with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

events as (
    select
        month_start as period_at,
        segment,
        value_tier,
        {{ kpi_flag('churned_in_month') }} as kpi_numerator,
        {{ kpi_flag('active_at_month_start') }} as kpi_denominator,
        {{ kpi_flag('active_at_month_start') }} as kpi_sample
    from customer_months
)

{{ kpi_facts(
    'churn_rate', 'events', unit='percent',
    dimensions=['segment', 'value_tier'], grains=['month'], multiplier=100, ci='wilson'
) }}
