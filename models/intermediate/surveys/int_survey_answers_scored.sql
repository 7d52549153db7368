-- Valid customer survey answers (attributed to a CRM customer where possible) with the
-- per-answer scores every survey KPI is built from. Skipped questions (null score) stay, with
-- null scores, so that a period where every answer was skipped shows up with a null KPI.
with

answers as (
    select * from {{ ref('int_survey_answers_attributed') }}
),

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

scored as (
    select
        answers.response_id,
        answers.question_id,
        answers.survey_id,
        answers.survey_type,
        answers.pillar,
        answers.customer_id,
        answers.attribution_rule,
        answers.answered_at,
        answers.touchpoint,
        answers.channel,
        answers.score,
        answers.scale_min,
        answers.scale_max,
        customer_value.segment,
        customer_value.value_tier,
        case
            when answers.survey_type != 'nps' or answers.score is null then null
            when answers.score >= {{ var('nps_promoter_min_score') }} then 'promoter'
            when answers.score >= {{ var('nps_passive_min_score') }} then 'passive'
            else 'detractor'
        end as nps_category,
        case
            when answers.survey_type != 'csat' or answers.score is null then null
            else answers.score >= answers.scale_max - ({{ var('csat_top_box_points') }} - 1)
        end as is_satisfied,
        case
            when answers.score is null or answers.scale_max = answers.scale_min then null
            else
                100.0 * (answers.score - answers.scale_min)
                / (answers.scale_max - answers.scale_min)
        end as score_0_100
    from answers
    left join customer_value
        on answers.customer_id = customer_value.customer_id
)

select * from scored
