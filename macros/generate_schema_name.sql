{#-
    Use a model's custom schema name as-is (raw, staging, intermediate, marts, audit, reference)
    instead of dbt's default "<target_schema>_<custom>": the published warehouse and BI grants
    rely on these exact schema names on every engine.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
