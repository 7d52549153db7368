{#-
    One row per CRM customer: what the customer told us and how we served them, as of
    int_as_of, from the stitched survey answers, tickets and interactions. "12m" windows are the
    12 months up to the as-of day: [as_of_end - 12 months, as_of_end); "90d" the 90 days up to it.
    avg_csat averages answers on their survey's own scale; avg_ces averages answers rescaled to
    the ces KPI's registry scale (int_survey_answers_scored.score_on_kpi_scale); the NPS band is
    the one of int_survey_answers_scored. Skipped questions are excluded.
-#}

with

as_of as (

    select
        as_of_date,
        as_of_end,
        {{ dbt.dateadd('month', -12, 'as_of_end') }} as window_12m_start,
        {{ dbt.dateadd('day', -90, 'as_of_end') }} as window_90d_start

    from {{ ref('int_as_of') }}

),

customers as (

    select customer_id from {{ ref('stg_crm__customers') }}

),

answers as (

    select
        answers.customer_id,
        answers.response_id,
        answers.survey_type,
        answers.score,
        answers.score_on_kpi_scale,
        answers.nps_category,
        answers.answered_at,
        answers.answered_at >= as_of.window_12m_start as is_within_12m

    from {{ ref('int_survey_answers_scored') }} as answers
    cross join as_of
    where
        answers.customer_id is not null
        and answers.score is not null
        and answers.answered_at < as_of.as_of_end

),

nps_answers_ranked as (

    select
        customer_id,
        score,
        nps_category,
        answered_at,
        row_number() over (
            partition by customer_id
            order by answered_at desc, response_id desc
        ) as recency_rank

    from answers
    where survey_type = 'nps'

),

last_nps as (

    select
        customer_id,
        score as last_nps_score,
        answered_at as last_nps_at,
        nps_category

    from nps_answers_ranked
    where recency_rank = 1

),

survey_averages as (

    select
        customer_id,
        avg(case when survey_type = 'csat' and is_within_12m then score end) as avg_csat,
        avg(case when survey_type = 'ces' and is_within_12m then score_on_kpi_scale end) as avg_ces

    from answers
    group by customer_id

),

tickets as (

    select
        tickets.customer_id,
        tickets.category,
        tickets.opened_at,
        tickets.opened_at >= as_of.window_12m_start as is_opened_within_12m,
        -- resolved within the window: the tickets mttr_hours_12m averages
        tickets.resolved_at >= as_of.window_12m_start
        and tickets.resolved_at < as_of.as_of_end as is_resolved_within_12m,
        {{ dbt.datediff('tickets.opened_at', 'tickets.resolved_at', 'second') }} / 3600.0  -- noqa: LT05
            as resolution_hours,
        -- still open at the end of the as-of day (timestamps first, status when they are missing)
        case
            when coalesce(tickets.resolved_at, tickets.closed_at) is not null
                then coalesce(tickets.resolved_at, tickets.closed_at) >= as_of.as_of_end
            else coalesce(tickets.status, 'open') not in ('solved', 'closed')
        end as is_open

    from {{ ref('int_tickets_attributed') }} as tickets
    cross join as_of
    where tickets.customer_id is not null and tickets.opened_at < as_of.as_of_end

),

ticket_summary as (

    select
        customer_id,
        sum(case when is_opened_within_12m then 1 else 0 end) as tickets_12m,
        sum(case when is_open then 1 else 0 end) as open_tickets,
        sum(
            case when is_opened_within_12m and category = 'complaint' then 1 else 0 end
        ) as complaints_12m,
        max(case when category = 'complaint' then opened_at end) as last_complaint_at,
        avg(case when is_resolved_within_12m then resolution_hours end) as mttr_hours_12m

    from tickets
    group by customer_id

),

interactions as (

    select
        interactions.customer_id,
        interactions.interaction_id,
        interactions.channel,
        interactions.touchpoint,
        interactions.occurred_at,
        interactions.occurred_at >= as_of.window_90d_start as is_within_90d

    from {{ ref('int_interactions_attributed') }} as interactions
    cross join as_of
    where interactions.customer_id is not null and interactions.occurred_at < as_of.as_of_end

),

interaction_summary as (

    select
        customer_id,
        max(occurred_at) as last_interaction_at,
        max(case when touchpoint = 'retention' then occurred_at end) as last_retention_contact_at,
        sum(case when is_within_90d then 1 else 0 end) as interactions_90d

    from interactions
    group by customer_id

),

channel_use as (

    select
        customer_id,
        channel,
        count(*) as interactions,
        max(occurred_at) as last_used_at

    from interactions
    where channel is not null
    group by customer_id, channel

),

preferred_channels as (

    -- most used channel; ties go to the most recently used, then alphabetical
    select
        customer_id,
        channel as preferred_channel,
        row_number() over (
            partition by customer_id
            order by interactions desc, last_used_at desc, channel asc
        ) as preference_rank

    from channel_use

),

experience as (

    select
        customers.customer_id,
        last_nps.last_nps_score,
        last_nps.last_nps_at,
        last_nps.nps_category,
        survey_averages.avg_csat,
        survey_averages.avg_ces,
        ticket_summary.last_complaint_at,
        ticket_summary.mttr_hours_12m,
        interaction_summary.last_interaction_at,
        interaction_summary.last_retention_contact_at,
        preferred_channels.preferred_channel,
        coalesce(ticket_summary.tickets_12m, 0) as tickets_12m,
        coalesce(ticket_summary.open_tickets, 0) as open_tickets,
        coalesce(ticket_summary.complaints_12m, 0) as complaints_12m,
        coalesce(interaction_summary.interactions_90d, 0) as interactions_90d

    from customers
    left join last_nps
        on customers.customer_id = last_nps.customer_id
    left join survey_averages
        on customers.customer_id = survey_averages.customer_id
    left join ticket_summary
        on customers.customer_id = ticket_summary.customer_id
    left join interaction_summary
        on customers.customer_id = interaction_summary.customer_id
    left join preferred_channels
        on
            customers.customer_id = preferred_channels.customer_id
            and preferred_channels.preference_rank = 1

)

select * from experience
