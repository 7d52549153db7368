with

source as (

    select * from {{ source('interactions', 'interactions') }}

),

renamed as (

    select
        {{ cx360_staged_columns('interactions') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'interactions') }}

),

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'interactions') }}

)

select * from erasure_applied
