{#-
    Right to erasure (docs/reliability.md). A customer with a request in raw erasure_requests is
    handled in staging, the earliest layer: their rows are anonymised or dropped, as var
    erasure_policy says (cx360_erasure_applied, below), so no model downstream sees who they
    were. Their rows are:

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


{#-
    What erasure leaves of a person in the aggregates: the dbt var `erasure_policy`
    (dbt_project.yml, docs/reliability.md "Erasure and published history").

      anonymise (default): the erased person's rows stay in staging as an anonymous
        contribution. Every identity column naming them (customer id, e-mail, phone) holds
        cx360_erased_key() of the value instead, and the other personal columns of a row
        naming them (contract `personal`: names, birth date, free text, another address) are
        emptied. The rows still join to each other (the same person's contracts, invoices
        and answers share one surrogate), so every aggregate (fct_kpi, cohorts, value tiers, revenue concentration) is computed
        exactly as before the request and published history does not move. The marts that
        hold a customer or a source row (customer_360, fct_customer_months, the row facts)
        drop surrogate customers (cx360_erased_customer_keys): no key, no row, no attribute
        of the person is published.
      remove: the rows are dropped (cx360_not_erased): the person is also gone from every
        aggregate, and the published history of past periods is recomputed without them.

    cx360_erasure_applied(relation, table): the staging step after deduplication, per policy.
-#}
{% macro cx360_erasure_applied(relation, table_name) -%}
    {%- set policy = var('erasure_policy') -%}
    {%- if policy == 'remove' %}
    select * from {{ relation }}
    where {{ cx360_not_erased(table_name) }}
    {%- elif policy == 'anonymise' -%}
    {{ cx360_anonymised(relation, table_name) }}
    {%- else -%}
    {{ exceptions.raise_compiler_error(
        "var erasure_policy is '" ~ policy ~ "': it must be anonymise or remove") }}
    {%- endif -%}
{%- endmacro %}


{#- The surrogate an erased identity takes in staging: a digest of its normalised value (the
    same for every spelling, so the person's rows still join), prefixed so a reader of the
    internal layers sees what it is. Internal only: the marts drop it
    (cx360_erased_customer_keys). -#}
{% macro cx360_erased_key(normalised_value) -%}
    {{ dbt.concat(["'erased:'", 'md5(' ~ normalised_value ~ ')']) }}
{%- endmacro %}


{#-
    Left joins, not IN subqueries: Spark allows IN subqueries in a WHERE only, and here the
    match decides a projected value. stg_privacy__erased_identities has one row per
    (identity_type, identity_value), so a join never multiplies a row.
-#}
{% macro cx360_anonymised(relation, table_name) -%}
    {%- set spec = cx360_erasure_columns()[table_name] -%}
    {%- set kinds = {} -%}
    {%- for kind in ['customer', 'email', 'phone'] -%}
        {%- for column in spec[kind] -%}
            {%- do kinds.update({column: kind}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set matched = [] -%}
    {%- for column in kinds -%}
        {%- do matched.append('erased_' ~ column ~ '.erased_key is not null') -%}
    {%- endfor -%}
    {%- set columns = cx360_contract_table(table_name)['columns'] | map('first') | list %}
    select
    {%- for column in columns %}
        {%- if column in kinds and column in spec['personal'] %}
        coalesce(
            erased_{{ column }}.erased_key,
            case when {{ matched | join(' or ') }} then null else kept.{{ column }} end
        ) as {{ column }},
        {%- elif column in kinds %}
        coalesce(erased_{{ column }}.erased_key, kept.{{ column }}) as {{ column }},
        {%- elif column in spec['personal'] %}
        case when {{ matched | join(' or ') }} then null else kept.{{ column }} end
            as {{ column }},
        {%- else %}
        kept.{{ column }},
        {%- endif %}
    {%- endfor %}
        kept._batch_name,
        kept._source_row
    from {{ relation }} as kept
    {%- for column, kind in kinds.items() %}
    left join {{ ref('stg_privacy__erased_identities') }} as erased_{{ column }}
        on
            erased_{{ column }}.identity_type = '{{ 'customer_id' if kind == 'customer' else kind }}'
            and erased_{{ column }}.identity_value = {{
                cx360_erasure_id('kept.' ~ column) if kind == 'customer' else 'kept.' ~ column }}
    {%- endfor %}
{%- endmacro %}


{#-
    The customer keys the marts must not publish: every erased customer's surrogate (policy
    anonymise) and, as a second guard, each requested id as delivered. A customer-grain mart
    drops these customers; a mart of source rows drops their rows.
-#}
{% macro cx360_erased_customer_keys() -%}
    {{ cx360_erased_customer_surrogates() }}
    union
    select customer_id
    from {{ ref('stg_privacy__erasure_requests') }}
    where customer_id is not null {#- never null: callers use NOT IN #}
{%- endmacro %}


{#-
    The surrogate key of each erased customer (policy anonymise: the customer id their rows
    carry in staging and the intermediate models; kpi_reporting_window counts them, and
    cx360.validation leaves them out of the customers customer_360 must hold).
-#}
{% macro cx360_erased_customer_surrogates() -%}
    select erased_key as customer_id
    from {{ ref('stg_privacy__erased_identities') }}
    where identity_type = 'customer_id'
{%- endmacro %}
