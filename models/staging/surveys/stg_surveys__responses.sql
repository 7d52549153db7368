with

source as (

    select * from {{ source('surveys', 'survey_responses') }}

),

renamed as (

    select
        {{ clean_string('response_id') }} as response_id,
        {{ clean_string('survey_id') }} as survey_id,
        {{ clean_string('question_id') }} as question_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ normalize_email('respondent_email') }} as respondent_email,
        {{ cx360_cast('answered_at', 'timestamp') }} as answered_at,
        {{ normalize_vocabulary('touchpoint') }} as touchpoint,
        {{ normalize_vocabulary('channel') }} as channel,
        {{ cx360_cast('score', 'numeric') }} as score,
        {{ clean_string('comment') }} as comment,
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
            'customer_id',
            'respondent_email',
            'answered_at',
            'touchpoint',
            'channel',
            'score',
            'comment',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('survey_responses') }}

)

select * from not_erased
