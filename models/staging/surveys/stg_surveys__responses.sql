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

erasure_applied as (

    -- right to erasure: an erased person's rows are anonymised or dropped here, as var
    -- erasure_policy says (macros/erasure.sql)
    {{ cx360_erasure_applied('deduplicated', 'survey_responses') }}

)

select * from erasure_applied
