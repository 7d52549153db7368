{#-
    The churn risk factors present for each active customer: one row per (customer, factor)
    of seed churn_risk_weights whose rule holds on the as-of day (each threshold in the seed):

      retention_contact      an interaction at touchpoint retention at most <threshold> days ago
      detractor              last NPS answer is a detractor and at most <threshold> days old
      recent_complaint       a complaint opened less than <threshold> days before the as-of end
      open_ticket            at least <threshold> tickets open on the as-of day
      network_exposure       qos_exposure_30d >= <threshold> severity-weighted hours
      no_recent_interaction  no interaction in the last <threshold> days (or never)
      renewal_due_soon       next_renewal_date at most <threshold> days after the as-of day

    The one place these rules live: int_customer_churn_risk scores them, and `cx360 backtest
    --calibrate` fits churn in the horizon on them. Customers who are not active (prospects,
    churned) get none: there is nothing to retain. A view: six checks per customer are cheap to
    read again and would be the widest table of the build if stored.
-#}

{{ config(materialized='view') }}

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
        last_interaction_at,
        last_retention_contact_at

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
        threshold

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
        {{ dbt.datediff('experience.last_retention_contact_at', 'as_of.as_of_end', 'day') }}
            as days_since_retention_contact,
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
        case weights.risk_factor
            when 'retention_contact'
                then
                    active_customers.days_since_retention_contact <= weights.threshold
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
        cast(row_number() over (
            partition by customer_id
            order by weight desc, risk_factor asc
        ) as {{ dbt.type_int() }}) as factor_rank

    from factor_checks
    where is_present

)

select * from present_factors
