-- Customer acquisition cost: marketing + sales spend of the period / customers acquired in it
-- (acquired = first contract start or first purchase, int_customer_value.acquired_at). By
-- acquisition_channel: that channel's spend / the customers acquired through it.
with

spend as (
    select * from {{ ref('int_marketing_spend_converted') }}
    where quarantine_reason is null
),

customers as (
    select * from {{ ref('int_customer_value') }}
    where acquired_at is not null
),

spend_events as (
    select
        cast(spend_date as {{ dbt.type_timestamp() }}) as period_at,
        channel as acquisition_channel,
        amount_reporting as kpi_numerator,
        0 as kpi_denominator,
        0 as kpi_sample
    from spend
),

acquisition_events as (
    select
        {{ to_reporting_time('acquired_at') }} as period_at,
        acquisition_channel,
        0 as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customers
),

events as (
    select * from spend_events
    union all
    select * from acquisition_events
)

{{ kpi_facts('cac', 'events', unit='currency', dimensions=['acquisition_channel']) }}
