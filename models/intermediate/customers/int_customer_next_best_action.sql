{#-
    Next best action of every CRM customer: the rule of seed next_best_action_rules with the
    lowest priority whose every filled condition matches (an empty condition matches anything).
    Conditions: lifecycle_stage, churn_risk_level, value_tier, top_risk_factor. Keep a fallback
    rule with no condition last so every customer gets an action.
-#}

with

lifecycle as (

    select
        customer_id,
        lifecycle_stage

    from {{ ref('int_customer_lifecycle') }}

),

customer_value as (

    select
        customer_id,
        value_tier

    from {{ ref('int_customer_value') }}

),

churn_risk as (

    select
        customer_id,
        churn_risk_level,
        top_risk_factor

    from {{ ref('int_customer_churn_risk') }}

),

rules as (

    select * from {{ ref('next_best_action_rules') }}

),

customers as (

    select
        lifecycle.customer_id,
        lifecycle.lifecycle_stage,
        customer_value.value_tier,
        churn_risk.churn_risk_level,
        churn_risk.top_risk_factor

    from lifecycle
    left join customer_value
        on lifecycle.customer_id = customer_value.customer_id
    left join churn_risk
        on lifecycle.customer_id = churn_risk.customer_id

),

matching_rules as (

    select
        customers.customer_id,
        rules.next_best_action,
        rules.priority,
        row_number() over (
            partition by customers.customer_id
            order by rules.priority, rules.next_best_action
        ) as rule_rank

    from customers
    inner join rules
        on
            (rules.lifecycle_stage is null or customers.lifecycle_stage = rules.lifecycle_stage)
            and (
                rules.churn_risk_level is null
                or customers.churn_risk_level = rules.churn_risk_level
            )
            and (rules.value_tier is null or customers.value_tier = rules.value_tier)
            and (
                rules.top_risk_factor is null
                or customers.top_risk_factor = rules.top_risk_factor
            )

),

next_best_actions as (

    select
        customers.customer_id,
        matching_rules.next_best_action,
        matching_rules.priority as next_best_action_rule

    from customers
    left join matching_rules
        on
            customers.customer_id = matching_rules.customer_id
            and matching_rules.rule_rank = 1

)

select * from next_best_actions
