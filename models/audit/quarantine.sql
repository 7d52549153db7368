{#-
    Every quarantined row, from landing and from every dbt rule, in one table (columns: see
    macros/quarantine.sql). To add a dbt rule, give its model a reason column (null = valid) and
    the lineage columns, then add one entry to `dbt_rules` below; see quarantine_rule_rows for
    the keys an entry takes. dbt unit tests need a fixture for every ref: add one (`rows: []`
    will do) to test_quarantine_unions_landing_and_rules in _audit__models.yml.
-#}

{%- set dbt_rules = [
    {
        'model': 'int_survey_answers_checked',
        'table_name': 'survey_responses',
        'key_columns': ['response_id', 'question_id'],
    },
    {
        'model': 'int_employee_answers_checked',
        'table_name': 'employee_survey_responses',
        'key_columns': ['response_id', 'question_id'],
        'column_name': "case quarantine_reason when 'score_out_of_range' then 'score'"
            ~ " else 'question_id' end",
        'reason_detail': none,
    },
    {
        'model': 'int_marketing_spend_converted',
        'table_name': 'marketing_spend',
        'key_columns': ['spend_date', 'channel', 'category'],
        'column_name': "'currency'",
        'reason_detail': none,
    },
    {'model': 'quarantine_unknown_customer', 'shaped': true},
    {'model': 'quarantine_unconvertible_currency', 'shaped': true},
    {'model': 'quarantine_time_order', 'shaped': true},
] %}

with

erased_records as (

    -- right to erasure: rejected records naming an erased customer are not kept here
    select
        batch_name,
        coalesce(source_line, -1) as source_line,
        coalesce(source_row, -1) as source_row
    from {{ ref('stg_privacy__erased_quarantine_records') }}
    where audit_table = 'landing_quarantine'

),

landing_quarantine as (

    select
        {{ quarantine_cast('table_name', 'string') }} as table_name,
        {{ quarantine_cast('batch_name', 'string') }} as batch_name,
        {{ quarantine_cast('source_row', 'int') }} as source_row,
        {{ quarantine_cast('source_line', 'int') }} as source_line,
        {{ quarantine_cast('reason_code', 'string') }} as reason_code,
        {{ quarantine_cast('column_name', 'string') }} as column_name,
        {{ quarantine_cast('reason_detail', 'string') }} as reason_detail,
        {{ quarantine_cast('null', 'string') }} as record_key

    from {{ source('landing', 'landing_quarantine') }} as landed
    where not exists (
        select 1 from erased_records
        where
            erased_records.batch_name = landed.batch_name
            and erased_records.source_line = coalesce(landed.source_line, -1)
            and erased_records.source_row = coalesce(landed.source_row, -1)
    )

),

{% for rule in dbt_rules %}
rule_{{ loop.index }} as (
    {{ quarantine_rule_rows(rule) }}
),

{% endfor %}
unioned as (

    select * from landing_quarantine
    {%- for rule in dbt_rules %}
    union all
    select * from rule_{{ loop.index }}
    {%- endfor %}

)

select * from unioned
