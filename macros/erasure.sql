{#-
    Right to erasure (docs/reliability.md). A customer with a request in raw erasure_requests is
    removed in staging, the earliest layer, so every model downstream (attribution, facts, KPIs,
    customer_360) is computed without them:

      - rows whose customer column names an erased customer;
      - rows with no customer column set that are known only by an erased customer's e-mail or
        phone (any address or number the CRM ever held for them).

    Matching is by identity, with staging's normalisation (e-mails normalize_email, phones
    normalize_phone: '+33 6 12 ...', '06.12...' and '0033 6...' are one number), and ids
    compared by cx360_erasure_id: every whitespace removed and case folded, so '\tc0001 ' is
    C0001. Folding case is the safe side for personal data: an id differing from an erased one
    only in case is treated as that person. A CRM record under another id holding an erased
    e-mail or phone is the same person registering again: it is erased too
    (stg_privacy__erased_identities).

    cx360_erasure_columns(): per raw table, which columns identify the customer ('contact_of':
    the customer column(s) of the person the e-mail/phone columns belong to, default all; an
    empty list: the e-mail/phone are the row's own, they always decide), as the contract
    declares them (`identifies`, `contact_of` in cx360/contract/raw_contract.yml).
    cx360_not_erased(table_name): a boolean SQL condition over those columns (normalised as in
    staging), true when the row may be kept. Uncorrelated IN subqueries: portable to DuckDB,
    Postgres and Spark. stg_privacy__erased_identities has no null identity_value, so NOT IN is
    safe.
-#}

{#-
    An id as erasure compares it: without spaces, tabs, line breaks or no-break spaces
    (replace + chr: the same on DuckDB, Postgres and Spark, where regex escapes differ), lower
    case; empty -> null.
-#}
{% macro cx360_erasure_id(expression) -%}
    {%- set stripped = namespace(sql=expression) -%}
    {%- for code in [9, 10, 13, 32, 160] -%}
        {%- set stripped.sql = "replace(" ~ stripped.sql ~ ", chr(" ~ code ~ "), '')" -%}
    {%- endfor -%}
    lower(nullif({{ stripped.sql }}, ''))
{%- endmacro %}


{#- cx360_erasure_columns(): who a raw row identifies, per table (the contract's `identifies`
    and `contact_of`), generated into macros/contract_tables.sql. -#}


{#-
    `normalised`: true over staging columns (already normalised); false over raw columns, which
    are then normalised here the way staging does it.
-#}
{% macro cx360_not_erased(table_name, normalised=true) -%}
    {%- set spec = cx360_erasure_columns()[table_name] -%}
    {%- set erased = ref('stg_privacy__erased_identities') -%}
    {%- set conditions = [] -%}
    {%- for column in spec['customer'] -%}
        {%- do conditions.append(
            "coalesce(" ~ cx360_erasure_id(column) ~ ", '') not in (select identity_value from "
            ~ erased ~ " where identity_type = 'customer_id')"
        ) -%}
    {%- endfor -%}
    {#- e-mail/phone decide only for rows where the person they belong to has no customer id -#}
    {%- set no_customer = [] -%}
    {%- for column in spec.get('contact_of', spec['customer']) -%}
        {%- do no_customer.append(column ~ " is null") -%}
    {%- endfor -%}
    {%- for kind in ['email', 'phone'] -%}
        {%- for column in spec[kind] -%}
            {%- if normalised -%}
                {%- set value = column -%}
            {%- elif kind == 'email' -%}
                {%- set value = normalize_email(column) -%}
            {%- else -%}
                {%- set value = normalize_phone(column) -%}
            {%- endif -%}
            {%- set kept = "coalesce(" ~ value ~ ", '') not in (select identity_value from "
                ~ erased ~ " where identity_type = '" ~ kind ~ "')" -%}
            {%- if no_customer -%}
                {%- do conditions.append("not (" ~ (no_customer | join(' and ')) ~ ") or " ~ kept) -%}
            {%- else -%}
                {%- do conditions.append(kept) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    ({{ conditions | join(')\n        and (') }})
{%- endmacro %}
