-- One row per valid interaction (calls, chats, visits, sessions, messages), for BI (no contact
-- e-mail or phone). Customers with an erasure request lose the link.
with

interactions as (
    select * from {{ ref('int_interactions_attributed') }}
),

erased_customers as (
    select distinct customer_id from {{ ref('stg_privacy__erasure_requests') }}
),

final as (
    select
        interactions.interaction_id,
        case when erased_customers.customer_id is null then interactions.customer_id end
            as customer_id,
        interactions.attribution_rule,
        interactions.occurred_at,
        cast({{ to_reporting_time('interactions.occurred_at') }} as date) as occurred_date,
        interactions.channel,
        interactions.touchpoint,
        interactions.interaction_type,
        interactions.direction,
        interactions.duration_seconds,
        interactions.outcome
    from interactions
    left join erased_customers
        on interactions.customer_id = erased_customers.customer_id
)

select * from final
