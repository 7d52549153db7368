-- Mean time to resolution: sum of (resolved_at - opened_at) in hours / tickets resolved in the
-- period.
with

tickets as (
    select * from {{ ref('int_tickets_with_durations') }}
    where is_resolved
),

events as (
    select
        {{ to_reporting_time('resolved_at') }} as period_at,
        channel,
        category,
        priority,
        resolution_hours as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from tickets
)

{{ kpi_facts(
    'mttr_hours', 'events', unit='hours',
    dimensions=['channel', 'category', 'priority'],
    multiplier=1, ci='normal'
) }}
