with

source as (

    select * from {{ source('surveys', 'survey_definitions') }}

),

renamed as (

    select
        {{ cx360_staged_columns('survey_definitions') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'survey_definitions') }}

)

select * from deduplicated
