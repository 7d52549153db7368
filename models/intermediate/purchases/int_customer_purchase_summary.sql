{#-
    What the purchase model (cx360/purchase_model.py, BG/NBD + Gamma-Gamma) is fitted on: one
    row per customer with a completed order up to the as-of day. A purchase is a day with
    completed orders (several orders of one day are one purchase, as in the CDNOW studies).
      frequency       repeat purchases: purchase days - 1
      recency_weeks   weeks from the first to the last purchase day (t_x)
      t_weeks         weeks from the first purchase day to the as-of day (T)
      monetary_value  mean revenue of the repeat purchase days (reporting currency); null
                      without a repeat purchase (Gamma-Gamma is fitted on repeat spend only)
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

purchase_customers as (

    select customer_id
    from {{ ref('int_customer_business_model') }}
    where follows = 'purchase'

),

purchase_days as (

    select
        revenue_lines.customer_id,
        cast(revenue_lines.revenue_at as date) as purchase_on,
        sum(revenue_lines.amount_reporting) as day_revenue

    from {{ ref('int_revenue_lines') }} as revenue_lines
    inner join purchase_customers
        on revenue_lines.customer_id = purchase_customers.customer_id
    cross join as_of
    where
        revenue_lines.source = 'order'
        and revenue_lines.revenue_at < as_of.as_of_end
    group by revenue_lines.customer_id, cast(revenue_lines.revenue_at as date)

),

ranked as (

    select
        customer_id,
        purchase_on,
        day_revenue,
        row_number() over (partition by customer_id order by purchase_on) as purchase_number

    from purchase_days

),

summary as (

    select
        ranked.customer_id,
        as_of.as_of_date,
        min(ranked.purchase_on) as first_purchase_on,
        max(ranked.purchase_on) as last_purchase_on,
        count(*) - 1 as frequency,
        avg(case when ranked.purchase_number > 1 then ranked.day_revenue end) as monetary_value

    from ranked
    cross join as_of
    group by ranked.customer_id, as_of.as_of_date

),

typed as (

    select
        customer_id,
        as_of_date,
        first_purchase_on,
        last_purchase_on,
        cast(frequency as {{ dbt.type_int() }}) as frequency,
        cast(
            {{ dbt.datediff('first_purchase_on', 'last_purchase_on', 'day') }} / 7.0  -- noqa: LT05
            as {{ cx360_type_double() }}
        ) as recency_weeks,
        cast(
            {{ dbt.datediff('first_purchase_on', 'as_of_date', 'day') }} / 7.0  -- noqa: LT05
            as {{ cx360_type_double() }}
        ) as t_weeks,
        cast(monetary_value as {{ cx360_type_double() }}) as monetary_value

    from summary

)

select * from typed
