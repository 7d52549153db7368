{#-
    Landing's audit records that name an erased customer, one row per record and audit table:
    records rejected at landing (landing.landing_quarantine) and fields landed NULL
    (landing.landing_field_issues, which hold the row's key and the raw value, e.g. a birth
    date). They are left out of audit.quarantine and out of the published audit tables
    (cx360/erasure.py). A rejected record is kept as
    delivered, so it is searched as text, normalised the way erasure compares each identity:
    ids and e-mails inside the record without whitespace and case; phones by their national
    number inside the record's digits ('06.62.42.82.72' and '+33 6 62 ...' both hold 662428272).
    A different value that merely contains an erased one is dropped too: the safe side for
    personal data. Internal: never published.
-#}

{%- set country_code = var('default_phone_country_code', '33') %}

with

quarantined as (

    select distinct
        'landing_quarantine' as audit_table,
        batch_name,
        source_line,
        source_row,
        {{ cx360_erasure_id(dbt.concat([
            "coalesce(raw_record, '')", "' '", "coalesce(reason_detail, '')"
        ])) }} as record_text,
        {{ cx360_regexp_replace_all(dbt.concat([
            "coalesce(raw_record, '')", "' '", "coalesce(reason_detail, '')"
        ]), '[^0-9]', '') }} as record_digits
    from {{ source('landing', 'landing_quarantine') }}

    union all

    select distinct
        'landing_field_issues' as audit_table,
        batch_name,
        source_line,
        source_row,
        {{ cx360_erasure_id(dbt.concat([
            "coalesce(key_value, '')", "' '", "coalesce(raw_value, '')"
        ])) }} as record_text,
        {{ cx360_regexp_replace_all(dbt.concat([
            "coalesce(key_value, '')", "' '", "coalesce(raw_value, '')"
        ]), '[^0-9]', '') }} as record_digits
    from {{ source('landing', 'landing_field_issues') }}

),

erased as (

    select
        identity_type,
        identity_value,
        case
            when identity_type = 'phone' and identity_value like '{{ country_code }}%'
                then substr(identity_value, {{ country_code | length + 1 }})
            else identity_value
        end as searched_value
    from {{ ref('stg_privacy__erased_identities') }}

),

matched as (

    select
        quarantined.audit_table,
        quarantined.batch_name,
        quarantined.source_line,
        quarantined.source_row
    from quarantined
    inner join erased
        on (
            erased.identity_type in ('customer_id', 'email')
            and {{ dbt.position('erased.searched_value', 'quarantined.record_text') }} > 0
        )
        or (
            erased.identity_type = 'phone'
            and length(erased.searched_value) >= 6
            and {{ dbt.position('erased.searched_value', 'quarantined.record_digits') }} > 0
        )

)

select distinct
    audit_table,
    batch_name,
    source_line,
    source_row
from matched
