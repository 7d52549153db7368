{#-
    The churn risk calibration `cx360 backtest --calibrate` writes (cx360/backtest.py, schema
    churn_model): one logistic-regression coefficient per term (the intercept and each risk
    factor) of churn within horizon_months, fitted on the customers active at cutoff_date. Read
    when it exists, an empty relation of the same shape when it does not (no calibration: the
    churn probability of contract customers stays NULL and says so).
-#}
{% macro cx360_churn_calibration() %}
    {#- source() outside `execute` so the lineage (and Dagster) sees the dependency -#}
    {{ cx360_optional_source(source('churn_model', 'calibration'), [
        ('term', dbt.type_string()),
        ('coefficient', cx360_type_double()),
        ('horizon_months', dbt.type_int()),
        ('cutoff_date', 'date'),
    ]) }}
{% endmacro %}
