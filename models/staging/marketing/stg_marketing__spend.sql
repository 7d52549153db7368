with

source as (

    select * from {{ source('marketing', 'marketing_spend') }}

),

renamed as (

    select
        {{ cx360_staged_columns('marketing_spend') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'marketing_spend') }}

)

select * from deduplicated
