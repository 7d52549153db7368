-- Customer effort score: mean answer rescaled from its survey's scale to the KPI's registry
-- scale (1-10; higher = easier), int_survey_answers_scored.score_on_kpi_scale. Answers of a
-- 1-7 and a 1-10 survey are never averaged raw.
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
        coalesce(score_on_kpi_scale, 0) as kpi_numerator,
        {{ kpi_flag('score_on_kpi_scale is not null') }} as kpi_denominator,
        {{ kpi_flag('score_on_kpi_scale is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'ces', 'events', unit='score',
    dimensions=['channel', 'touchpoint'],
    multiplier=1, ci='normal'
) }}
