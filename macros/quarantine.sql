{#-
    The quarantine framework: every rejected row, whichever stage rejected it, ends up in
    audit.quarantine with these columns (in this order):

      table_name     raw contract table of the row
      batch_name     batch file of the row (lineage _batch_name)
      source_row     1-based record number within the batch file (lineage _source_row)
      source_line    CSV line number (landing only; null for dbt rules)
      reason_code    a code of seed quarantine_reason_codes
      column_name    the column at fault, when there is one
      reason_detail  human-readable explanation
      record_key     the row's contract key, parts joined with '|' (dbt rules only)
-#}

{#-
    Select the quarantined rows of one dbt rule in the audit.quarantine shape. `rule` is one
    entry of the rule list in models/audit/quarantine.sql:

      model           the model holding the verdict (required)
      table_name      raw contract table its rows come from (required unless shaped)
      key_columns     the contract key columns, for record_key (required unless shaped)
      reason_column   column holding the reason code, null when valid (default quarantine_reason)
      column_name     SQL expression for the column at fault (default quarantine_column;
                      none -> null)
      reason_detail   SQL expression for the explanation (default quarantine_detail; none -> null)
      shaped          true when the model already has exactly the audit.quarantine columns

    A rule model must carry the lineage columns _batch_name and _source_row.
-#}
{% macro quarantine_rule_rows(rule) -%}
    {%- if rule.get('shaped', false) %}
    select
        {{ quarantine_columns() | join(',\n        ') }}
    from {{ ref(rule['model']) }}
    {%- else -%}
    {%- set reason_column = rule.get('reason_column', 'quarantine_reason') -%}
    {%- set column_name = rule.get('column_name', 'quarantine_column') -%}
    {%- set reason_detail = rule.get('reason_detail', 'quarantine_detail') -%}
    {%- set key_parts = [] -%}
    {%- for key_column in rule['key_columns'] -%}
        {%- if not loop.first %}{% do key_parts.append("'|'") %}{% endif -%}
        {%- do key_parts.append(dbt.cast(key_column, dbt.type_string())) -%}
    {%- endfor -%}
    {%- set record_key = dbt.concat(key_parts) if key_parts | length > 1 else key_parts[0] %}
    select
        {{ quarantine_cast("'" ~ rule['table_name'] ~ "'", 'string') }} as table_name,
        {{ quarantine_cast('_batch_name', 'string') }} as batch_name,
        {{ quarantine_cast('_source_row', 'int') }} as source_row,
        {{ quarantine_cast('null', 'int') }} as source_line,
        {{ quarantine_cast(reason_column, 'string') }} as reason_code,
        {{ quarantine_cast(column_name or 'null', 'string') }} as column_name,
        {{ quarantine_cast(reason_detail or 'null', 'string') }} as reason_detail,
        {{ quarantine_cast(record_key, 'string') }} as record_key
    from {{ ref(rule['model']) }}
    where {{ reason_column }} is not null
    {%- endif -%}
{%- endmacro %}


{#- The audit.quarantine column names, in order. -#}
{% macro quarantine_columns() -%}
    {{ return([
        'table_name', 'batch_name', 'source_row', 'source_line',
        'reason_code', 'column_name', 'reason_detail', 'record_key',
    ]) }}
{%- endmacro %}


{#- One type per quarantine column on every engine, so the union's branches line up. -#}
{% macro quarantine_cast(expression, kind) -%}
    cast({{ expression }} as {{ dbt.type_bigint() if kind == 'int' else dbt.type_string() }})
{%- endmacro %}
