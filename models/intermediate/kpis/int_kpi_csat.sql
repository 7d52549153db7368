-- CSAT: 100 x satisfied answers (top box, var csat_top_box_points) / answers.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where survey_type = 'csat'
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        channel,
        touchpoint,
        segment,
        {{ kpi_flag('is_satisfied') }} as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'csat', 'events', unit='percent',
    dimensions=['channel', 'touchpoint', 'segment'],
    multiplier=100, ci='wilson'
) }}
