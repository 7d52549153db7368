with

source as (

    select * from {{ source('crm', 'crm_contracts') }}

),

renamed as (

    select
        {{ clean_string('contract_id') }} as contract_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ clean_string('product') }} as product,
        {{ clean_string('plan') }} as plan,
        {{ cx360_cast('started_at', 'date') }} as started_at,
        {{ cx360_cast('ended_at', 'date') }} as ended_at,
        {{ cx360_cast('renewal_due_at', 'date') }} as renewal_due_at,
        {{ cx360_cast('monthly_fee', 'decimal') }} as monthly_fee,
        {{ normalize_iso_code('currency') }} as currency,
        {{ normalize_vocabulary('status') }} as status,
        {{ cx360_cast('updated_at', 'timestamp') }} as updated_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['contract_id'],
        columns=[
            'contract_id',
            'customer_id',
            'product',
            'plan',
            'started_at',
            'ended_at',
            'renewal_due_at',
            'monthly_fee',
            'currency',
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
    where {{ cx360_not_erased('crm_contracts') }}

)

select * from not_erased
