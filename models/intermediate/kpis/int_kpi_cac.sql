-- Customer acquisition cost: marketing + sales spend of the period / customers acquired in it
-- (acquired = first contract start or first purchase, int_customer_value.acquired_at). By
-- acquisition_channel: that channel's spend / the customers acquired through it.
-- Only periods with spend data count: a period without any spend row has no CAC (no row, not 0),
-- and grain all is the spend-covered window only: the customers acquired in the months with
-- spend data, against that spend. A channel without spend in a period that has spend data
-- spent nothing there: its CAC is 0, a measurement.
{%- set grains = var('kpi_period_grains') %}
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
        cast(spend_date as {{ dbt.type_timestamp() }}) as spend_at,
        amount_reporting as kpi_numerator,
        0 as kpi_denominator,
        0 as kpi_sample
    from spend
),

acquisition_events as (
    select
        {{ to_reporting_time('acquired_at') }} as period_at,
        acquisition_channel,
        -- the KPI's data starts with its spend: an acquisition does not start it
        cast(null as {{ dbt.type_timestamp() }}) as spend_at,
        0 as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customers
),

{% for grain in grains %}
{#- grain all: the months with spend data #}
{%- set coverage_grain = 'month' if grain == 'all' else grain %}
covered_{{ grain }} as (
    select distinct {{ kpi_period_start(coverage_grain, 'period_at') }} as covered_start
    from spend_events
),

events_{{ grain }} as (
    select * from spend_events
    union all
    select acquisition_events.*
    from acquisition_events
    inner join covered_{{ grain }}
        on
            {{ kpi_period_start(coverage_grain, 'acquisition_events.period_at') }}
            = covered_{{ grain }}.covered_start
){% if not loop.last %},{% endif %}
{% endfor %}

{% for grain in grains %}
{{ kpi_facts(
    'cac', 'events_' ~ grain, unit='currency', dimensions=['acquisition_channel'],
    grains=[grain], data_start_at='spend_at'
) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
