with

source as (

    select * from {{ source('support', 'support_tickets') }}

),

renamed as (

    select
        {{ cx360_staged_columns('support_tickets') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'support_tickets') }}

),

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'support_tickets') }}

)

select * from erasure_applied
