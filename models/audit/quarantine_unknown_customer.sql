{#-
    Quarantine rule unknown_customer: rows whose customer_id is not a CRM customer
    (stg_crm__customers). Such rows are left out of every customer model instead of being
    re-attributed by e-mail or phone: the source named a customer we do not know.
    Shaped as audit.quarantine (macros/quarantine.sql), one rule entry in quarantine.sql.
-#}

with

crm_customers as (

    select customer_id from {{ ref('stg_crm__customers') }}

),

stitched_unknown as (

    -- survey answers, tickets and interactions (int_touchpoints_stitched applies the rule)
    select
        table_name,
        _batch_name,
        _source_row,
        source_customer_id as customer_id,
        record_key

    from {{ ref('int_touchpoints_stitched') }}
    where attribution_rule = 'unknown_customer'

),

{% set keyed_sources = [
    ('crm_contracts', 'stg_crm__contracts', 'contract_id'),
    ('billing_invoices', 'stg_billing__invoices', 'invoice_id'),
    ('billing_orders', 'stg_billing__orders', 'order_id'),
] %}

{% for table_name, model, key_column in keyed_sources %}
{{ table_name }}_unknown as (

    select
        '{{ table_name }}' as table_name,
        source_rows._batch_name,
        source_rows._source_row,
        source_rows.customer_id,
        source_rows.{{ key_column }} as record_key

    from {{ ref(model) }} as source_rows
    left join crm_customers
        on source_rows.customer_id = crm_customers.customer_id
    where source_rows.customer_id is not null and crm_customers.customer_id is null

),

{% endfor %}

unknown_rows as (

    select * from stitched_unknown
    {%- for table_name, model, key_column in keyed_sources %}
    union all
    select * from {{ table_name }}_unknown
    {%- endfor %}

),

shaped as (

    select
        {{ quarantine_cast('table_name', 'string') }} as table_name,
        {{ quarantine_cast('_batch_name', 'string') }} as batch_name,
        {{ quarantine_cast('_source_row', 'int') }} as source_row,
        {{ quarantine_cast('null', 'int') }} as source_line,
        {{ quarantine_cast("'unknown_customer'", 'string') }} as reason_code,
        {{ quarantine_cast("'customer_id'", 'string') }} as column_name,
        {{ quarantine_cast(
            dbt.concat(["'customer_id '", 'customer_id', "' is not in crm_customers'"]),
            'string',
        ) }} as reason_detail,
        {{ quarantine_cast('record_key', 'string') }} as record_key

    from unknown_rows

)

select * from shaped
