{#-
    The staging models read their raw table through these two macros, so no staging model lists
    the contract's columns: they come from macros/contract_tables.sql, generated from
    cx360/contract/raw_contract.yml (python -m cx360.contract_sources --write).

    cx360_staged_columns(table, overrides={}): the select list of the raw columns, each read by
    its contract rule (macros/normalize.sql), then the landing lineage (_batch_name,
    _source_row). `overrides` maps a column to another expression where a model has a reason
    (billing_orders.status: absent means completed), said in the model.

    cx360_current_versions(relation, table): the current version of each key of the contract
    (macros/deduplicate_latest.sql): the latest updated_at where the table has one, then batch
    and file order.
-#}
{% macro cx360_staged_columns(table, overrides={}) -%}
    {%- set contract = cx360_contract_table(table) -%}
    {%- set names = contract['columns'] | map('first') | list -%}
    {%- for name in overrides if name not in names -%}
        {{ exceptions.raise_compiler_error(
            'cx360_staged_columns: override of ' ~ name ~ ', which ' ~ table
            ~ ' does not have in the raw contract') }}
    {%- endfor -%}
    {%- for name, type, rule in contract['columns'] %}
        {{ overrides[name] if name in overrides else cx360_staging_rule(name, type, rule) }} as {{ name }},
    {%- endfor %}
        _batch_name,
        _source_row
{%- endmacro %}


{% macro cx360_staging_rule(column, type, rule) -%}
    {%- if rule == 'cast' -%}
        {{ cx360_cast(column, type) }}
    {%- elif rule == 'text' -%}
        {{ clean_string(column) }}
    {%- elif rule == 'code' -%}
        {{ normalize_vocabulary(column) }}
    {%- elif rule == 'iso_code' -%}
        {{ normalize_iso_code(column) }}
    {%- elif rule == 'email' -%}
        {{ normalize_email(column) }}
    {%- elif rule == 'phone' -%}
        {{ normalize_phone(column) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            'cx360_staging_rule: no staging rule ' ~ rule ~ ' (column ' ~ column ~ ')') }}
    {%- endif -%}
{%- endmacro %}


{% macro cx360_current_versions(relation, table) -%}
    {%- set contract = cx360_contract_table(table) -%}
    {%- set columns = [] -%}
    {%- for name, type, rule in contract['columns'] -%}
        {%- do columns.append(name) -%}
    {%- endfor -%}
    {{ deduplicate_latest(
        relation,
        key_columns=contract['key'],
        columns=columns + ['_batch_name', '_source_row'],
        order_column=contract['ordered_by'],
    ) }}
{%- endmacro %}
