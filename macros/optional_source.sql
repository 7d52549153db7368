{#-
    A table written outside dbt (a model fit, a calibration), declared as `declared` (a
    source()): its `columns` [(name, SQL type)] cast, read when it exists, or an empty relation
    of the same shape when it does not (a dbt build on its own still builds); a column the
    table lacks (written by an older cx360) reads as NULL. In a unit test
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
    {#- a column a table written by an older cx360 lacks reads as NULL until the next write -#}
    {%- set present = none -%}
    {%- if relation is not none and declared.schema is not none -%}
        {%- set present = adapter.get_columns_in_relation(relation)
            | map(attribute='name') | map('lower') | list -%}
    {%- endif -%}
    select
    {%- for name, type in columns %}
        {%- set readable = relation is not none and (present is none or name in present) %}
        cast({{ name if readable else 'null' }} as {{ type }}) as {{ name }}
        {{- "," if not loop.last }}
    {%- endfor %}
    {%- if relation is not none %}
    from {{ relation }}
    {%- else %}
    where 1 = 0
    {%- endif -%}
{% endmacro %}
