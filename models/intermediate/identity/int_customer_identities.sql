{#-
    Every normalised e-mail address and phone number known in the CRM, with the customer it
    identifies. An address shared by two or more customers (a family mailbox, a switchboard
    number) identifies nobody: customer_id is null and is_ambiguous is true, so rows carrying it
    are counted as ambiguous instead of being given to one of them at random.
-#}

with

customers as (

    select
        customer_id,
        email,
        phone

    from {{ ref('stg_crm__customers') }}

),

identity_claims as (

    select
        'email' as identity_type,
        email as identity_value,
        customer_id

    from customers
    where email is not null

    union all

    select
        'phone' as identity_type,
        phone as identity_value,
        customer_id

    from customers
    where phone is not null

),

identities as (

    select
        identity_type,
        identity_value,
        count(distinct customer_id) as customers_sharing,
        case when count(distinct customer_id) = 1 then min(customer_id) end as customer_id,
        count(distinct customer_id) > 1 as is_ambiguous

    from identity_claims
    group by identity_type, identity_value

)

select * from identities
