{{ config(
    materialized=cx360_fact_materialization(),
    unique_key='ticket_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ cx360_delete_vanished_rows(['ticket_id'], 'int_tickets_with_durations', erasable=true) }}",
) }}
-- Incremental: writes only new and changed rows, deletes vanished ones; identical to a
-- full refresh (macros/incremental.sql, tests/test_reliability_incremental.py).
-- One row per valid support ticket with durations and first-contact resolution, for BI (no
-- requester e-mail or phone). Rows of customers with an erasure
-- request are not published: staging anonymises or drops them (var erasure_policy,
-- macros/erasure.sql) and this model drops the rows of their surrogate and requested ids.
with

tickets as (
    select * from {{ ref('int_tickets_with_durations') }}
),

erased_customers as (
    {{ cx360_erased_customer_keys() }}
),

final as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.attribution_rule,
        tickets.segment,
        tickets.channel,
        tickets.category,
        tickets.priority,
        tickets.status,
        tickets.agent_id,
        tickets.opened_at,
        cast({{ to_reporting_time('tickets.opened_at') }} as date) as opened_date,
        tickets.first_response_at,
        tickets.resolved_at,
        tickets.closed_at,
        tickets.reopen_count,
        tickets.is_resolved,
        tickets.is_complaint,
        tickets.resolution_hours,
        tickets.first_response_hours,
        tickets.has_repeat_contact,
        tickets.is_first_contact_resolution
    from tickets
    left join erased_customers
        on tickets.customer_id = erased_customers.customer_id
    where erased_customers.customer_id is null
)

-- new and changed rows only; their columns are the CTE's (AM04 cannot see through this)
select * from ({{ cx360_changed_rows('final') }}) as changed_rows  -- noqa: AM04
