with

source as (

    select * from {{ source('crm', 'crm_contracts') }}

),

renamed as (

    select
        {{ cx360_staged_columns('crm_contracts') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'crm_contracts') }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('crm_contracts') }}

)

select * from not_erased
