with

source as (

    select * from {{ source('billing', 'billing_invoices') }}

),

renamed as (

    select
        {{ clean_string('invoice_id') }} as invoice_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ clean_string('contract_id') }} as contract_id,
        {{ cx360_cast('issued_at', 'date') }} as issued_at,
        {{ cx360_cast('due_at', 'date') }} as due_at,
        {{ cx360_cast('amount', 'decimal') }} as amount,
        {{ normalize_iso_code('currency') }} as currency,
        {{ normalize_vocabulary('status') }} as status,
        {{ cx360_cast('paid_at', 'timestamp') }} as paid_at,
        {{ cx360_cast('updated_at', 'timestamp') }} as updated_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['invoice_id'],
        columns=[
            'invoice_id',
            'customer_id',
            'contract_id',
            'issued_at',
            'due_at',
            'amount',
            'currency',
            'status',
            'paid_at',
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
    where {{ cx360_not_erased('billing_invoices') }}

)

select * from not_erased
