with

source as (

    select * from {{ source('surveys', 'employee_survey_responses') }}

),

renamed as (

    select
        {{ cx360_staged_columns('employee_survey_responses') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'employee_survey_responses') }}

)

select * from deduplicated
