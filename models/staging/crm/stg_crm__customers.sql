with

source as (

    select * from {{ source('crm', 'crm_customers') }}

),

renamed as (

    select
        {{ clean_string('customer_id') }} as customer_id,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        {{ clean_string('first_name') }} as first_name,
        {{ clean_string('last_name') }} as last_name,
        {{ cx360_cast('birth_date', 'date') }} as birth_date,
        {{ clean_string('postal_code') }} as postal_code,
        {{ clean_string('city') }} as city,
        {{ normalize_iso_code('country') }} as country,
        {{ normalize_vocabulary('segment') }} as segment,
        {{ normalize_vocabulary('acquisition_channel') }} as acquisition_channel,
        {{ cx360_cast('created_at', 'timestamp') }} as created_at,
        {{ cx360_cast('marketing_consent', 'bool') }} as marketing_consent,
        {{ cx360_cast('updated_at', 'timestamp') }} as updated_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['customer_id'],
        columns=[
            'customer_id',
            'email',
            'phone',
            'first_name',
            'last_name',
            'birth_date',
            'postal_code',
            'city',
            'country',
            'segment',
            'acquisition_channel',
            'created_at',
            'marketing_consent',
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
    where {{ cx360_not_erased('crm_customers') }}

)

select * from not_erased
