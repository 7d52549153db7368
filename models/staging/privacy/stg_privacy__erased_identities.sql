{#-
    Every identifier of a customer with an erasure request: the customer_id (as
    cx360_erasure_id compares it), and each e-mail address and phone number (normalised as in
    staging) any version of their CRM record held. A CRM record under another id that holds one
    of those e-mails or phones is the same person registered again: its id, e-mails and phones
    are erased too (one step: a re-registration's own new contacts are included, not the
    records sharing those). Staging models drop the rows these identify (macro
    cx360_not_erased). Reads the raw CRM table, not stg_crm__customers, which itself drops
    erased customers. Internal (personal data): never published. erased_key: the surrogate
    staging writes in place of the identity (var erasure_policy anonymise, macros/erasure.sql).
-#}

with

requests as (

    select distinct {{ cx360_erasure_id('customer_id') }} as customer_id
    from {{ ref('stg_privacy__erasure_requests') }}
    where customer_id is not null

),

crm_versions as (

    select
        {{ cx360_erasure_id('customer_id') }} as customer_id,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone
    from {{ source('crm', 'crm_customers') }}

),

requested_versions as (

    select
        crm_versions.email,
        crm_versions.phone
    from crm_versions
    inner join requests on crm_versions.customer_id = requests.customer_id

),

erased_customers as (

    select customer_id from requests

    union

    select crm_versions.customer_id
    from crm_versions
    inner join requested_versions on crm_versions.email = requested_versions.email

    union

    select crm_versions.customer_id
    from crm_versions
    inner join requested_versions on crm_versions.phone = requested_versions.phone

),

erased_versions as (

    select
        crm_versions.email,
        crm_versions.phone
    from crm_versions
    inner join erased_customers on crm_versions.customer_id = erased_customers.customer_id

),

identities as (

    select
        'customer_id' as identity_type,
        customer_id as identity_value
    from erased_customers
    where customer_id is not null

    union

    select
        'email' as identity_type,
        email as identity_value
    from erased_versions
    where email is not null

    union

    select
        'phone' as identity_type,
        phone as identity_value
    from erased_versions
    where phone is not null

)

select
    identity_type,
    identity_value,
    -- what staging writes in place of the value under erasure_policy anonymise
    {{ cx360_erased_key('identity_value') }} as erased_key
from identities
