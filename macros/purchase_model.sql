{#-
    The tables the purchase model step writes (cx360/purchase_model.py, schema purchase_model):
    read when they exist, an empty relation of the same shape when they do not (a dbt build run
    on its own, without the refresh's fit step, still builds; the predictions are then NULL).
-#}
{% macro cx360_purchase_predictions() %}
    {#- source() outside `execute` so the lineage (and Dagster) sees the dependency -#}
    {%- set declared = source('purchase_model', 'customer_predictions') -%}
    {%- if declared.schema is none -%}
        {#- a unit test: source() is the test's fixture -#}
        {%- set relation = declared -%}
    {%- else -%}
        {%- set relation = adapter.get_relation(
            database=declared.database, schema=declared.schema, identifier=declared.identifier
        ) if execute else none -%}
    {%- endif -%}
    {%- if relation is not none -%}
        select
            cast(customer_id as {{ dbt.type_string() }}) as customer_id,
            cast(p_alive as {{ cx360_type_double() }}) as p_alive,
            cast(expected_purchases_12m as {{ cx360_type_double() }}) as expected_purchases_12m,
            cast(expected_revenue_12m as {{ cx360_type_double() }}) as expected_revenue_12m,
            cast(clv_predicted as {{ cx360_type_double() }}) as clv_predicted,
            cast(is_population_value as {{ dbt.type_boolean() }}) as is_population_value
        from {{ relation }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as {{ cx360_type_double() }}) as p_alive,
            cast(null as {{ cx360_type_double() }}) as expected_purchases_12m,
            cast(null as {{ cx360_type_double() }}) as expected_revenue_12m,
            cast(null as {{ cx360_type_double() }}) as clv_predicted,
            cast(null as {{ dbt.type_boolean() }}) as is_population_value
        where 1 = 0
    {%- endif -%}
{% endmacro %}

{#- The fitted BG/NBD parameters {r, alpha, a, b} of the last fit, or none (not fitted). -#}
{% macro cx360_bgnbd_parameters() %}
    {%- set declared = source('purchase_model', 'parameters') -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if declared.schema is none -%}
        {{ return(none) }}  {#- a unit test: no fitted parameters -#}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=declared.database, schema=declared.schema, identifier=declared.identifier
    ) -%}
    {%- if relation is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select parameter, value from " ~ relation
        ~ " where model = 'bgnbd' and value is not null"
    ) -%}
    {%- set parameters = {} -%}
    {%- for row in found.rows -%}
        {%- do parameters.update({row[0]: row[1] | float}) -%}
    {%- endfor -%}
    {{ return(parameters if parameters | length == 4 else none) }}
{% endmacro %}
