-- The 20/80 rule per period: share (percent) of the period's revenue that comes from the top
-- var pareto_top_customer_share of customers ranked by their revenue in that period. The
-- ranked population is the customers with positive net revenue in the period; the top count
-- is rounded up (ceil), so a period with any revenue has at least one top customer.
{%- set grains = ['month', 'quarter', 'all'] %}
with

revenue_lines as (
    select
        customer_id,
        amount_reporting,
        {{ to_reporting_time('revenue_at') }} as revenue_at
    from {{ ref('int_revenue_lines') }}
),

{% for grain in grains %}
customer_revenue_{{ grain }} as (
    select
        customer_id,
        {{ kpi_period_start(grain, 'revenue_at') }} as period_start,
        sum({{ cx360_exact('amount_reporting') }}) as revenue
    from revenue_lines
    group by
        customer_id{% if grain != 'all' %},
        {{ kpi_period_start(grain, 'revenue_at') }}{% endif %}
),

ranked_{{ grain }} as (
    select
        period_start,
        revenue,
        row_number() over (
            partition by period_start {{ pareto_order('revenue') }}
        ) as revenue_rank,
        count(*) over (partition by period_start) as customers
    from customer_revenue_{{ grain }}
    where revenue > 0
),

events_{{ grain }} as (
    select
        period_start as period_at,
        case
            when {{ is_pareto_top('revenue_rank', 'customers') }}
                then revenue
            else 0
        end as kpi_numerator,
        revenue as kpi_denominator,
        1 as kpi_sample
    from ranked_{{ grain }}
){% if not loop.last %},{% endif %}
{% endfor %}

{% for grain in grains %}
{{ kpi_facts('revenue_share_top20', 'events_' ~ grain, unit='percent', grains=[grain],
    multiplier=100) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
