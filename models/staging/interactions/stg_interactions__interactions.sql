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

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('interactions') }}

)

select * from not_erased
