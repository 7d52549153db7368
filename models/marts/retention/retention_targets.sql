{#-
    Who to call first: active customers whose churn_risk_level is one of
    var retention_target_risk_levels, highest value at risk first.

    value_at_risk = clv_predicted x churn probability, value_at_risk_basis says which one (the
    rule is int_customer_churn_risk.churn_risk_basis, which rates the churn_risk_level too):
      purchase_model_no_purchase_90d  purchase customers: P(no purchase in the next 90 days)
                                      (BG/NBD, cx360.purchase_model.probability_of_no_purchase)
      calibrated_churn_risk    contract customers: P(churn within calibration_horizon_months)
                               of the calibration `cx360 backtest --calibrate` fitted
      churn_risk_score         contract customers, no calibration fitted: churn_risk_score / 100
                               stands in (a rank, not a probability)

    contact_channel: the first rule of seed contact_rules (by rule_order) whose contact point
    the customer has on file and whose consent need they meet; else 'none', with
    no_contact_reason (no_marketing_consent when a rule would fit with consent, else
    no_contact_point). No address or number is published, only the channel.
-#}

{%- set target_levels = var('retention_target_risk_levels') -%}

with

customer_360 as (

    select * from {{ ref('customer_360') }}

),

contact_points as (

    select
        customers.customer_id,
        coalesce(customer_360.marketing_consent, false) as has_consent,
        customers.email is not null as has_email,
        customers.phone is not null as has_phone

    from {{ ref('stg_crm__customers') }} as customers
    inner join customer_360
        on customers.customer_id = customer_360.customer_id

),

contact_rules as (

    select * from {{ ref('contact_rules') }}

),

-- every rule the customer has the contact point for; allowed = the consent need is met too
reachable_by as (

    select
        contact_points.customer_id,
        contact_rules.rule_order,
        contact_rules.channel,
        contact_points.has_consent or not contact_rules.needs_marketing_consent as is_allowed

    from contact_points
    inner join contact_rules
        on
            (contact_rules.contact_point = 'email' and contact_points.has_email)
            or (contact_rules.contact_point = 'phone' and contact_points.has_phone)

),

first_allowed_rule as (

    select
        customer_id,
        min(case when is_allowed then rule_order end) as rule_order,
        count(*) as rules_with_contact_point

    from reachable_by
    group by customer_id

),

contact_channels as (

    select
        contact_points.customer_id,
        coalesce(contact_rules.channel, 'none') as contact_channel,
        case
            when contact_rules.channel is not null then null
            when first_allowed_rule.rules_with_contact_point > 0 then 'no_marketing_consent'
            else 'no_contact_point'
        end as no_contact_reason

    from contact_points
    left join first_allowed_rule
        on contact_points.customer_id = first_allowed_rule.customer_id
    left join contact_rules
        on first_allowed_rule.rule_order = contact_rules.rule_order

),

targets as (

    select
        customer_360.customer_id,
        customer_360.segment,
        customer_360.value_tier,
        customer_360.revenue_12m,
        customer_360.clv_predicted,
        customer_360.lifecycle_stage,
        customer_360.churn_risk_score,
        customer_360.churn_risk_level,
        customer_360.top_risk_factor,
        customer_360.next_best_action,
        customer_360.next_renewal_date,
        contact_channels.contact_channel,
        contact_channels.no_contact_reason,
        -- which probability prices the risk is int_customer_churn_risk's rule (churn_risk_basis)
        churn_risk.risk_probability as churn_probability,
        case
            when churn_risk.churn_risk_basis = 'calibrated_churn_risk'
                then churn_risk.calibration_horizon_months
        end as calibration_horizon_months,
        coalesce(churn_risk.churn_risk_basis, 'churn_risk_score') as value_at_risk_basis

    from customer_360
    inner join contact_channels
        on customer_360.customer_id = contact_channels.customer_id
    left join {{ ref('int_customer_churn_risk') }} as churn_risk
        on customer_360.customer_id = churn_risk.customer_id
    where
        customer_360.is_active
        and customer_360.churn_risk_level in (
            {%- for level in target_levels %}
            '{{ level }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

valued as (

    select
        *,
        coalesce(clv_predicted, 0)
        * coalesce(churn_probability, churn_risk_score / 100.0) as value_at_risk

    from targets

),

ranked as (

    select
        cast(
            row_number() over (
                order by
                    value_at_risk desc,
                    revenue_12m desc,
                    churn_risk_score desc,
                    customer_id asc
            ) as integer
        ) as target_rank,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(value_tier as {{ dbt.type_string() }}) as value_tier,
        cast(revenue_12m as numeric(18, 4)) as revenue_12m,
        cast(clv_predicted as numeric(18, 4)) as clv_predicted,
        cast(lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(churn_risk_score as integer) as churn_risk_score,
        cast(churn_risk_level as {{ dbt.type_string() }}) as churn_risk_level,
        cast(top_risk_factor as {{ dbt.type_string() }}) as top_risk_factor,
        cast(next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(next_renewal_date as date) as next_renewal_date,
        cast(churn_probability as {{ cx360_type_double() }}) as churn_probability,
        cast(value_at_risk as numeric(18, 4)) as value_at_risk,
        cast(value_at_risk_basis as {{ dbt.type_string() }}) as value_at_risk_basis,
        cast(calibration_horizon_months as integer) as calibration_horizon_months,
        cast(contact_channel as {{ dbt.type_string() }}) as contact_channel,
        cast(no_contact_reason as {{ dbt.type_string() }}) as no_contact_reason

    from valued

)

select * from ranked
