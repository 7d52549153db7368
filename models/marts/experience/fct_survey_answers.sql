{{ config(
    materialized=cx360_fact_materialization(),
    unique_key=['response_id', 'question_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ cx360_delete_vanished_rows(['response_id', 'question_id'], 'int_survey_answers_scored', erasable=true) }}",
) }}
-- Incremental: writes only new and changed rows, deletes vanished ones; identical to a
-- full refresh (macros/incremental.sql, tests/test_reliability_incremental.py).
-- One row per valid customer survey answer with its scores, for BI (no e-mail, no free-text
-- comment: both can identify the respondent). Rows of customers with an erasure
-- request are not published: staging anonymises or drops them (var erasure_policy,
-- macros/erasure.sql) and this model drops the rows of their surrogate and requested ids.
with

answers as (
    select * from {{ ref('int_survey_answers_scored') }}
),

erased_customers as (
    {{ cx360_erased_customer_keys() }}
),

final as (
    select
        answers.response_id,
        answers.question_id,
        answers.survey_id,
        answers.survey_type,
        answers.pillar,
        answers.customer_id,
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
        answers.is_satisfied,
        -- last: a column added to an incremental fact goes at its end
        answers.score_on_kpi_scale
    from answers
    left join erased_customers
        on answers.customer_id = erased_customers.customer_id
    where erased_customers.customer_id is null
)

-- new and changed rows only; their columns are the CTE's (AM04 cannot see through this)
select * from ({{ cx360_changed_rows('final') }}) as changed_rows  -- noqa: AM04
