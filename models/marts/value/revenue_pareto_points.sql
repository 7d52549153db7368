-- Points of the Pareto curve: for each 10 % step of customers (ranked by revenue of the last 12
-- months), the share of revenue they bring. The 20 % point is the 20/80 rule's test.
with

concentration as (
    select * from {{ ref('revenue_concentration') }}
),

steps as (
    {%- for step in range(10, 101, 10) %}
    select {{ step }} as customer_share_point
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

reached as (
    select
        steps.customer_share_point,
        count(concentration.revenue_rank) as customers,
        max(concentration.cumulative_revenue_share) as revenue_share
    from steps
    left join concentration
        on steps.customer_share_point >= concentration.cumulative_customer_share
    group by steps.customer_share_point
)

select
    cast(customer_share_point as integer) as customer_share_point,
    cast(customers as {{ dbt.type_bigint() }}) as customers,
    cast(coalesce(revenue_share, 0) as {{ cx360_type_double() }}) as revenue_share
from reached
