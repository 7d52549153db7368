-- Value tiers (top_20 / next_30 / rest by revenue of the last 12 months, int_customer_value):
-- customers, revenue and each tier's share of customers and revenue.
with

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

tiers as (
    select
        value_tier,
        count(*) as customers,
        sum(revenue_12m) as revenue_12m,
        sum(revenue_lifetime) as revenue_lifetime
    from customer_value
    group by value_tier
),

totals as (
    select
        sum(customers) as customers,
        sum(revenue_12m) as revenue_12m
    from tiers
)

select
    tiers.value_tier,
    cast(tiers.customers as {{ dbt.type_bigint() }}) as customers,
    cast(tiers.revenue_12m as numeric(18, 4)) as revenue_12m,
    cast(tiers.revenue_lifetime as numeric(18, 4)) as revenue_lifetime,
    {{ kpi_ratio('tiers.customers', 'totals.customers', 100) }} as customer_share,
    {{ kpi_ratio('tiers.revenue_12m', 'totals.revenue_12m', 100) }} as revenue_share,
    {{ kpi_ratio('tiers.revenue_12m', 'tiers.customers') }} as revenue_12m_per_customer
from tiers
cross join totals
