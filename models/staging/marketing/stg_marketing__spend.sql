with

source as (

    select * from {{ source('marketing', 'marketing_spend') }}

),

renamed as (

    select
        {{ cx360_cast('spend_date', 'date') }} as spend_date,
        {{ normalize_vocabulary('channel') }} as channel,
        {{ normalize_vocabulary('category') }} as category,
        {{ cx360_cast('amount', 'decimal') }} as amount,
        {{ normalize_iso_code('currency') }} as currency,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['spend_date', 'channel', 'category'],
        columns=[
            'spend_date',
            'channel',
            'category',
            'amount',
            'currency',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
