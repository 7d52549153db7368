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

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'product_reviews') }}

)

select * from erasure_applied
