{#-
    Use a model's custom schema name as-is (raw, staging, intermediate, marts, audit, reference)
    instead of dbt's default "<target_schema>_<custom>": the published warehouse and BI grants
    rely on these exact schema names on every engine.

    Write-audit-publish on Postgres: the pipeline sets CX360_BUILD_SCHEMA_SUFFIX (`__build`,
    cx360.warehouse.Warehouse.build_schema_suffix), so the schemas BI reads
    (var bi_readable_schemas) are built as e.g. `marts__build`, validated there, and swapped in
    by cx360.publish in one transaction. A plain `dbt build` (no suffix) builds in place.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim in var('bi_readable_schemas', ['marts']) -%}
        {{ custom_schema_name | trim }}{{ cx360_build_schema_suffix() }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}


{% macro cx360_build_schema_suffix() -%}
    {{ return(env_var('CX360_BUILD_SCHEMA_SUFFIX', '')) }}
{%- endmacro %}


{#-
    on-run-start: a build schema left by a run that failed validation is emptied (dropped and
    created again: dbt created the schemas just before its hooks), so this build starts empty
    (incremental models then build in full: their stored state is the published schema, which a
    build must not touch) and holds no table of a model since removed, which publish would
    serve. Postgres in one hook statement; Spark one statement at a time (its SQL runs one per
    call), the hook itself then a no-op query.
-#}
{% macro cx360_reset_build_schemas() -%}
    {%- set resets = cx360_build_schema_suffix() and flags.WHICH in ('build', 'run', 'seed') -%}
    {%- if resets and target.type == 'postgres' -%}
        {%- for schema in var('bi_readable_schemas', ['marts']) -%}
            {%- set built = adapter.quote(schema ~ cx360_build_schema_suffix()) %}
            drop schema if exists {{ built }} cascade;
            create schema {{ built }};
        {% endfor -%}
    {%- else -%}
        {%- if resets and target.type == 'spark' and execute -%}
            {%- for schema in var('bi_readable_schemas', ['marts']) -%}
                {%- set built = adapter.quote(schema ~ cx360_build_schema_suffix()) -%}
                {%- do run_query('drop database if exists ' ~ built ~ ' cascade') -%}
                {%- do run_query('create database ' ~ built) -%}
            {%- endfor -%}
        {%- endif -%}
        select 1 as no_build_schema_to_reset
    {%- endif -%}
{%- endmacro %}
