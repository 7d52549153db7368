{#-
    Incremental facts that stay identical to a full refresh (docs/reliability.md).

    A fact row can change at any age, not only when it is recent: a late or updated source row
    (new version of its key), a re-attribution (identity stitching learns an e-mail), a customer
    attribute joined in (segment, value tier), an erasure. A lookback window on event time
    would miss the old ones. So an incremental run writes exactly the rows that differ from the
    stored table, found by comparison (EXCEPT, which treats nulls as equal), and deletes the
    keys that are no longer upstream:

        {{ config(
            materialized=cx360_fact_materialization(),
            unique_key='interaction_id',
            incremental_strategy='delete+insert',
            on_schema_change='append_new_columns',
            post_hook="{{ cx360_delete_vanished_rows(['interaction_id'], 'int_interactions_attributed') }}",
        ) }}
        ...
        select * from ({{ cx360_changed_rows('final') }}) as changed_rows

    Everything upstream is still computed in full (intermediate models are tables), so the run
    saves the fact table rewrite: on a day of new data only the new and changed rows are
    written. Spark's session catalog has no delete+insert: the facts stay tables there.
-#}

{% macro cx360_fact_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}


{#- The rows of CTE `relation` that are new or changed since the last run (all on a full run). -#}
{% macro cx360_changed_rows(relation) -%}
    {#- a column the stored table lacks yet (added to the model): every row must be rewritten #}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list if is_incremental() and execute else [] -%}
    {%- set added = model.columns.keys() | map('lower') | reject('in', stored) | list
        if is_incremental() and execute else [] -%}
    {%- if is_incremental() and not added %}
    {#- columns by name on both sides: a column appended to the stored table sits at its end #}
    select {{ model.columns.keys() | join(', ') }} from {{ relation }}
    except
    select {{ model.columns.keys() | join(', ') }} from {{ this }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}


{#-
    Post-hook: delete the rows whose key the model no longer produces (erased customer, row now
    quarantined). `upstream_model` is the ref the fact has one row per row of. `erasable`: the
    fact drops the rows of erased customers (cx360_erased_customer_keys), which under
    erasure_policy anonymise stay upstream under a surrogate: an upstream row of theirs does
    not keep a stored row.
-#}
{% macro cx360_delete_vanished_rows(key_columns, upstream_model, erasable=false) -%}
    {%- if is_incremental() -%}
    delete from {{ this }} as stored
    where not exists (
        select 1 from {{ ref(upstream_model) }} as upstream
        where
        {%- for key in key_columns %}
            {{ "and " if not loop.first }}upstream.{{ key }} = stored.{{ key }}
        {%- endfor %}
        {%- if erasable %}
            and (
                upstream.customer_id is null
                or upstream.customer_id not in ({{ cx360_erased_customer_keys() }})
            )
        {%- endif %}
    )
    {%- else -%}
    select 1 as nothing_to_delete_on_a_full_refresh
    {%- endif -%}
{%- endmacro %}
