{#-
    Who to call first: active customers whose churn_risk_level is one of
    var retention_target_risk_levels, most valuable first (revenue of the last 12 months, then
    predicted CLV, then risk). contact_channel follows consent: e-mail when the customer agreed
    to marketing and has an address, else an SMS coupon when there is a phone number, else none
    (no consent, or no way to reach them). No address or number is published, only the channel.
-#}

{%- set target_levels = var('retention_target_risk_levels') -%}

with

customer_360 as (

    select * from {{ ref('customer_360') }}

),

contact_points as (

    select
        customer_id,
        email is not null as has_email,
        phone is not null as has_phone

    from {{ ref('stg_crm__customers') }}

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
        case
            when not coalesce(customer_360.marketing_consent, false) then 'none'
            when contact_points.has_email then 'email'
            when contact_points.has_phone then 'sms_coupon'
            else 'none'
        end as contact_channel

    from customer_360
    inner join contact_points
        on customer_360.customer_id = contact_points.customer_id
    where
        customer_360.is_active
        and customer_360.churn_risk_level in (
            {%- for level in target_levels %}
            '{{ level }}'{{ "," if not loop.last }}
            {%- endfor %}
        )

),

ranked as (

    select
        cast(
            row_number() over (
                order by
                    revenue_12m desc,
                    clv_predicted desc,
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
        cast(contact_channel as {{ dbt.type_string() }}) as contact_channel

    from targets

)

select * from ranked
