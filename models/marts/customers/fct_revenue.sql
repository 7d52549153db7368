-- Revenue fact: one row per paid invoice (credit notes negative) and completed order of a known
-- customer, in the reporting currency. Rows with an unknown customer or an unconvertible
-- currency are in audit.quarantine instead. Revenue of customers with an erasure request stays
-- (totals must reconcile) without the link to the customer.
with

revenue_lines as (

    select * from {{ ref('int_revenue_lines') }}

),

erased_customers as (

    select distinct customer_id from {{ ref('stg_privacy__erasure_requests') }}

),

customer_value as (

    select
        customer_id,
        segment,
        value_tier

    from {{ ref('int_customer_value') }}

),

fct_revenue as (

    select
        cast(
            {{ dbt.concat(['revenue_lines.source', "':'", 'revenue_lines.source_id']) }} as varchar
        ) as revenue_line_id,
        cast(revenue_lines.source as varchar) as source,
        cast(revenue_lines.source_id as varchar) as source_id,
        cast(
            case when erased_customers.customer_id is null then revenue_lines.customer_id end
            as varchar
        ) as customer_id,
        cast(
            case when erased_customers.customer_id is null then revenue_lines.contract_id end
            as varchar
        ) as contract_id,
        cast(revenue_lines.revenue_at as timestamp) as revenue_at,
        cast(revenue_lines.revenue_at as date) as revenue_date,
        cast({{ dbt.date_trunc('month', 'revenue_lines.revenue_at') }} as date) as revenue_month,
        cast(revenue_lines.amount as numeric(18, 4)) as amount,
        cast(revenue_lines.currency as varchar) as currency,
        cast(revenue_lines.amount_reporting as numeric(18, 4)) as amount_reporting,
        cast(revenue_lines.channel as varchar) as channel,
        cast(revenue_lines.referral_id as varchar) as referral_id,
        cast(customer_value.segment as varchar) as segment,
        cast(customer_value.value_tier as varchar) as value_tier

    from revenue_lines
    left join customer_value
        on revenue_lines.customer_id = customer_value.customer_id
    left join erased_customers
        on revenue_lines.customer_id = erased_customers.customer_id

)

select * from fct_revenue
