-- One row per valid customer survey answer with its scores, for BI (no e-mail, no free-text
-- comment: both can identify the respondent). Customers with an erasure request lose the link.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
),

erased_customers as (
    select distinct customer_id from {{ ref('stg_privacy__erasure_requests') }}
),

final as (
    select
        answers.response_id,
        answers.question_id,
        answers.survey_id,
        answers.survey_type,
        answers.pillar,
        case when erased_customers.customer_id is null then answers.customer_id end
            as customer_id,
        answers.attribution_rule,
        answers.answered_at,
        cast({{ to_reporting_time('answers.answered_at') }} as date) as answered_date,
        answers.touchpoint,
        answers.channel,
        answers.segment,
        answers.value_tier,
        answers.score,
        answers.scale_min,
        answers.scale_max,
        answers.score_0_100,
        answers.nps_category,
        answers.is_satisfied
    from answers
    left join erased_customers
        on answers.customer_id = erased_customers.customer_id
)

select * from final
