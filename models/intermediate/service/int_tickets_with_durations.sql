-- Support tickets (attributed to a CRM customer where possible) with the durations and flags
-- the service KPIs need. First-contact resolution rule (documented in the yml, kpis.md):
-- resolved, never reopened, and exactly one agent-handled contact: no other agent-handled
-- contact on the same issue within var fcr_repeat_contact_days. Self-service sessions (var
-- self_service_channels: web, app) reach no agent and are not contacts.
with

tickets as (
    select * from {{ ref('int_tickets_attributed') }}
),

interactions as (
    select * from {{ ref('int_interactions_attributed') }}
),

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

-- A later ticket of the same customer in the same category, or an inbound support interaction
-- through an agent-handled channel, within the window means the customer had to come back:
-- not resolved at first contact.
repeat_tickets as (
    select distinct first_ticket.ticket_id
    from tickets as first_ticket
    inner join tickets as later_ticket
        on
            first_ticket.customer_id = later_ticket.customer_id
            and first_ticket.category = later_ticket.category
            and first_ticket.ticket_id != later_ticket.ticket_id
            and first_ticket.opened_at < later_ticket.opened_at
            and later_ticket.opened_at <= {{ dbt.dateadd(
                'day', var('fcr_repeat_contact_days'), 'first_ticket.opened_at') }}
),

repeat_interactions as (
    select distinct tickets.ticket_id
    from tickets
    inner join interactions
        on
            tickets.customer_id = interactions.customer_id
            and interactions.touchpoint = 'support'
            and interactions.direction = 'inbound'
            and interactions.channel not in (
                {%- for channel in var('self_service_channels') %}
                '{{ channel }}'{% if not loop.last %},{% endif %}
                {%- endfor %}
            )
            and tickets.opened_at < interactions.occurred_at
            and interactions.occurred_at <= {{ dbt.dateadd(
                'day', var('fcr_repeat_contact_days'), 'tickets.opened_at') }}
),

measured as (
    select
        tickets.ticket_id,
        tickets.customer_id,
        tickets.attribution_rule,
        customer_value.segment,
        tickets.channel,
        tickets.category,
        tickets.priority,
        tickets.status,
        tickets.agent_id,
        tickets.opened_at,
        tickets.first_response_at,
        tickets.resolved_at,
        tickets.closed_at,
        coalesce(tickets.reopen_count, 0) as reopen_count,
        tickets.resolved_at is not null as is_resolved,
        tickets.category = 'complaint' as is_complaint,
        {{ hours_between('tickets.opened_at', 'tickets.resolved_at') }} as resolution_hours,
        {{ hours_between('tickets.opened_at', 'tickets.first_response_at') }}
            as first_response_hours,
        (
            repeat_tickets.ticket_id is not null
            or repeat_interactions.ticket_id is not null
        ) as has_repeat_contact
    from tickets
    left join customer_value
        on tickets.customer_id = customer_value.customer_id
    left join repeat_tickets
        on tickets.ticket_id = repeat_tickets.ticket_id
    left join repeat_interactions
        on tickets.ticket_id = repeat_interactions.ticket_id
),

final as (
    select
        *,
        (
            is_resolved
            and reopen_count = 0
            and not has_repeat_contact
        ) as is_first_contact_resolution
    from measured
)

select * from final
