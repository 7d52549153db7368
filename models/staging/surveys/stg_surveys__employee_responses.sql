with

source as (

    select * from {{ source('surveys', 'employee_survey_responses') }}

),

renamed as (

    select
        {{ clean_string('response_id') }} as response_id,
        {{ clean_string('survey_id') }} as survey_id,
        {{ clean_string('question_id') }} as question_id,
        {{ clean_string('employee_id') }} as employee_id,
        {{ clean_string('department') }} as department,
        {{ cx360_cast('answered_at', 'timestamp') }} as answered_at,
        {{ cx360_cast('score', 'numeric') }} as score,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['response_id', 'question_id'],
        columns=[
            'response_id',
            'survey_id',
            'question_id',
            'employee_id',
            'department',
            'answered_at',
            'score',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
