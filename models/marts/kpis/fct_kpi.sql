-- One conformed KPI table (kpis.md, "fct_kpi"): one row per KPI, period and dimension value.
-- Each KPI is computed by its own model in models/intermediate/kpis (built with the kpi_facts
-- macro, unit-tested there); this model only stacks them.
{%- set kpi_models = [
    'int_kpi_nps',
    'int_kpi_csat',
    'int_kpi_ces',
    'int_kpi_loyalty_index',
    'int_kpi_pillar_score',
    'int_kpi_employee_engagement',
    'int_kpi_churn_rate',
    'int_kpi_retention_rate',
    'int_kpi_referral_rate',
    'int_kpi_cac',
    'int_kpi_clv_historical',
    'int_kpi_mttr_hours',
    'int_kpi_first_response_hours',
    'int_kpi_first_contact_resolution_rate',
    'int_kpi_complaint_rate',
    'int_kpi_revenue_share_top20',
    'int_kpi_customer_counts',
    'int_kpi_review_rating',
] %}

with

stacked as (
    {%- for kpi_model in kpi_models %}
    select
        kpi_name,
        period_grain,
        period_start,
        dimension_name,
        dimension_value,
        numerator,
        denominator,
        value,
        sample_size,
        unit
    from {{ ref(kpi_model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(period_grain as {{ dbt.type_string() }}) as period_grain,
    cast(period_start as date) as period_start,
    cast(dimension_name as {{ dbt.type_string() }}) as dimension_name,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(numerator as {{ cx360_type_double() }}) as numerator,
    cast(denominator as {{ cx360_type_double() }}) as denominator,
    -- the column name `value` is set by kpis.md
    cast(value as {{ cx360_type_double() }}) as value,  -- noqa: RF04
    cast(sample_size as {{ dbt.type_bigint() }}) as sample_size,
    cast(unit as {{ dbt.type_string() }}) as unit
from stacked
