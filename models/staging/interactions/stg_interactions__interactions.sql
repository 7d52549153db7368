with

source as (

    select * from {{ source('interactions', 'interactions') }}

),

renamed as (

    select
        {{ clean_string('interaction_id') }} as interaction_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ normalize_email('contact_email') }} as contact_email,
        {{ normalize_phone('contact_phone') }} as contact_phone,
        {{ cx360_cast('occurred_at', 'timestamp') }} as occurred_at,
        {{ normalize_vocabulary('channel') }} as channel,
        {{ normalize_vocabulary('touchpoint') }} as touchpoint,
        {{ normalize_vocabulary('interaction_type') }} as interaction_type,
        {{ normalize_vocabulary('direction') }} as direction,
        {{ cx360_cast('duration_seconds', 'int') }} as duration_seconds,
        {{ normalize_vocabulary('outcome') }} as outcome,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['interaction_id'],
        columns=[
            'interaction_id',
            'customer_id',
            'contact_email',
            'contact_phone',
            'occurred_at',
            'channel',
            'touchpoint',
            'interaction_type',
            'direction',
            'duration_seconds',
            'outcome',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('interactions') }}

)

select * from not_erased
