with

source as (

    select * from {{ source('surveys', 'survey_responses') }}

),

renamed as (

    select
        {{ cx360_staged_columns('survey_responses') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'survey_responses') }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('survey_responses') }}

)

select * from not_erased
