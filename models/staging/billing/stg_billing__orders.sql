with

source as (

    select * from {{ source('billing', 'billing_orders') }}

),

-- the order status rule (raw_contract.yml): absent = completed; only a cancellation or a refund
-- says the purchase did not happen
renamed as (

    select
        {{ cx360_staged_columns('billing_orders', overrides={
            'status': "coalesce(" ~ normalize_vocabulary('status') ~ ", 'completed')",
        }) }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'billing_orders') }}

),

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'billing_orders') }}

)

select * from erasure_applied
