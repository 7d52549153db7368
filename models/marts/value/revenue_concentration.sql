-- The 20/80 view: customers with revenue in the last 12 months (int_customer_value,
-- revenue_12m: the basis of value tiers) ranked by it, with their cumulative share of customers
-- and of revenue. is_pareto_top marks the top var pareto_top_customer_share (20 %) of them.
-- Customers with an erasure request stay in the curve without their id.
with

customer_value as (
    select * from {{ ref('int_customer_value') }}
    where revenue_12m > 0
),

erased_customers as (
    {{ cx360_erased_customer_keys() }}
),

ranked as (
    select
        customer_id,
        segment,
        value_tier,
        revenue_12m,
        row_number() over ({{ pareto_order('revenue_12m') }}) as revenue_rank,
        count(*) over () as customers,
        sum(revenue_12m) over () as total_revenue_12m,
        sum(revenue_12m) over (
            {{ pareto_order('revenue_12m') }}
            rows between unbounded preceding and current row
        ) as cumulative_revenue_12m
    from customer_value
),

final as (
    select
        case when erased_customers.customer_id is null then ranked.customer_id end
            as customer_id,
        cast(ranked.revenue_rank as {{ dbt.type_bigint() }}) as revenue_rank,
        ranked.segment,
        ranked.value_tier,
        cast(ranked.revenue_12m as numeric(18, 4)) as revenue_12m,
        cast(ranked.cumulative_revenue_12m as numeric(18, 4)) as cumulative_revenue_12m,
        {{ kpi_ratio('ranked.revenue_rank', 'ranked.customers', 100) }}
            as cumulative_customer_share,
        {{ kpi_ratio('ranked.cumulative_revenue_12m', 'ranked.total_revenue_12m', 100) }}
            as cumulative_revenue_share,
        {{ is_pareto_top('ranked.revenue_rank', 'ranked.customers') }} as is_pareto_top
    from ranked
    left join erased_customers
        on ranked.customer_id = erased_customers.customer_id
)

select * from final
