{#-
    One row per CRM customer: acquisition and revenue as of int_as_of, and the value tier.

    acquired_at: the first contract start or the first completed order (purchase), whichever is
    first, on or before the as-of day; null for prospects.
    value_tier: customers with positive revenue in the 12 months up to the as-of day are ranked
    by that revenue; a customer's tier is the first tier of seed value_tier_thresholds (in
    max_share_ranked_above order) whose max_share_ranked_above exceeds the share of ranked
    customers with strictly more revenue. Ties therefore share the higher tier. Customers without
    positive revenue fall in the last tier.
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

customers as (

    select
        customer_id,
        segment,
        acquisition_channel

    from {{ ref('stg_crm__customers') }}

),

first_contracts as (

    select
        contracts.customer_id,
        min(contracts.started_at) as first_contract_started_at

    from {{ ref('stg_crm__contracts') }} as contracts
    cross join as_of
    where contracts.started_at <= as_of.as_of_date
    group by contracts.customer_id

),

first_purchases as (

    select
        orders.customer_id,
        min(orders.ordered_at) as first_purchase_at

    from {{ ref('stg_billing__orders') }} as orders
    cross join as_of
    where orders.status = 'completed' and orders.ordered_at < as_of.as_of_end
    group by orders.customer_id

),

revenue as (

    select
        revenue_lines.customer_id,
        sum({{ cx360_exact('revenue_lines.amount_reporting') }}) as revenue_lifetime,
        sum(
            case
                when
                    revenue_lines.revenue_at
                    >= {{ dbt.dateadd('month', -12, 'as_of.as_of_end') }}
                    then {{ cx360_exact('revenue_lines.amount_reporting') }}
                else 0
            end
        ) as revenue_12m

    from {{ ref('int_revenue_lines') }} as revenue_lines
    cross join as_of
    where revenue_lines.revenue_at < as_of.as_of_end
    group by revenue_lines.customer_id

),

customer_revenue as (

    select
        customers.customer_id,
        customers.segment,
        customers.acquisition_channel,
        first_contracts.first_contract_started_at,
        first_purchases.first_purchase_at,
        case
            when first_contracts.first_contract_started_at is null
                then first_purchases.first_purchase_at
            when first_purchases.first_purchase_at is null
                then cast(first_contracts.first_contract_started_at as {{ dbt.type_timestamp() }})
            else least(
                cast(first_contracts.first_contract_started_at as {{ dbt.type_timestamp() }}),
                first_purchases.first_purchase_at
            )
        end as acquired_at,
        cast(coalesce(revenue.revenue_lifetime, 0) as {{ dbt.type_numeric() }}) as revenue_lifetime,
        cast(coalesce(revenue.revenue_12m, 0) as {{ dbt.type_numeric() }}) as revenue_12m

    from customers
    left join first_contracts
        on customers.customer_id = first_contracts.customer_id
    left join first_purchases
        on customers.customer_id = first_purchases.customer_id
    left join revenue
        on customers.customer_id = revenue.customer_id

),

tiers as (

    select * from (
        {{ value_tiers('customer_revenue') | indent(8) }}
    ) as tiers

),

valued as (

    select
        customer_revenue.customer_id,
        customer_revenue.segment,
        customer_revenue.acquisition_channel,
        customer_revenue.acquired_at,
        customer_revenue.first_contract_started_at,
        customer_revenue.first_purchase_at,
        customer_revenue.revenue_lifetime,
        customer_revenue.revenue_12m,
        tiers.value_tier

    from customer_revenue
    left join tiers
        on customer_revenue.customer_id = tiers.customer_id

)

select * from valued
