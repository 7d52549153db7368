{#-
    A table written outside dbt (a model fit, a calibration), declared as `declared` (a
    source()): its `columns` [(name, SQL type)] cast, read when it exists, or an empty relation
    of the same shape when it does not (a dbt build on its own still builds). In a unit test
    source() is the test's fixture and is read as it is.
-#}
{% macro cx360_optional_source(declared, columns) %}
    {%- if declared.schema is none -%}
        {%- set relation = declared -%}
    {%- else -%}
        {%- set relation = adapter.get_relation(
            database=declared.database, schema=declared.schema, identifier=declared.identifier
        ) if execute else none -%}
    {%- endif -%}
    select
    {%- for name, type in columns %}
        cast({{ name if relation is not none else 'null' }} as {{ type }}) as {{ name }}
        {{- "," if not loop.last }}
    {%- endfor %}
    {%- if relation is not none %}
    from {{ relation }}
    {%- else %}
    where 1 = 0
    {%- endif -%}
{% endmacro %}
