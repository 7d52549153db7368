{#-
    Customer survey answers joined to their question's definition, each with a quarantine
    verdict. Rows with a quarantine_reason go to audit.quarantine; downstream models keep
    `where quarantine_reason is null`.

      unknown_survey_question  (survey_id, question_id) is not in survey_definitions
      score_out_of_range       the score lies outside [scale_min, scale_max]
      null                     valid; a null score is a skipped question, which is valid
-#}

with

answers as (

    select * from {{ ref('stg_surveys__responses') }}

),

definitions as (

    select * from {{ ref('stg_surveys__definitions') }}

),

joined as (

    select
        answers.response_id,
        answers.question_id,
        answers.survey_id,
        answers.customer_id,
        answers.respondent_email,
        answers.answered_at,
        answers.touchpoint,
        answers.channel,
        answers.score,
        answers.comment,
        definitions.survey_type,
        definitions.scale_min,
        definitions.scale_max,
        definitions.pillar,
        answers._batch_name,
        answers._source_row,
        definitions.survey_id is not null as is_known_question

    from answers
    left join definitions
        on
            answers.survey_id = definitions.survey_id
            and answers.question_id = definitions.question_id

),

checked as (

    select
        response_id,
        question_id,
        survey_id,
        customer_id,
        respondent_email,
        answered_at,
        touchpoint,
        channel,
        score,
        comment,
        survey_type,
        scale_min,
        scale_max,
        pillar,
        case
            when not is_known_question then 'unknown_survey_question'
            when score < scale_min or score > scale_max then 'score_out_of_range'
        end as quarantine_reason,
        case
            when not is_known_question then 'question_id'
            when score < scale_min or score > scale_max then 'score'
        end as quarantine_column,
        case
            when not is_known_question
                then {{ dbt.concat([
                    "'no survey_definitions row for survey '", 'survey_id',
                    "' question '", 'question_id',
                ]) }}
            when score < scale_min or score > scale_max
                then {{ dbt.concat([
                    "'score '", dbt.cast('score', dbt.type_string()),
                    "' outside ['", dbt.cast('scale_min', dbt.type_string()),
                    "', '", dbt.cast('scale_max', dbt.type_string()), "']'",
                ]) }}
        end as quarantine_detail,
        _batch_name,
        _source_row

    from joined

)

select * from checked
