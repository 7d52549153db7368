-- CX pillar score: mean pillar answer rescaled to 0-100, per pillar.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where survey_type = 'pillar'
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        pillar,
        coalesce(score_0_100, 0) as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'pillar_score', 'events', unit='points',
    dimensions=['pillar'],
    multiplier=1, ci='normal'
) }}
