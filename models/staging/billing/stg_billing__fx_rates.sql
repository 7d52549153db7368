with

source as (

    select * from {{ source('billing', 'fx_rates') }}

),

renamed as (

    select
        {{ cx360_staged_columns('fx_rates') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'fx_rates') }}

)

select * from deduplicated
