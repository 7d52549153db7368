-- Net Promoter Score: 100 x (promoters - detractors) / answers. Skipped questions count nowhere.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
    where survey_type = 'nps'
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        channel,
        touchpoint,
        segment,
        value_tier,
        case nps_category
            when 'promoter' then 1
            when 'detractor' then -1
            else 0
        end as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'nps', 'events', unit='score',
    dimensions=['channel', 'touchpoint', 'segment', 'value_tier'],
    multiplier=100, ci='normal'
) }}
