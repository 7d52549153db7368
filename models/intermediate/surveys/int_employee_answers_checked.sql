-- Employee survey answers joined to their survey definition, with the same checks as the
-- customer answers: a reason code when the question is unknown or the score is off its scale.
-- Rows with a reason go to audit.quarantine; int_employee_answers_scored keeps the others.
with

answers as (
    select * from {{ ref('stg_surveys__employee_responses') }}
),

definitions as (
    select * from {{ ref('stg_surveys__definitions') }}
),

checked as (
    select
        answers.response_id,
        answers.question_id,
        answers.survey_id,
        answers.employee_id,
        answers.department,
        answers.answered_at,
        answers.score,
        definitions.survey_type,
        definitions.scale_min,
        definitions.scale_max,
        answers._batch_name,
        answers._source_row,
        case
            when definitions.survey_id is null then 'unknown_survey_question'
            when
                answers.score < definitions.scale_min
                or answers.score > definitions.scale_max then 'score_out_of_range'
        end as quarantine_reason
    from answers
    left join definitions
        on
            answers.survey_id = definitions.survey_id
            and answers.question_id = definitions.question_id
)

select * from checked
