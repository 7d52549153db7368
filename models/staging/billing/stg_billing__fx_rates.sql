with

source as (

    select * from {{ source('billing', 'fx_rates') }}

),

renamed as (

    select
        {{ normalize_iso_code('currency') }} as currency,
        {{ cx360_cast('rate_date', 'date') }} as rate_date,
        {{ cx360_cast('rate_to_reporting', 'numeric') }} as rate_to_reporting,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['currency', 'rate_date'],
        columns=[
            'currency',
            'rate_date',
            'rate_to_reporting',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
