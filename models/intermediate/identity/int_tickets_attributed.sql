-- Support tickets with customer_id replaced by the stitched CRM customer; tickets with an
-- unknown customer_id (audit.quarantine_unknown_customer) or broken time order
-- (audit.quarantine_time_order, macros/time_order.sql) are quarantined and left out here.
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

stitched as (

    select * from {{ ref('int_touchpoints_stitched') }}
    where source = 'tickets' and attribution_rule != 'unknown_customer'

),

attributed as (

    select
        tickets.ticket_id,
        stitched.customer_id,
        stitched.attribution_rule,
        tickets.customer_id as source_customer_id,
        tickets.requester_email,
        tickets.requester_phone,
        tickets.channel,
        tickets.category,
        tickets.priority,
        tickets.opened_at,
        tickets.first_response_at,
        tickets.resolved_at,
        tickets.closed_at,
        tickets.status,
        tickets.reopen_count,
        tickets.agent_id,
        tickets.updated_at,
        tickets._batch_name,
        tickets._source_row

    from tickets
    inner join stitched
        on tickets.ticket_id = stitched.record_key
    where {{ ticket_time_order_reason('tickets') }} is null

)

select * from attributed
