-- Every KPI model of models/intermediate/kpis stacked (each built with the kpi_facts macro and
-- unit-tested beside it): the rows fct_kpi publishes before their periods are judged complete.
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
    'int_kpi_revenue_per_customer',
    'int_kpi_mttr_hours',
    'int_kpi_first_response_hours',
    'int_kpi_first_contact_resolution_rate',
    'int_kpi_complaint_rate',
    'int_kpi_revenue_share_top20',
    'int_kpi_customer_counts',
    'int_kpi_review_rating',
] %}

{% for kpi_model in kpi_models %}
select
    kpi_name,
    period_grain,
    period_start,
    dimension_name,
    dimension_value,
    numerator,
    denominator,
    value,
    ci_low,
    ci_high,
    sample_size,
    unit,
    data_start_date
from {{ ref(kpi_model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
