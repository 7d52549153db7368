{#-
    lifecycle_stage of every CRM customer on the as-of day. First rule that applies:

      prospect     never acquired: no contract started and no completed order up to the as-of day
      churned      acquired but not active (no running contract, no purchase in the last
                   var purchase_active_days days)
      at_risk      active with churn_risk_level 'high'
      new          active, acquired less than var lifecycle_new_days days ago
      reactivated  active, the running contract spell is not the first one (came back after a
                   gap without coverage) and started less than var lifecycle_reactivated_days ago
      active       every other active customer

    tenure_days: days from acquisition to the last active day (the as-of day while active).
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

status as (

    select * from {{ ref('int_customer_status') }}

),

churn_risk as (

    select
        customer_id,
        churn_risk_level

    from {{ ref('int_customer_churn_risk') }}

),

lifecycle as (

    select
        status.customer_id,
        case
            when status.acquired_at is null then 'prospect'
            when not status.is_active then 'churned'
            when churn_risk.churn_risk_level = 'high' then 'at_risk'
            when
                {{ dbt.datediff('status.acquired_at', 'as_of.as_of_date', 'day') }}
                < {{ var('lifecycle_new_days') }}
                then 'new'
            when
                status.current_spell_number > 1
                and {{ dbt.datediff('status.current_spell_started_at', 'as_of.as_of_date', 'day') }}
                < {{ var('lifecycle_reactivated_days') }}
                then 'reactivated'
            else 'active'
        end as lifecycle_stage,
        status.is_active,
        {{ dbt.datediff('status.acquired_at', 'status.last_active_on', 'day') }}
            as tenure_days

    from status
    cross join as_of
    left join churn_risk
        on status.customer_id = churn_risk.customer_id

)

select * from lifecycle
