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

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'crm_contracts') }}

)

select * from erasure_applied
