-- Interactions with customer_id replaced by the stitched CRM customer; interactions with an
-- unknown customer_id (audit.quarantine_unknown_customer) or a negative duration
-- (audit.quarantine_time_order, macros/time_order.sql) are quarantined and left out here.
with

interactions as (

    select * from {{ ref('stg_interactions__interactions') }}

),

stitched as (

    select * from {{ ref('int_touchpoints_stitched') }}
    where source = 'interactions' and attribution_rule != 'unknown_customer'

),

attributed as (

    select
        interactions.interaction_id,
        stitched.customer_id,
        stitched.attribution_rule,
        interactions.customer_id as source_customer_id,
        interactions.contact_email,
        interactions.contact_phone,
        interactions.occurred_at,
        interactions.channel,
        interactions.touchpoint,
        interactions.interaction_type,
        interactions.direction,
        interactions.duration_seconds,
        interactions.outcome,
        interactions._batch_name,
        interactions._source_row

    from interactions
    inner join stitched
        on interactions.interaction_id = stitched.record_key
    where {{ interaction_duration_reason('interactions') }} is null

)

select * from attributed
