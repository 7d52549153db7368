-- Customer effort score: mean answer on the survey's own scale (higher = easier).
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where survey_type = 'ces'
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        channel,
        touchpoint,
        coalesce(score, 0) as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'ces', 'events', unit='score',
    dimensions=['channel', 'touchpoint'],
    multiplier=1, ci='normal'
) }}
