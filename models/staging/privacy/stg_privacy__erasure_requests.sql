with

source as (

    select * from {{ source('privacy', 'erasure_requests') }}

),

renamed as (

    select
        {{ clean_string('request_id') }} as request_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ cx360_cast('requested_at', 'timestamp') }} as requested_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['request_id'],
        columns=[
            'request_id',
            'customer_id',
            'requested_at',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
