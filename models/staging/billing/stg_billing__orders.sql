with

source as (

    select * from {{ source('billing', 'billing_orders') }}

),

renamed as (

    select
        {{ clean_string('order_id') }} as order_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ cx360_cast('ordered_at', 'timestamp') }} as ordered_at,
        {{ cx360_cast('amount', 'decimal') }} as amount,
        {{ normalize_iso_code('currency') }} as currency,
        {{ normalize_vocabulary('channel') }} as channel,
        {{ clean_string('referral_id') }} as referral_id,
        -- the order status rule (raw_contract.yml): absent = completed; only a cancellation or
        -- a refund says the purchase did not happen
        coalesce({{ normalize_vocabulary('status') }}, 'completed') as status,
        {{ cx360_cast('updated_at', 'timestamp') }} as updated_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['order_id'],
        columns=[
            'order_id',
            'customer_id',
            'ordered_at',
            'amount',
            'currency',
            'channel',
            'referral_id',
            'status',
            'updated_at',
            '_batch_name',
            '_source_row',
        ],
        order_column='updated_at',
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('billing_orders') }}

)

select * from not_erased
