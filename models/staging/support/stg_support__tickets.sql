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

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('support_tickets') }}

)

select * from not_erased
