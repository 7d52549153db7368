with

source as (

    select * from {{ source('crm', 'crm_customers') }}

),

renamed as (

    select
        {{ cx360_staged_columns('crm_customers') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'crm_customers') }}

),

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'crm_customers') }}

)

select * from erasure_applied
