-- Interactions with customer_id replaced by the stitched CRM customer; interactions with an
-- unknown customer_id are quarantined (audit.quarantine_unknown_customer) and left out here; a
-- negative duration already landed NULL (value_out_of_range, audit.landing_field_issues).
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

)

select * from attributed
