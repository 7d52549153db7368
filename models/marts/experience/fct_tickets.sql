-- One row per valid support ticket with durations and first-contact resolution, for BI (no
-- requester e-mail or phone). Customers with an erasure request lose the link.
with

tickets as (
    select * from {{ ref('int_tickets_with_durations') }}
),

erased_customers as (
    select distinct customer_id from {{ ref('stg_privacy__erasure_requests') }}
),

final as (
    select
        tickets.ticket_id,
        case when erased_customers.customer_id is null then tickets.customer_id end
            as customer_id,
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
)

select * from final
