-- Referral rate: 100 x completed purchases (orders) with a referral_id / all completed purchases.
with

purchases as (
    select * from {{ ref('int_revenue_lines') }}
    where source = 'order'
),

events as (
    select
        {{ to_reporting_time('revenue_at') }} as period_at,
        channel,
        {{ kpi_flag('referral_id is not null') }} as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from purchases
)

{{ kpi_facts(
    'referral_rate', 'events', unit='percent', dimensions=['channel'], multiplier=100,
    ci='wilson'
) }}
