-- Valid survey answers (int_survey_answers_checked without quarantined rows) with customer_id
-- replaced by the stitched CRM customer; answers with an unknown customer_id are quarantined
-- (audit.quarantine_unknown_customer) and left out here.
with

answers as (

    select * from {{ ref('int_survey_answers_checked') }}
    where quarantine_reason is null

),

stitched as (

    select * from {{ ref('int_touchpoints_stitched') }}
    where source = 'survey_answers' and attribution_rule != 'unknown_customer'

),

attributed as (

    select
        answers.response_id,
        answers.survey_id,
        answers.question_id,
        stitched.customer_id,
        stitched.attribution_rule,
        answers.customer_id as source_customer_id,
        answers.respondent_email,
        answers.answered_at,
        answers.touchpoint,
        answers.channel,
        answers.score,
        answers.comment,
        answers.survey_type,
        answers.scale_min,
        answers.scale_max,
        answers.pillar,
        answers._batch_name,
        answers._source_row

    from answers
    inner join stitched
        on
            {{ dbt.concat(['answers.response_id', "'|'", 'answers.question_id']) }}
            = stitched.record_key

)

select * from attributed
