-- Valid employee answers with their engagement points: 20 x ceil(score / 2), i.e. 9-10 -> 100,
-- 7-8 -> 80, 5-6 -> 60, 3-4 -> 40, 1-2 -> 20, 0 -> 0 (kpis.md, employee_engagement).
-- Skipped questions (null score) keep null points and count nowhere.
with

valid_answers as (
    select * from {{ ref('int_employee_answers_checked') }}
    where quarantine_reason is null
),

scored as (
    select
        response_id,
        question_id,
        survey_id,
        employee_id,
        department,
        answered_at,
        score,
        scale_min,
        scale_max,
        20 * ceil(score / 2.0) as engagement_points
    from valid_answers
)

select * from scored
