{#-
    One row per acquired customer and calendar month, from the month of acquisition to the
    as-of month: the customer states churn and retention are computed from (kpis.md churn_rate).

    A contract covers day d when started_at <= d and (ended_at is null or d < ended_at): ended_at
    is the first day no longer covered. active_at_month_start = a contract covers the month's
    first day (S); active_at_month_end = a contract covers the month's last day (of S, those not
    active then are L). The as-of month is not over: its "end" is the as-of day, flagged by
    is_complete_month = false, so churn in it is provisional.
    segment and value_tier are the customer's current ones (as of int_as_of).
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

customer_value as (

    select
        customer_id,
        segment,
        value_tier,
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
        customer_value.value_tier,
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
        acquisition_months.value_tier,
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
        customer_id,
        segment,
        value_tier,
        acquisition_month,
        month_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'month_start')) }} as date
        ) as month_last_day,
        as_of_date

    from customer_months

),

evaluated_months as (

    select
        customer_id,
        segment,
        value_tier,
        acquisition_month,
        month_start,
        month_last_day,
        -- the as-of month is judged on the as-of day, not on a day that has not happened yet
        least(month_last_day, as_of_date) as evaluated_last_day

    from month_bounds

),

customer_month_states as (

    -- One pass: each grid row meets the contracts overlapping its month (left join, usually
    -- zero or one) and is aggregated back to one row. The other grid columns depend on
    -- (customer_id, month_start) alone, so min() only carries them through. (Aggregating the
    -- contracts first and joining the result back onto the grid cost a second hash join of the
    -- whole grid: docs/benchmarks.md.)
    select
        evaluated_months.customer_id,
        evaluated_months.month_start,
        min(evaluated_months.month_last_day) as month_last_day,
        min(evaluated_months.segment) as segment,
        min(evaluated_months.value_tier) as value_tier,
        -- complete when the as-of day did not cut the month short
        min(evaluated_months.month_last_day) = min(evaluated_months.evaluated_last_day)
            as is_complete_month,
        max(
            case
                when
                    contracts.started_at <= evaluated_months.month_start
                    and (
                        contracts.ended_at is null
                        or evaluated_months.month_start < contracts.ended_at
                    )
                    then 1
                else 0
            end
        ) = 1 as active_at_month_start,
        max(
            case
                when
                    contracts.started_at <= evaluated_months.evaluated_last_day
                    and (
                        contracts.ended_at is null
                        or evaluated_months.evaluated_last_day < contracts.ended_at
                    )
                    then 1
                else 0
            end
        ) = 1 as active_at_month_end,
        min(evaluated_months.acquisition_month) = evaluated_months.month_start as acquired_in_month

    from evaluated_months
    left join contracts
        on
            evaluated_months.customer_id = contracts.customer_id
            and evaluated_months.evaluated_last_day >= contracts.started_at
            and (
                contracts.ended_at is null
                or evaluated_months.month_start < contracts.ended_at
            )
    group by evaluated_months.customer_id, evaluated_months.month_start

)

select * from customer_month_states
