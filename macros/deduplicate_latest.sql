{#-
    Keep the current version of each key: the row with the latest `updated_at` (null counts as
    oldest), then the latest batch (batch names order lexically), then the last row in file
    order. Returns a complete select statement over `relation` (a CTE name or a relation),
    listing `columns` explicitly so the ranking column does not leak into the model.

    order_column=none for tables without `updated_at`: batch and file order decide alone.
    Batch names compare by byte order on every engine (cx360_binary_sort_key).
    Written without QUALIFY, which Postgres and Spark SQL lack; NULLS LAST spelled out because
    Postgres sorts nulls first in descending order.
-#}
{% macro deduplicate_latest(relation, key_columns, columns, order_column='updated_at') -%}
    {%- set ordering = [] -%}
    {%- if order_column is not none -%}
        {%- do ordering.append(order_column ~ ' desc nulls last') -%}
    {%- endif -%}
    {%- do ordering.append(cx360_binary_sort_key('_batch_name') ~ ' desc nulls last') -%}
    {%- do ordering.append('_source_row desc nulls last') -%}
    select
        {%- for column in columns %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            *,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by {{ ordering | join(', ') }}
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}
