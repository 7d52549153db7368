with

source as (

    select * from {{ source('reviews', 'product_reviews') }}

),

renamed as (

    select
        {{ cx360_staged_columns('product_reviews') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'product_reviews') }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('product_reviews') }}

)

select * from not_erased
