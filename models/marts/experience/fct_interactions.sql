{{ config(
    materialized=cx360_fact_materialization(),
    unique_key='interaction_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ cx360_delete_vanished_rows(['interaction_id'], 'int_interactions_attributed', erasable=true) }}",
) }}
-- Incremental: writes only new and changed rows, deletes vanished ones; identical to a
-- full refresh (macros/incremental.sql, tests/test_reliability_incremental.py).
-- One row per valid interaction (calls, chats, visits, sessions, messages), for BI (no contact
-- e-mail or phone). Rows of customers with an erasure
-- request are not published: staging anonymises or drops them (var erasure_policy,
-- macros/erasure.sql) and this model drops the rows of their surrogate and requested ids.
with

interactions as (
    select * from {{ ref('int_interactions_attributed') }}
),

erased_customers as (
    {{ cx360_erased_customer_keys() }}
),

final as (
    select
        interactions.interaction_id,
        interactions.customer_id,
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
    where erased_customers.customer_id is null
)

-- new and changed rows only; their columns are the CTE's (AM04 cannot see through this)
select * from ({{ cx360_changed_rows('final') }}) as changed_rows  -- noqa: AM04
