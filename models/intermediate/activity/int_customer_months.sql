{#-
    One row per acquired customer and calendar month, from the month of acquisition to the
    as-of month: the customer states churn and retention are computed from (kpis.md churn_rate).

    Coverage: contracts, and the purchase coverage periods of customers who follow the purchase
    model (int_customer_purchase_coverage), read alike. A contract covers day d when started_at <= d and (ended_at is null or d < ended_at): ended_at
    is the first day no longer covered. active_at_month_start = a contract covers the month's
    first day (S); active_at_month_end = a contract covers the first day of the next month, i.e.
    the customer is still active when the month is over (of S, those not active then are L, kpis.md
    churn_rate): a contract whose last covered day is the month's last day churns in that month.
    The as-of month is not over: it is judged on the day after the as-of day (a contract covering
    the as-of day and ending then counts as lost), flagged by is_complete_month = false, so churn
    in it is provisional.
    value_tier is the tier the customer had in the month (int_customer_value_tiers_monthly:
    ranked by revenue of the 12 months before it); segment is the current one (the CRM keeps no
    segment history).
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

customer_value as (

    select
        customer_id,
        segment,
        acquired_at

    from {{ ref('int_customer_value') }}
    where acquired_at is not null

),

contracts as (

    select
        customer_id,
        started_at,
        ended_at

    from {{ ref('stg_crm__contracts') }}

    union all

    -- customers who follow the purchase model: active while P(alive) holds (docs/clv.md)
    select
        customer_id,
        covered_from as started_at,
        covered_until as ended_at

    from {{ ref('int_customer_purchase_coverage') }}

),

coverage as (

    -- Disjoint periods [covered_from, covered_until): a day lies in at most one of them, so a
    -- grid row meets at most one per day it is checked on and needs no aggregate afterwards.
    {{ coverage_spells('contracts') }}

),

month_offsets as (

    -- 0, 1, 2, ...: months after the acquisition month (var max_history_months bounds history)
    select generated_number - 1 as month_offset
    from ({{ dbt.generate_series(var('max_history_months')) }}) as series

),

acquisition_months as (

    select
        customer_value.customer_id,
        customer_value.segment,
        cast({{ dbt.date_trunc('month', 'customer_value.acquired_at') }} as date)
            as acquisition_month,
        as_of.as_of_date

    from customer_value
    cross join as_of

),

customer_months as (

    select
        acquisition_months.customer_id,
        acquisition_months.segment,
        acquisition_months.acquisition_month,
        acquisition_months.as_of_date,
        cast(
            {{ dbt.dateadd(
                'month', 'month_offsets.month_offset', 'acquisition_months.acquisition_month'
            ) }} as date
        ) as month_start

    from acquisition_months
    inner join month_offsets
        on
            month_offsets.month_offset
            <= {{ dbt.datediff(
                'acquisition_months.acquisition_month', 'acquisition_months.as_of_date', 'month'
            ) }}  -- noqa: LT05

),

month_bounds as (

    select
        customer_months.customer_id,
        customer_months.segment,
        coalesce(monthly_tiers.value_tier, {{ value_tier_unranked() }}) as value_tier,
        customer_months.acquisition_month,
        customer_months.month_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'customer_months.month_start')) }}
            as date
        ) as month_last_day,
        customer_months.as_of_date

    from customer_months
    left join {{ ref('int_customer_value_tiers_monthly') }} as monthly_tiers
        on
            customer_months.customer_id = monthly_tiers.customer_id
            and customer_months.month_start = monthly_tiers.month_start

),

evaluated_months as (

    select
        customer_id,
        segment,
        value_tier,
        acquisition_month,
        month_start,
        month_last_day,
        month_last_day = least(month_last_day, as_of_date) as is_complete_month,
        -- still active once the month is over: covered on the next month's first day; the as-of
        -- month is judged on the day after the as-of day, not on a day further ahead
        cast(
            {{ dbt.dateadd('day', 1, 'least(month_last_day, as_of_date)') }} as date
        ) as evaluated_day

    from month_bounds

),

customer_month_states as (

    -- Two lookups of one disjoint coverage period each (month start, evaluated day): the
    -- grid streams through both joins. (The first version joined the grid to the raw contracts
    -- and aggregated back to one row per customer and month: a hash aggregate over every grid
    -- row, which spilled for 15 minutes at 10 M customers; docs/benchmarks.md.)
    select
        evaluated_months.customer_id,
        evaluated_months.month_start,
        evaluated_months.month_last_day,
        evaluated_months.segment,
        evaluated_months.value_tier,
        -- complete when the as-of day did not cut the month short
        evaluated_months.is_complete_month,
        coverage_at_start.customer_id is not null as active_at_month_start,
        coverage_at_end.customer_id is not null as active_at_month_end,
        -- churned in the month (kpis.md churn's L), the one definition every model reads:
        -- active on its first day, not once it is over
        (
            coverage_at_start.customer_id is not null
            and coverage_at_end.customer_id is null
        ) as churned_in_month,
        evaluated_months.acquisition_month = evaluated_months.month_start as acquired_in_month

    from evaluated_months
    left join coverage as coverage_at_start
        on
            evaluated_months.customer_id = coverage_at_start.customer_id
            and evaluated_months.month_start >= coverage_at_start.covered_from
            and evaluated_months.month_start < coverage_at_start.covered_until
    left join coverage as coverage_at_end
        on
            evaluated_months.customer_id = coverage_at_end.customer_id
            and evaluated_months.evaluated_day >= coverage_at_end.covered_from
            and evaluated_months.evaluated_day < coverage_at_end.covered_until

)

select * from customer_month_states
