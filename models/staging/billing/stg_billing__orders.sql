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

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('billing_orders') }}

)

select * from not_erased
