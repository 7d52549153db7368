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

-- The scale each score KPI is published on (KPI registry): answers of surveys on different
-- scales are rescaled to it before anything averages them.
kpi_scales as (
    select
        kpi_name,
        cast(scale_min as {{ cx360_type_double() }}) as kpi_scale_min,
        cast(scale_max as {{ cx360_type_double() }}) as kpi_scale_max
    from {{ ref('kpi_registry') }}
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
        -- the tier the customer had in the answer's month (point in time); null when the
        -- answer has no customer
        case
            when customer_value.customer_id is not null
                then coalesce(monthly_tiers.value_tier, {{ value_tier_unranked() }})
        end as value_tier,
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
        end as score_0_100,
        -- the answer rescaled linearly from its survey's scale to its KPI's registry scale
        case
            when answers.score is null or answers.scale_max = answers.scale_min then null
            else
                kpi_scales.kpi_scale_min
                + (kpi_scales.kpi_scale_max - kpi_scales.kpi_scale_min)
                * (answers.score - answers.scale_min)
                / (answers.scale_max - answers.scale_min)
        end as score_on_kpi_scale
    from answers
    left join customer_value
        on answers.customer_id = customer_value.customer_id
    left join {{ ref('int_customer_value_tiers_monthly') }} as monthly_tiers
        on
            answers.customer_id = monthly_tiers.customer_id
            and {{ kpi_period_start('month', to_reporting_time('answers.answered_at')) }}
            = monthly_tiers.month_start
    left join kpi_scales
        on
            kpi_scales.kpi_name = case answers.survey_type
                when 'ces' then 'ces'
                when 'loyalty' then 'loyalty_index'
                when 'pillar' then 'pillar_score'
            end
)

select * from scored
