{#-
    The tables the purchase model step writes (cx360/purchase_model.py, schema purchase_model):
    read when they exist, an empty relation of the same shape when they do not (a dbt build run
    on its own, without the refresh's fit step, still builds; the predictions are then NULL).
-#}
{% macro cx360_purchase_predictions() %}
    {#- source() outside `execute` so the lineage (and Dagster) sees the dependency -#}
    {{ cx360_optional_source(source('purchase_model', 'customer_predictions'), [
        ('customer_id', dbt.type_string()),
        ('p_alive', cx360_type_double()),
        ('p_no_purchase_90d', cx360_type_double()),
        ('expected_purchases_12m', cx360_type_double()),
        ('expected_revenue_12m', cx360_type_double()),
        ('clv_predicted', cx360_type_double()),
        ('is_population_value', dbt.type_boolean()),
    ]) }}
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
