{#-
    The value tier each customer had in each month (point in time), for the historical
    breakdowns of fct_kpi: the tier of month M ranks customers by their revenue of the 12 months
    before M's first day, [M - 12 months, M), with the one value tier rule (macro value_tiers).
    It is known when M starts, so a customer's churn or answers in M do not move it. One row per
    customer and month in which the customer had positive revenue in those 12 months, up to the
    as-of month; a customer without a row in a month is in the last tier (rest) then.
-#}

with

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

customer_month_revenue as (
    select
        customer_id,
        {{ kpi_period_start('month', to_reporting_time('revenue_at')) }} as revenue_month,
        sum({{ cx360_exact('amount_reporting') }}) as revenue
    from {{ ref('int_revenue_lines') }}
    group by customer_id, {{ kpi_period_start('month', to_reporting_time('revenue_at')) }}
),

month_offsets as (
    -- a month's revenue counts in the tier of each of the 12 months after it
    select generated_number as month_offset
    from ({{ dbt.generate_series(12) }}) as series
),

customer_revenue_12m as (
    select
        customer_month_revenue.customer_id,
        cast(
            {{ dbt.dateadd(
                'month', 'month_offsets.month_offset', 'customer_month_revenue.revenue_month'
            ) }} as date
        ) as month_start,
        sum(customer_month_revenue.revenue) as revenue_12m
    from customer_month_revenue
    cross join month_offsets
    cross join as_of
    where
        {{ dbt.dateadd(
            'month', 'month_offsets.month_offset', 'customer_month_revenue.revenue_month'
        ) }} <= as_of.as_of_date
    group by
        customer_month_revenue.customer_id,
        cast(
            {{ dbt.dateadd(
                'month', 'month_offsets.month_offset', 'customer_month_revenue.revenue_month'
            ) }} as date
        )
),

tiers as (
    select * from (
        {{ value_tiers('customer_revenue_12m', partition_by=['month_start']) | indent(8) }}
    ) as tiers
)

select
    tiers.customer_id,
    tiers.month_start,
    customer_revenue_12m.revenue_12m,
    tiers.value_tier
from tiers
inner join customer_revenue_12m
    on
        tiers.customer_id = customer_revenue_12m.customer_id
        and tiers.month_start = customer_revenue_12m.month_start
