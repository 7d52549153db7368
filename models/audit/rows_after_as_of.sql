{#-
    Facts dated after the as-of day (int_as_of), per table and date column: held for a later run,
    not used as part of any period up to the as-of day. fct_kpi publishes no period starting
    after the as-of day, so a few stray late rows neither move the as-of day nor create months
    of their own; this table says how many there are and why they wait.
-#}
{%- set facts = [
    ('crm_customers', 'stg_crm__customers', 'created_at'),
    ('crm_customers', 'stg_crm__customers', 'updated_at'),
    ('crm_contracts', 'stg_crm__contracts', 'started_at'),
    ('crm_contracts', 'stg_crm__contracts', 'ended_at'),
    ('interactions', 'stg_interactions__interactions', 'occurred_at'),
    ('support_tickets', 'stg_support__tickets', 'opened_at'),
    ('survey_responses', 'int_survey_answers_checked', 'answered_at'),
    ('billing_invoices', 'stg_billing__invoices', 'issued_at'),
    ('billing_invoices', 'stg_billing__invoices', 'paid_at'),
    ('billing_orders', 'stg_billing__orders', 'ordered_at'),
] %}

with

as_of as (
    select * from {{ ref('int_as_of') }}
),

late_rows as (
    {%- for table_name, model, column in facts %}
    select
        cast('{{ table_name }}' as {{ dbt.type_string() }}) as table_name,
        cast('{{ column }}' as {{ dbt.type_string() }}) as column_name,
        cast(facts.{{ column }} as date) as fact_day
    from {{ ref(model) }} as facts
    cross join as_of
    where cast(facts.{{ column }} as date) > as_of.as_of_date
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    late_rows.table_name,
    late_rows.column_name,
    count(*) as row_count,
    min(late_rows.fact_day) as first_day,
    max(late_rows.fact_day) as last_day,
    cast('after_as_of_day' as {{ dbt.type_string() }}) as reason_code,
    cast(
        {{ dbt.concat([
            "'dated after the as-of day '",
            "cast(max(as_of.as_of_date) as " ~ dbt.type_string() ~ ")",
            "': held for a later run, in no period up to it'",
        ]) }} as {{ dbt.type_string() }}
    ) as reason_detail
from late_rows
cross join as_of
group by late_rows.table_name, late_rows.column_name
