-- Loyalty index: mean loyalty answer rescaled to 0-100.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where survey_type = 'loyalty'
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        segment,
        coalesce(score_0_100, 0) as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'loyalty_index', 'events', unit='points',
    dimensions=['segment'],
    multiplier=1, ci='normal'
) }}
