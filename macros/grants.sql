{#-
    Read-only BI access (Postgres): role var('bi_role') (default cx360_bi) may read every table
    and view of the published schemas var('bi_readable_schemas') (default [marts]) and nothing
    else: no usage on raw, staging, intermediate, reference or audit, no write anywhere.

    Called from the on-run-end hook in dbt_project.yml. dbt rebuilds tables by create + rename,
    which drops their grants, so the hook grants again after every run. In a write-audit-publish
    build (schemas built as `marts__build`, macros/generate_schema_name.sql) it grants select on
    the build schema's tables but not usage on the schema: BI cannot read a build that has not
    passed validation; cx360.publish grants usage in the transaction that swaps it in. DuckDB has no roles (BI
    reads the published file, read-only) and Spark's session catalog has no grants: both no-op.
-#}
{% macro cx360_grant_bi_access() -%}
    {{ return(adapter.dispatch('cx360_grant_bi_access', 'cx360')()) }}
{%- endmacro %}

{% macro default__cx360_grant_bi_access() -%}
    select 1 as bi_grants_not_applicable_on_this_engine
{%- endmacro %}

{% macro postgres__cx360_grant_bi_access() -%}
    {#- declared in dbt_project.yml, with no copy of their defaults here -#}
    {%- set role = var('bi_role') -%}
    {%- set readable = var('bi_readable_schemas') -%}
    {%- set suffix = cx360_build_schema_suffix() -%}
    {%- set internal = var('bi_denied_schemas') -%}
    do $cx360_bi$
    begin
        -- the role is cluster-wide: another database's run may create it at the same moment
        begin
            create role {{ adapter.quote(role) }} login nosuperuser nocreatedb nocreaterole
                noinherit;
        exception when duplicate_object or unique_violation then null;
        end;
        {%- for schema in internal %}
        if exists (select from pg_namespace where nspname = '{{ schema }}') then
            revoke all on schema {{ adapter.quote(schema) }} from {{ adapter.quote(role) }};
            revoke all on all tables in schema {{ adapter.quote(schema) }}
                from {{ adapter.quote(role) }};
        end if;
        {%- endfor %}
        {%- for published in readable %}
        {%- set schema = published ~ suffix %}
        if exists (select from pg_namespace where nspname = '{{ schema }}') then
            revoke create on schema {{ adapter.quote(schema) }} from {{ adapter.quote(role) }};
            {%- if suffix %}
            revoke usage on schema {{ adapter.quote(schema) }} from {{ adapter.quote(role) }};
            {%- else %}
            grant usage on schema {{ adapter.quote(schema) }} to {{ adapter.quote(role) }};
            {%- endif %}
            grant select on all tables in schema {{ adapter.quote(schema) }}
                to {{ adapter.quote(role) }};
        end if;
        {%- endfor %}
    end
    $cx360_bi$
{%- endmacro %}
