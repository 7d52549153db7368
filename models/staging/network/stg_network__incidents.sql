with

source as (

    select * from {{ source('network', 'network_incidents') }}

),

renamed as (

    select
        {{ cx360_staged_columns('network_incidents') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'network_incidents') }}

)

select * from deduplicated
