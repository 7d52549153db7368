-- Historical customer lifetime value: net revenue to date (paid invoices + completed orders, in
-- the reporting currency) / customers with any revenue to date.
--   grain all    all the data: lifetime revenue / customers with any revenue
--   grain month  to the end of each month: revenue up to then / customers with revenue up to then
-- Lifetime value to date, cumulative by definition (revenue_per_customer is the per-period KPI).
-- value_tier per month is the tier the customer had in that month; grain all uses today's.
with

revenue_lines as (
    select
        customer_id,
        amount_reporting,
        {{ kpi_period_start('month', to_reporting_time('revenue_at')) }} as month_start
    from {{ ref('int_revenue_lines') }}
),

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

customer_month_revenue as (
    select
        customer_id,
        month_start,
        sum({{ cx360_exact('amount_reporting') }}) as revenue
    from revenue_lines
    group by customer_id, month_start
),

customer_first_month as (
    select
        customer_id,
        min(month_start) as first_month
    from customer_month_revenue
    group by customer_id
),

-- Every month of the data, also those in which a customer paid nothing (the total carries on).
months as (
    select distinct month_start from {{ ref('int_customer_months') }}
    union
    select distinct month_start from customer_month_revenue
),

customer_months_to_date as (
    select
        customer_first_month.customer_id,
        months.month_start,
        sum(coalesce(customer_month_revenue.revenue, 0)) over (
            partition by customer_first_month.customer_id
            order by months.month_start
            rows between unbounded preceding and current row
        ) as revenue_to_date
    from customer_first_month
    inner join months
        on customer_first_month.first_month <= months.month_start
    left join customer_month_revenue
        on
            customer_first_month.customer_id = customer_month_revenue.customer_id
            and months.month_start = customer_month_revenue.month_start
),

month_events as (
    select
        customer_months_to_date.month_start as period_at,
        customer_value.segment,
        -- the tier the customer had in that month (point in time)
        coalesce(monthly_tiers.value_tier, {{ value_tier_unranked() }}) as value_tier,
        customer_months_to_date.revenue_to_date as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_months_to_date
    left join customer_value
        on customer_months_to_date.customer_id = customer_value.customer_id
    left join {{ ref('int_customer_value_tiers_monthly') }} as monthly_tiers
        on
            customer_months_to_date.customer_id = monthly_tiers.customer_id
            and customer_months_to_date.month_start = monthly_tiers.month_start
),

lifetime_events as (
    select
        cast(null as date) as period_at,
        customer_value.segment,
        customer_value.value_tier,
        customer_lifetime.revenue as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from (
        select
            customer_id,
            sum(revenue) as revenue
        from customer_month_revenue
        group by customer_id
    ) as customer_lifetime
    left join customer_value
        on customer_lifetime.customer_id = customer_value.customer_id
)

{{ kpi_facts(
    'clv_historical', 'month_events', unit='currency',
    dimensions=['segment', 'value_tier'], grains=['month'], ci='normal'
) }}
union all
{{ kpi_facts(
    'clv_historical', 'lifetime_events', unit='currency',
    dimensions=['segment', 'value_tier'], grains=['all'], ci='normal'
) }}
