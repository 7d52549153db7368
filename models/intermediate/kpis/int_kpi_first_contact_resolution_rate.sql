-- First-contact resolution: 100 x resolved tickets resolved at first contact (rule:
-- int_tickets_with_durations) / tickets resolved in the period.
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
        {{ kpi_flag('is_first_contact_resolution') }} as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from tickets
)

{{ kpi_facts(
    'first_contact_resolution_rate', 'events', unit='percent',
    dimensions=['channel', 'category'],
    multiplier=100, ci='wilson'
) }}
