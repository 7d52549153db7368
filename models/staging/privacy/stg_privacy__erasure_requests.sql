with

source as (

    select * from {{ source('privacy', 'erasure_requests') }}

),

renamed as (

    select
        {{ cx360_staged_columns('erasure_requests') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'erasure_requests') }}

)

select * from deduplicated
