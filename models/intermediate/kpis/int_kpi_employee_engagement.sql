-- Employee engagement: mean points per answer, 20 x ceil(score / 2) (int_employee_answers_scored).
with

answers as (
    select * from {{ ref('int_employee_answers_scored') }}
),

events as (
    select
        {{ to_reporting_time('answered_at') }} as period_at,
        department,
        coalesce(engagement_points, 0) as kpi_numerator,
        {{ kpi_flag('score is not null') }} as kpi_denominator,
        {{ kpi_flag('score is not null') }} as kpi_sample
    from answers
)

{{ kpi_facts(
    'employee_engagement', 'events', unit='points', dimensions=['department'],
    ci='normal'
) }}
