with

source as (

    select * from {{ source('crm', 'crm_referrals') }}

),

renamed as (

    select
        {{ cx360_staged_columns('crm_referrals') }}

    from source

),

deduplicated as (

    {{ cx360_current_versions('renamed', 'crm_referrals') }}

),

not_erased as (

    -- right to erasure: an erased customer's rows stop here (macros/erasure.sql)
    select * from deduplicated
    where {{ cx360_not_erased('crm_referrals') }}

)

select * from not_erased
