with

source as (

    select * from {{ source('surveys', 'survey_definitions') }}

),

renamed as (

    select
        {{ clean_string('survey_id') }} as survey_id,
        {{ clean_string('question_id') }} as question_id,
        {{ normalize_vocabulary('survey_type') }} as survey_type,
        {{ clean_string('question_text') }} as question_text,
        {{ cx360_cast('scale_min', 'numeric') }} as scale_min,
        {{ cx360_cast('scale_max', 'numeric') }} as scale_max,
        {{ normalize_vocabulary('pillar') }} as pillar,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['survey_id', 'question_id'],
        columns=[
            'survey_id',
            'question_id',
            'survey_type',
            'question_text',
            'scale_min',
            'scale_max',
            'pillar',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
