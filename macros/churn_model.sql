{#-
    The churn risk calibration `cx360 backtest --calibrate` writes (cx360/backtest.py, schema
    churn_model): one logistic-regression coefficient per term (the intercept and each risk
    factor) of churn within horizon_months, fitted on the customers active at cutoff_date. Read
    when it exists, an empty relation of the same shape when it does not (no calibration: the
    churn probability of contract customers stays NULL and says so).
-#}
{% macro cx360_churn_calibration() %}
    {#- source() outside `execute` so the lineage (and Dagster) sees the dependency -#}
    {%- set declared = source('churn_model', 'calibration') -%}
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
            cast(term as {{ dbt.type_string() }}) as term,
            cast(coefficient as {{ cx360_type_double() }}) as coefficient,
            cast(horizon_months as {{ dbt.type_int() }}) as horizon_months,
            cast(cutoff_date as date) as cutoff_date
        from {{ relation }}
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as term,
            cast(null as {{ cx360_type_double() }}) as coefficient,
            cast(null as {{ dbt.type_int() }}) as horizon_months,
            cast(null as date) as cutoff_date
        where 1 = 0
    {%- endif -%}
{% endmacro %}
