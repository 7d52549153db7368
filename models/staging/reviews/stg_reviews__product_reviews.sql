with

source as (

    select * from {{ source('reviews', 'product_reviews') }}

),

renamed as (

    select
        {{ clean_string('review_id') }} as review_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ clean_string('product') }} as product,
        {{ cx360_cast('rating', 'numeric') }} as rating,
        {{ normalize_vocabulary('source') }} as source,
        {{ cx360_cast('posted_at', 'timestamp') }} as posted_at,
        {{ clean_string('review_text') }} as review_text,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['review_id'],
        columns=[
            'review_id',
            'customer_id',
            'product',
            'rating',
            'source',
            'posted_at',
            'review_text',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('product_reviews') }}

)

select * from not_erased
