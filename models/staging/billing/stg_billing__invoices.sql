with

source as (

    select * from {{ source('billing', 'billing_invoices') }}

),

renamed as (

    select
        {{ cx360_staged_columns('billing_invoices') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'billing_invoices') }}

),

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'billing_invoices') }}

)

select * from erasure_applied
