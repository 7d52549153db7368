{#-
    The vocabulary the raw contract declares for 'table.column': the meta `values` of that
    column in the raw dbt source (models/staging/*/_*__sources.yml, kept equal to
    cx360/contract/raw_contract.yml by tests/test_contract_sync.py). Fails compilation when the
    column is unknown or declares no vocabulary, so a test never passes on an empty list.
-#}
{% macro cx360_contract_values(contract_column) %}
    {%- if not execute -%}
        {{ return(['']) }}
    {%- endif -%}
    {%- set table_name, column_name = contract_column.split('.') -%}
    {%- set found = namespace(values=none) -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.schema == 'raw' and node.name == table_name
            and column_name in node.columns -%}
            {%- set found.values = node.columns[column_name].meta.get('values') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not found.values -%}
        {{ exceptions.raise_compiler_error(
            "cx360_contract_values: the raw contract declares no vocabulary for "
            ~ contract_column
        ) }}
    {%- endif -%}
    {{ return(found.values) }}
{% endmacro %}
