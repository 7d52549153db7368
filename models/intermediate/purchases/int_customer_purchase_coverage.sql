{#-
    When a customer who follows the purchase model counts as active (docs/clv.md, "Activity"):
    periods [covered_from, covered_until) like contract coverage, one per purchase day, which
    int_customer_status and int_customer_months read next to the contracts.

    After a purchase day d_k the customer has x = k - 1 repeat purchases and recency
    t_x = d_k - d_1; BG/NBD's P(alive) then falls as T (weeks since d_1) grows:
        P(alive) = 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ^ (r + x)),  x > 0
    The customer is active while P(alive) >= var p_alive_active_threshold (theta), i.e. until
        T* = (alpha + t_x) * ((1 / theta - 1) * (b + x - 1) / a) ^ (1 / (r + x)) - alpha
    (no later than the next purchase, which starts the next period; purchases after the as-of
    day are not known). The parameters are those of the last fit (cx360/purchase_model.py), applied to every past day as well.
    BG/NBD lets nobody drop out before a first repeat purchase (P(alive) = 1 at x = 0), so a
    one-time buyer, and every purchase while the model is not fitted, covers the
    var purchase_active_days days after it (the rule of customers who only buy one-off).
-#}

{%- set parameters = cx360_bgnbd_parameters() -%}
{#- not fitted: the case below never applies (the values only keep the SQL valid) -#}
{%- set fitted = 'true' if parameters is not none else 'false' -%}
{%- set p = parameters if parameters is not none else {'r': 1, 'alpha': 1, 'a': 1, 'b': 1} -%}
{%- set theta = var('p_alive_active_threshold') -%}

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

    select distinct
        revenue_lines.customer_id,
        cast(revenue_lines.revenue_at as date) as purchase_on

    from {{ ref('int_revenue_lines') }} as revenue_lines
    inner join purchase_customers
        on revenue_lines.customer_id = purchase_customers.customer_id
    cross join as_of
    where
        revenue_lines.source = 'order'
        and revenue_lines.revenue_at < as_of.as_of_end

),

histories as (

    select
        customer_id,
        purchase_on,
        row_number() over (partition by customer_id order by purchase_on) - 1 as repeat_purchases,
        min(purchase_on) over (partition by customer_id) as first_purchase_on,
        lead(purchase_on) over (partition by customer_id order by purchase_on) as next_purchase_on

    from purchase_days

),

alive_weeks as (

    -- T* in weeks after the first purchase; null where the fallback window applies
    select
        customer_id,
        purchase_on,
        first_purchase_on,
        next_purchase_on,
        case
            when {{ fitted }} and repeat_purchases > 0
                then
                    (
                        {{ p['alpha'] }}
                        + {{ dbt.datediff('first_purchase_on', 'purchase_on', 'day') }} / 7.0  -- noqa: LT05
                    )
                    * power(
                        {{ 1 / theta - 1 }} * ({{ p['b'] }} + repeat_purchases - 1) / {{ p['a'] }},
                        1.0 / ({{ p['r'] }} + repeat_purchases)
                    )
                    - {{ p['alpha'] }}
        end as alive_until_week

    from histories

),

alive_days as (

    select
        customer_id,
        purchase_on,
        first_purchase_on,
        next_purchase_on,
        -- days after the first purchase; capped (a century) so the cast cannot overflow
        cast(floor(least(alive_until_week, 5200.0) * 7) as {{ dbt.type_int() }})
            as alive_until_day

    from alive_weeks

),

ends as (

    select
        customer_id,
        purchase_on,
        next_purchase_on,
        case
            when alive_until_day is null
                then {{ dbt.dateadd('day', var('purchase_active_days'), 'purchase_on') }}
            -- active at least on the purchase day itself
            else greatest(
                {{ dbt.dateadd('day', 'alive_until_day', 'first_purchase_on') }},
                {{ dbt.dateadd('day', 1, 'purchase_on') }}
            )
        end as alive_until

    from alive_days

),

coverage as (

    -- a period ends at the next purchase at the latest: that purchase starts the next one
    select
        customer_id,
        purchase_on as covered_from,
        cast(
            case
                when next_purchase_on is not null and next_purchase_on < alive_until
                    then next_purchase_on
                else alive_until
            end as date
        ) as covered_until

    from ends

)

select * from coverage
