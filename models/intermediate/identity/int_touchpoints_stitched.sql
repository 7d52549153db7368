{#-
    Identity stitching for every source whose rows may name their customer only by e-mail or
    phone (survey answers, support tickets, interactions). One row per source row with the
    attributed CRM customer and the rule that found it:

      customer_id       the row's own customer_id, known in the CRM
      unknown_customer  the row's customer_id is not in the CRM: quarantined, never re-attributed
      email             no customer_id; the normalised e-mail identifies exactly one customer
      phone             no customer_id; e-mail did not identify one customer, the phone does
      ambiguous         no identifier identifies exactly one customer, but one is shared by several
      unmatched         no identifier known in the CRM (or none given)

    Precedence is customer_id, then e-mail, then phone: a phone only decides when the e-mail is
    absent, unknown or ambiguous, so an e-mail match always wins over a conflicting phone match.
-#}

with

crm_customers as (

    select customer_id from {{ ref('stg_crm__customers') }}

),

identities as (

    select * from {{ ref('int_customer_identities') }}

),

survey_answers as (

    select
        'survey_answers' as source,
        'survey_responses' as table_name,
        {{ dbt.concat(['response_id', "'|'", 'question_id']) }} as record_key,
        customer_id as source_customer_id,
        respondent_email as email,
        cast(null as {{ dbt.type_string() }}) as phone,
        _batch_name,
        _source_row

    from {{ ref('int_survey_answers_checked') }}
    -- rows already quarantined upstream (unknown question, score out of range) are not stitched
    where quarantine_reason is null

),

tickets as (

    select
        'tickets' as source,
        'support_tickets' as table_name,
        ticket_id as record_key,
        customer_id as source_customer_id,
        requester_email as email,
        requester_phone as phone,
        _batch_name,
        _source_row

    from {{ ref('stg_support__tickets') }}

),

interactions as (

    select
        'interactions' as source,
        'interactions' as table_name,
        interaction_id as record_key,
        customer_id as source_customer_id,
        contact_email as email,
        contact_phone as phone,
        _batch_name,
        _source_row

    from {{ ref('stg_interactions__interactions') }}

),

source_rows as (

    select * from survey_answers
    union all
    select * from tickets
    union all
    select * from interactions

),

stitched as (

    select
        source_rows.source,
        source_rows.table_name,
        source_rows.record_key,
        source_rows.source_customer_id,
        source_rows._batch_name,
        source_rows._source_row,
        case
            when source_rows.source_customer_id is not null then crm_customers.customer_id
            when email_identity.customer_id is not null then email_identity.customer_id
            when phone_identity.customer_id is not null then phone_identity.customer_id
        end as customer_id,
        case
            when
                source_rows.source_customer_id is not null
                and crm_customers.customer_id is not null
                then 'customer_id'
            when source_rows.source_customer_id is not null then 'unknown_customer'
            when email_identity.customer_id is not null then 'email'
            when phone_identity.customer_id is not null then 'phone'
            when email_identity.is_ambiguous or phone_identity.is_ambiguous then 'ambiguous'
            else 'unmatched'
        end as attribution_rule

    from source_rows
    left join crm_customers
        on source_rows.source_customer_id = crm_customers.customer_id
    left join identities as email_identity
        on
            email_identity.identity_type = 'email'
            and source_rows.email = email_identity.identity_value
    left join identities as phone_identity
        on
            phone_identity.identity_type = 'phone'
            and source_rows.phone = phone_identity.identity_value

)

select * from stitched
