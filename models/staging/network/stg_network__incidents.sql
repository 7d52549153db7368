with

source as (

    select * from {{ source('network', 'network_incidents') }}

),

renamed as (

    select
        {{ clean_string('incident_id') }} as incident_id,
        {{ clean_string('postal_code') }} as postal_code,
        {{ cx360_cast('started_at', 'timestamp') }} as started_at,
        {{ cx360_cast('ended_at', 'timestamp') }} as ended_at,
        {{ cx360_cast('severity', 'int') }} as severity,
        {{ normalize_vocabulary('incident_type') }} as incident_type,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['incident_id'],
        columns=[
            'incident_id',
            'postal_code',
            'started_at',
            'ended_at',
            'severity',
            'incident_type',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

)

select * from deduplicated
