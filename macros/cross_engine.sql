{#-
    Functions whose spelling differs between DuckDB, Postgres and Spark, dispatched per adapter.
    dbt's own cross-database macros (dbt.concat, dbt.safe_cast, ...) cover the rest.
-#}

{#-
    Replace every match of a regular expression. DuckDB and Postgres replace only the first
    match unless given the 'g' flag; Spark always replaces every match and takes no flags.
-#}
{% macro cx360_regexp_replace_all(expression, pattern, replacement) -%}
    {%- set implementation = adapter.dispatch('cx360_regexp_replace_all', 'cx360') -%}
    {{ return(implementation(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__cx360_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__cx360_regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}


{#- Lower-case hexadecimal SHA-256 of a text expression (pseudonymous keys, content hashes). -#}
{% macro cx360_sha256(expression) -%}
    {{ return(adapter.dispatch('cx360_sha256', 'cx360')(expression)) }}
{%- endmacro %}

{% macro default__cx360_sha256(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__cx360_sha256(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__cx360_sha256(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}


{#-
    Cast to the SQL type of a contract type (cx360/contract/raw_contract.yml; docs/architecture.md
    lists the type per engine). Strings are not cast: they are normalised by the caller.
-#}
{% macro cx360_cast(expression, contract_type) -%}
    {%- set sql_types = {
        'int': dbt.type_bigint(),
        'decimal': 'decimal(18, 4)',
        'numeric': cx360_type_double(),
        'bool': dbt.type_boolean(),
        'date': 'date',
        'timestamp': dbt.type_timestamp(),
    } -%}
    {%- if contract_type == 'string' -%}
        {{ expression }}
    {%- elif contract_type in sql_types -%}
        cast({{ expression }} as {{ sql_types[contract_type] }})
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "cx360_cast: unknown contract type '" ~ contract_type ~ "' for " ~ expression
        ) }}
    {%- endif -%}
{%- endmacro %}


{#- 8-byte floating point. dbt.type_float() is 'float', which DuckDB reads as 4-byte REAL. -#}
{% macro cx360_type_double() -%}
    {{ return(adapter.dispatch('cx360_type_double', 'cx360')()) }}
{%- endmacro %}

{% macro default__cx360_type_double() -%}
    double
{%- endmacro %}

{% macro postgres__cx360_type_double() -%}
    double precision
{%- endmacro %}


{#-
    A text expression that sorts by byte (code point) order. Batch names order lexically; a
    Postgres database with a linguistic collation (en_US...) would ignore punctuation instead.
-#}
{% macro cx360_binary_sort_key(expression) -%}
    {{ return(adapter.dispatch('cx360_binary_sort_key', 'cx360')(expression)) }}
{%- endmacro %}

{% macro default__cx360_binary_sort_key(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__cx360_binary_sort_key(expression) -%}
    {{ expression }} collate "C"
{%- endmacro %}


{#-
    Seeds on Spark, session method: dbt-spark pastes each value into the insert statement as
    '<value>' (dbt/adapters/spark/session.py, _fix_binding): an apostrophe in a text ("the
    amount's currency") breaks the statement and an empty cell becomes the text 'None' instead
    of null (so empty rule conditions never match). In session mode the values are written as
    literals here: null for empty cells, quotes and backslashes escaped as Spark SQL expects.
    The other methods (thrift, http, odbc) bind parameters properly, as in dbt-spark's macro.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set inline = target.get('method') not in ('thrift', 'http', 'odbc') -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
        {%- do types.append(column_override.get(col_name, inferred_type)) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set bindings = [] -%}
        {%- set tuples = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- if not inline -%}
                    {%- do bindings.append(value) -%}
                    {%- do values.append('cast(' ~ get_binding_char() ~ ' as ' ~ types[loop.index0] ~ ')') -%}
                {%- elif value is none -%}
                    {%- do values.append('cast(null as ' ~ types[loop.index0] ~ ')') -%}
                {%- else -%}
                    {%- set text = (value | string) | replace('\\', '\\\\') | replace("'", "\\'") -%}
                    {%- do values.append("cast('" ~ text ~ "' as " ~ types[loop.index0] ~ ')') -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do tuples.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {{ tuples | join(',\n') }}
        {%- endset -%}
        {%- do adapter.add_query(sql, bindings=(bindings if not inline else none), abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
