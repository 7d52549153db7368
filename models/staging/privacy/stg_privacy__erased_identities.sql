{#-
    Every identifier of a customer with an erasure request: the customer_id, and each e-mail
    address and phone number (normalised) any version of their CRM record held. Staging models
    drop the rows these identify (macro cx360_not_erased). Reads the raw CRM table, not
    stg_crm__customers, which itself drops erased customers. Internal (personal data): never
    published.
-#}

with

requests as (

    select distinct customer_id
    from {{ ref('stg_privacy__erasure_requests') }}
    where customer_id is not null

),

crm_versions as (

    select
        {{ clean_string('customer_id') }} as customer_id,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone
    from {{ source('crm', 'crm_customers') }}

),

identities as (

    select
        'customer_id' as identity_type,
        customer_id as identity_value
    from requests

    union

    select
        'email' as identity_type,
        crm_versions.email as identity_value
    from crm_versions
    inner join requests on crm_versions.customer_id = requests.customer_id
    where crm_versions.email is not null

    union

    select
        'phone' as identity_type,
        crm_versions.phone as identity_value
    from crm_versions
    inner join requests on crm_versions.customer_id = requests.customer_id
    where crm_versions.phone is not null

)

select * from identities
