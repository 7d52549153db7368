-- Revenue per customer: net revenue within the period (paid invoices + completed orders, in the
-- reporting currency) / customers with revenue within the period. One event per customer and
-- period (a customer paying twice in a month is one customer), so each grain is summed apart.
{%- set grains = var('kpi_period_grains') %}
with

revenue_lines as (
    select
        customer_id,
        amount_reporting,
        {{ to_reporting_time('revenue_at') }} as revenue_at
    from {{ ref('int_revenue_lines') }}
),

customer_value as (
    select
        customer_id,
        segment,
        value_tier
    from {{ ref('int_customer_value') }}
),

{% for grain in grains %}
customer_revenue_{{ grain }} as (
    select
        customer_id,
        {{ kpi_period_start(grain, 'revenue_at') }} as period_start,
        min(revenue_at) as first_revenue_at,
        sum({{ cx360_exact('amount_reporting') }}) as revenue
    from revenue_lines
    group by
        customer_id{% if grain != 'all' %},
        {{ kpi_period_start(grain, 'revenue_at') }}{% endif %}
),

events_{{ grain }} as (
    select
        cast(customer_revenue.period_start as {{ dbt.type_timestamp() }}) as period_at,
        customer_value.segment,
        customer_value.value_tier,
        customer_revenue.first_revenue_at,
        customer_revenue.revenue as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_revenue_{{ grain }} as customer_revenue
    left join customer_value
        on customer_revenue.customer_id = customer_value.customer_id
){% if not loop.last %},{% endif %}
{% endfor %}

{% for grain in grains %}
{{ kpi_facts(
    'revenue_per_customer', 'events_' ~ grain, unit='currency',
    dimensions=['segment', 'value_tier'], grains=[grain], ci='normal',
    data_start_at='first_revenue_at'
) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
