-- Revenue per customer: net revenue within the period (paid invoices + completed orders, in the
-- reporting currency) / customers with revenue within the period. One event per customer and
-- period (a customer paying twice in a month is one customer), so each grain is summed apart.
-- value_tier is the tier the customer had in the period's first month; grain all uses today's.
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
        {% if grain == 'all' -%}
        customer_value.value_tier,
        {%- else -%}
        -- the tier the customer had in the period's first month (point in time)
        coalesce(monthly_tiers.value_tier, {{ value_tier_unranked() }}) as value_tier,
        {%- endif %}
        customer_revenue.first_revenue_at,
        customer_revenue.revenue as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_revenue_{{ grain }} as customer_revenue
    left join customer_value
        on customer_revenue.customer_id = customer_value.customer_id
    {%- if grain != 'all' %}
    left join {{ ref('int_customer_value_tiers_monthly') }} as monthly_tiers
        on
            customer_revenue.customer_id = monthly_tiers.customer_id
            and {{ kpi_period_start('month', 'customer_revenue.period_start') }}
            = monthly_tiers.month_start
    {%- endif %}
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
