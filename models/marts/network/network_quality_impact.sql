{#-
    Network quality impact by area (postal_code of the customers' home): network incidents of
    the 30 days up to the as-of day (severity-weighted hours, see int_customer_network_exposure)
    against what the area's customers say, compared with everybody outside the area.

    NPS and CSAT use the answers of the last 12 months of customers living in the area (stitched
    answers, kpis.md formulas and the NPS / CSAT threshold vars). rest_* = the same over all
    other customers, so nps_gap < 0 means the area scores below the rest.
    exposure_rank 1 = the most exposed area.
-#}

with

as_of as (

    select
        as_of_end,
        {{ dbt.dateadd('month', -12, 'as_of_end') }} as window_12m_start

    from {{ ref('int_as_of') }}

),

exposure as (

    select * from {{ ref('int_customer_network_exposure') }}
    where postal_code is not null

),

customer_status as (

    -- customer_360's is_active, read where it is made: an erased customer counts here as an
    -- anonymous contribution under var erasure_policy anonymise (macros/erasure.sql)
    select
        customer_id,
        is_active

    from {{ ref('int_customer_lifecycle') }}

),

answers as (

    select
        exposure.postal_code,
        answers.survey_type,
        case
            when
                answers.survey_type = 'nps'
                and answers.score >= {{ var('nps_promoter_min_score') }}
                then 1
            when answers.survey_type = 'nps' and answers.score < {{ var('nps_passive_min_score') }}
                then -1
            else 0
        end as nps_points,
        case
            when
                answers.survey_type = 'csat'
                and answers.score > answers.scale_max - {{ var('csat_top_box_points') }}
                then 1
            else 0
        end as is_satisfied

    from {{ ref('int_survey_answers_attributed') }} as answers
    cross join as_of
    inner join exposure
        on answers.customer_id = exposure.customer_id
    where
        answers.score is not null
        and answers.survey_type in ('nps', 'csat')
        and answers.answered_at >= as_of.window_12m_start
        and answers.answered_at < as_of.as_of_end

),

area_answers as (

    select
        postal_code,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_answers,
        sum(case when survey_type = 'nps' then nps_points else 0 end) as nps_net_promoters,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_answers,
        sum(is_satisfied) as csat_satisfied

    from answers
    group by postal_code

),

area_customers as (

    select
        exposure.postal_code,
        count(*) as customers,
        sum(case when customer_status.is_active then 1 else 0 end) as active_customers,
        max(exposure.incidents_30d) as incidents_30d,
        max(exposure.qos_exposure_30d) as qos_exposure_30d

    from exposure
    inner join customer_status
        on exposure.customer_id = customer_status.customer_id
    group by exposure.postal_code

),

areas as (

    select
        area_customers.postal_code,
        area_customers.customers,
        area_customers.active_customers,
        area_customers.incidents_30d,
        area_customers.qos_exposure_30d,
        coalesce(area_answers.nps_answers, 0) as nps_answers,
        coalesce(area_answers.nps_net_promoters, 0) as nps_net_promoters,
        coalesce(area_answers.csat_answers, 0) as csat_answers,
        coalesce(area_answers.csat_satisfied, 0) as csat_satisfied,
        sum(coalesce(area_answers.nps_answers, 0)) over () as all_nps_answers,
        sum(coalesce(area_answers.nps_net_promoters, 0)) over () as all_nps_net_promoters,
        sum(coalesce(area_answers.csat_answers, 0)) over () as all_csat_answers,
        sum(coalesce(area_answers.csat_satisfied, 0)) over () as all_csat_satisfied

    from area_customers
    left join area_answers
        on area_customers.postal_code = area_answers.postal_code

),

scored as (

    select
        postal_code,
        customers,
        active_customers,
        incidents_30d,
        qos_exposure_30d,
        nps_answers,
        csat_answers,
        case when nps_answers > 0 then 100.0 * nps_net_promoters / nps_answers end as nps,
        case when csat_answers > 0 then 100.0 * csat_satisfied / csat_answers end as csat,
        case
            when all_nps_answers - nps_answers > 0
                then
                    100.0 * (all_nps_net_promoters - nps_net_promoters)
                    / (all_nps_answers - nps_answers)
        end as rest_nps,
        case
            when all_csat_answers - csat_answers > 0
                then
                    100.0 * (all_csat_satisfied - csat_satisfied)
                    / (all_csat_answers - csat_answers)
        end as rest_csat

    from areas

),

network_quality_impact as (

    select
        cast(postal_code as {{ dbt.type_string() }}) as postal_code,
        cast(
            rank() over (order by qos_exposure_30d desc, incidents_30d desc) as integer
        ) as exposure_rank,
        cast(customers as integer) as customers,
        cast(active_customers as integer) as active_customers,
        cast(incidents_30d as integer) as incidents_30d,
        cast(qos_exposure_30d as numeric(18, 4)) as qos_exposure_30d,
        cast(qos_exposure_30d > 0 as boolean) as is_exposed,
        cast(nps_answers as integer) as nps_answers,
        cast(nps as numeric(18, 4)) as nps,
        cast(rest_nps as numeric(18, 4)) as rest_nps,
        cast(nps - rest_nps as numeric(18, 4)) as nps_gap,
        cast(csat_answers as integer) as csat_answers,
        cast(csat as numeric(18, 4)) as csat,
        cast(rest_csat as numeric(18, 4)) as rest_csat,
        cast(csat - rest_csat as numeric(18, 4)) as csat_gap

    from scored

)

select * from network_quality_impact
