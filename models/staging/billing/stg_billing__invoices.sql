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

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('billing_invoices') }}

)

select * from not_erased
