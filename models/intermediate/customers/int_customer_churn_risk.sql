{#-
    Churn risk of each active customer, 0-100, from the factors and weights of seed
    churn_risk_weights (each factor's threshold is in the seed too):

      detractor              last NPS answer is a detractor and at most <threshold> days old
      recent_complaint       a complaint opened less than <threshold> days before the as-of end
      open_ticket            at least <threshold> tickets open on the as-of day
      network_exposure       qos_exposure_30d >= <threshold> severity-weighted hours
      no_recent_interaction  no interaction in the last <threshold> days (or never)
      renewal_due_soon       next_renewal_date at most <threshold> days after the as-of day

    churn_risk_score = round(100 * sum of the weights of the factors present / sum of all
    weights); churn_risk_level = the level of seed churn_risk_levels with the highest min_score
    not above the score; top_risk_factor = the present factor with the largest weight.
    Customers who are not active (prospects, churned) get no score: there is nothing to retain.
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

status as (

    select
        customer_id,
        is_active,
        next_renewal_date

    from {{ ref('int_customer_status') }}

),

experience as (

    select
        customer_id,
        nps_category,
        last_nps_at,
        open_tickets,
        last_complaint_at,
        last_interaction_at

    from {{ ref('int_customer_experience') }}

),

exposure as (

    select
        customer_id,
        qos_exposure_30d

    from {{ ref('int_customer_network_exposure') }}

),

weights as (

    select
        risk_factor,
        weight,
        threshold,
        sum(weight) over () as total_weight

    from {{ ref('churn_risk_weights') }}

),

active_customers as (

    select
        status.customer_id,
        experience.nps_category,
        {{ dbt.datediff('experience.last_nps_at', 'as_of.as_of_end', 'day') }}
            as days_since_nps,
        experience.open_tickets,
        {{ dbt.datediff('experience.last_complaint_at', 'as_of.as_of_end', 'day') }}
            as days_since_complaint,
        {{ dbt.datediff('experience.last_interaction_at', 'as_of.as_of_end', 'day') }}
            as days_since_interaction,
        exposure.qos_exposure_30d,
        {{ dbt.datediff('as_of.as_of_date', 'status.next_renewal_date', 'day') }}
            as days_to_renewal

    from status
    cross join as_of
    left join experience
        on status.customer_id = experience.customer_id
    left join exposure
        on status.customer_id = exposure.customer_id
    where status.is_active

),

factor_checks as (

    select
        active_customers.customer_id,
        weights.risk_factor,
        weights.weight,
        weights.total_weight,
        case weights.risk_factor
            when 'detractor'
                then
                    active_customers.nps_category = 'detractor'
                    and active_customers.days_since_nps <= weights.threshold
            when 'recent_complaint'
                then
                    active_customers.days_since_complaint <= weights.threshold
            when 'open_ticket'
                then
                    active_customers.open_tickets >= weights.threshold
            when 'network_exposure'
                then
                    active_customers.qos_exposure_30d >= weights.threshold
            when 'no_recent_interaction'
                then
                    active_customers.days_since_interaction is null
                    or active_customers.days_since_interaction > weights.threshold
            when 'renewal_due_soon' then
                active_customers.days_to_renewal <= weights.threshold
        end as is_present

    from active_customers
    cross join weights

),

present_factors as (

    select
        customer_id,
        risk_factor,
        weight,
        row_number() over (
            partition by customer_id
            order by weight desc, risk_factor asc
        ) as factor_rank

    from factor_checks
    where is_present

),

scores as (

    select
        factor_checks.customer_id,
        cast(
            round(
                100.0
                * sum(case when factor_checks.is_present then factor_checks.weight else 0 end)
                / max(factor_checks.total_weight)
            ) as {{ dbt.type_int() }}
        ) as churn_risk_score

    from factor_checks
    group by factor_checks.customer_id

),

levels as (

    select
        churn_risk_level,
        min_score,
        lead(min_score) over (order by min_score) as next_level_min_score

    from {{ ref('churn_risk_levels') }}

),

churn_risk as (

    select
        scores.customer_id,
        scores.churn_risk_score,
        levels.churn_risk_level,
        present_factors.risk_factor as top_risk_factor

    from scores
    left join levels
        on
            scores.churn_risk_score >= levels.min_score
            and (
                levels.next_level_min_score is null
                or scores.churn_risk_score < levels.next_level_min_score
            )
    left join present_factors
        on
            scores.customer_id = present_factors.customer_id
            and present_factors.factor_rank = 1

)

select * from churn_risk
