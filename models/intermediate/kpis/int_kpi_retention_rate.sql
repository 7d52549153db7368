-- Retention rate, month M: 100 x (S - L) / S, with S and L as for churn_rate. Per month only.
with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

events as (
    select
        month_start as period_at,
        segment,
        value_tier,
        {{ kpi_flag('active_at_month_start and not churned_in_month') }} as kpi_numerator,
        {{ kpi_flag('active_at_month_start') }} as kpi_denominator,
        {{ kpi_flag('active_at_month_start') }} as kpi_sample
    from customer_months
)

{{ kpi_facts(
    'retention_rate', 'events', unit='percent',
    dimensions=['segment', 'value_tier'], grains=['month'], multiplier=100, ci='wilson'
) }}
