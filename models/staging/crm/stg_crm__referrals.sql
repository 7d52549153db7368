with

source as (

    select * from {{ source('crm', 'crm_referrals') }}

),

renamed as (

    select
        {{ clean_string('referral_id') }} as referral_id,
        {{ clean_string('referrer_customer_id') }} as referrer_customer_id,
        {{ clean_string('referred_customer_id') }} as referred_customer_id,
        {{ normalize_email('referred_email') }} as referred_email,
        {{ cx360_cast('referred_at', 'timestamp') }} as referred_at,
        _batch_name,
        _source_row

    from source

),

deduplicated as (

    {{ deduplicate_latest(
        'renamed',
        key_columns=['referral_id'],
        columns=[
            'referral_id',
            'referrer_customer_id',
            'referred_customer_id',
            'referred_email',
            'referred_at',
            '_batch_name',
            '_source_row',
        ],
        order_column=none,
    ) }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('crm_referrals') }}

)

select * from not_erased
