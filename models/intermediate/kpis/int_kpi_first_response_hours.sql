-- Mean hours to the first response, over tickets with a first response, by the period they were
-- opened.
with

tickets as (
    select * from {{ ref('int_tickets_with_durations') }}
    where first_response_at is not null
),

events as (
    select
        {{ to_reporting_time('opened_at') }} as period_at,
        channel,
        category,
        priority,
        first_response_hours as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from tickets
)

{{ kpi_facts(
    'first_response_hours', 'events', unit='hours',
    dimensions=['channel', 'category', 'priority'],
    multiplier=1, ci='normal'
) }}
