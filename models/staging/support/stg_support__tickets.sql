with

source as (

    select * from {{ source('support', 'support_tickets') }}

),

renamed as (

    select
        {{ clean_string('ticket_id') }} as ticket_id,
        {{ clean_string('customer_id') }} as customer_id,
        {{ normalize_email('requester_email') }} as requester_email,
        {{ normalize_phone('requester_phone') }} as requester_phone,
        {{ normalize_vocabulary('channel') }} as channel,
        {{ normalize_vocabulary('category') }} as category,
        {{ normalize_vocabulary('priority') }} as priority,
        {{ cx360_cast('opened_at', 'timestamp') }} as opened_at,
        {{ cx360_cast('first_response_at', 'timestamp') }} as first_response_at,
        {{ cx360_cast('resolved_at', 'timestamp') }} as resolved_at,
        {{ cx360_cast('closed_at', 'timestamp') }} as closed_at,
        {{ normalize_vocabulary('status') }} as status,
        {{ cx360_cast('reopen_count', 'int') }} as reopen_count,
        {{ clean_string('agent_id') }} as agent_id,
        {{ cx360_cast('updated_at', 'timestamp') }} as updated_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['ticket_id'],
        columns=[
            'ticket_id',
            'customer_id',
            'requester_email',
            'requester_phone',
            'channel',
            'category',
            'priority',
            'opened_at',
            'first_response_at',
            'resolved_at',
            'closed_at',
            'status',
            'reopen_count',
            'agent_id',
            'updated_at',
            '_batch_name',
            '_source_row',
        ],
        order_column='updated_at',
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('support_tickets') }}

)

select * from not_erased
