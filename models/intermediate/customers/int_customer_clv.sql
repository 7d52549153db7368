{#-
    Predicted customer lifetime value, one method per customer (docs/clv.md):
      follows = 'contract'  (int_customer_business_model) the retention-based contractual model
                            below;
      follows = 'purchase'  BG/NBD + Gamma-Gamma, fitted by the refresh's purchase model step
                            (cx360/purchase_model.py, read through macros/purchase_model.sql).
    Both give p_alive, expected_purchases_12m, expected_revenue_12m and clv_predicted.

    Contractual model:

      monthly_value       gross margin (var clv_gross_margin) x (recurring + one-off):
                          recurring = monthly_fee of the contracts running on the as-of day,
                          converted with the fx rate of that day (int_fx_rate_periods);
                          one-off = completed-order revenue of the last 12 months / 12
      monthly_retention   1 - L / S of the customer's segment over the last
                          var clv_retention_lookback_months complete months (int_customer_months)
      clv_predicted       monthly_value x sum over t = 1..H of (retention / (1 + d))^t, with H =
                          var clv_horizon_months and d the monthly rate of
                          var clv_annual_discount_rate; 0 for customers who are not active
      predicted_revenue_next_6m  the same without discount over 6 months (the back-test target)

    The geometric sum is written in closed form: q (1 - q^H) / (1 - q), or H when q = 1.
-#}

{%- set monthly_discount = (1 + var('clv_annual_discount_rate')) ** (1 / 12) - 1 -%}

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

),

recurring_fees as (

    -- what the running contracts will bill per month; a fee in a currency without a rate
    -- on the as-of day counts as 0 (its invoices are quarantined as unconvertible too)
    select
        contracts.customer_id,
        sum(
            contracts.monthly_fee
            * coalesce({{ rate_to_reporting('contracts.currency', 'fx_rate_periods') }}, 0.0)
        ) as monthly_fee_reporting

    from {{ ref('stg_crm__contracts') }} as contracts
    cross join as_of
    left join {{ ref('int_fx_rate_periods') }} as fx_rate_periods
        on {{ fx_rate_applies('fx_rate_periods', 'contracts.currency', 'as_of.as_of_date') }}
    where
        contracts.started_at <= as_of.as_of_date
        and (contracts.ended_at is null or as_of.as_of_date < contracts.ended_at)
        and contracts.monthly_fee is not null
    group by contracts.customer_id

),

one_off_revenue as (

    select
        revenue_lines.customer_id,
        sum(revenue_lines.amount_reporting) as order_revenue_12m

    from {{ ref('int_revenue_lines') }} as revenue_lines
    cross join as_of
    where
        revenue_lines.source = 'order'
        and revenue_lines.revenue_at < as_of.as_of_end
        and revenue_lines.revenue_at >= {{ dbt.dateadd('month', -12, 'as_of.as_of_end') }}
    group by revenue_lines.customer_id

),

status as (

    select
        customer_id,
        is_active

    from {{ ref('int_customer_status') }}

),

business_models as (

    select * from {{ ref('int_customer_business_model') }}

),

purchase_predictions as (

    {{ cx360_purchase_predictions() }}

),

recent_months as (

    select
        customer_months.segment,
        sum(case when customer_months.active_at_month_start then 1 else 0 end) as started_active,
        sum(
            case
                when
                    customer_months.active_at_month_start
                    and not customer_months.active_at_month_end
                    then 1
                else 0
            end
        ) as lost

    from {{ ref('int_customer_months') }} as customer_months
    cross join as_of
    where
        customer_months.is_complete_month
        and customer_months.month_start
        >= {{ dbt.dateadd(
            'month',
            -1 * var('clv_retention_lookback_months'),
            dbt.date_trunc('month', 'as_of.as_of_date'),
        ) }}  -- noqa: LT05
    group by customer_months.segment

),

segment_retention as (

    select
        segment,
        case
            when started_active > 0 then 1.0 - 1.0 * lost / started_active
        end as monthly_retention

    from recent_months

),

overall_retention as (

    select
        case
            when sum(started_active) > 0 then 1.0 - 1.0 * sum(lost) / sum(started_active)
        end as monthly_retention

    from recent_months

),

inputs as (

    select
        customer_value.customer_id,
        status.is_active,
        business_models.follows,
        {{ var('clv_gross_margin') }} * (
            coalesce(recurring_fees.monthly_fee_reporting, 0)
            + coalesce(one_off_revenue.order_revenue_12m, 0) / 12.0
        ) as monthly_value,
        -- a segment without history borrows the overall retention
        coalesce(segment_retention.monthly_retention, overall_retention.monthly_retention, 0.0)
            as monthly_retention

    from customer_value
    cross join as_of
    cross join overall_retention
    inner join status
        on customer_value.customer_id = status.customer_id
    left join segment_retention
        on customer_value.segment = segment_retention.segment
    left join recurring_fees
        on customer_value.customer_id = recurring_fees.customer_id
    left join one_off_revenue
        on customer_value.customer_id = one_off_revenue.customer_id
    inner join business_models
        on customer_value.customer_id = business_models.customer_id
    where customer_value.acquired_at is not null

),

discounted as (

    select
        customer_id,
        is_active,
        follows,
        monthly_value,
        monthly_retention,
        monthly_retention / {{ 1 + monthly_discount }} as discounted_retention

    from inputs

),

predicted as (

    select
        customer_id,
        is_active,
        follows,
        cast(monthly_value as {{ cx360_type_double() }}) as monthly_value,
        cast(monthly_retention as {{ cx360_type_double() }}) as monthly_retention,
        case
            when not is_active then 0.0
            when discounted_retention >= 1.0 then monthly_value * {{ var('clv_horizon_months') }}
            else
                monthly_value * discounted_retention
                * (1.0 - power(discounted_retention, {{ var('clv_horizon_months') }}))
                / (1.0 - discounted_retention)
        end as clv_predicted_raw,
        case
            when not is_active then 0.0
            when monthly_retention >= 1.0 then monthly_value * 6
            else
                monthly_value * monthly_retention
                * (1.0 - power(monthly_retention, 6))
                / (1.0 - monthly_retention)
        end as predicted_revenue_next_6m_raw,
        -- months still billed in the next 12: sum over t = 1..12 of retention^t
        case
            when not is_active then 0.0
            when monthly_retention >= 1.0 then 12.0
            else
                monthly_retention * (1.0 - power(monthly_retention, 12))
                / (1.0 - monthly_retention)
        end as expected_months_12m

    from discounted

),

combined as (

    -- a purchase customer the model could not score (not fitted, no order) stays NULL
    select
        predicted.customer_id,
        predicted.follows,
        predicted.monthly_value,
        predicted.monthly_retention,
        predicted.predicted_revenue_next_6m_raw,
        purchase_predictions.p_no_purchase_90d,
        case
            when predicted.follows = 'contract'
                then case when predicted.is_active then 1.0 else 0.0 end
            else purchase_predictions.p_alive
        end as p_alive,
        case
            when predicted.follows = 'contract' then predicted.expected_months_12m
            else purchase_predictions.expected_purchases_12m
        end as expected_purchases_12m,
        case
            when predicted.follows = 'contract'
                then predicted.monthly_value * predicted.expected_months_12m
            else purchase_predictions.expected_revenue_12m
        end as expected_revenue_12m,
        case
            when predicted.follows = 'contract' then predicted.clv_predicted_raw
            else purchase_predictions.clv_predicted
        end as clv_predicted,
        coalesce(purchase_predictions.is_population_value, false) as is_population_value

    from predicted
    left join purchase_predictions
        on predicted.customer_id = purchase_predictions.customer_id

),

typed as (

    select
        customer_id,
        follows,
        monthly_value,
        monthly_retention,
        cast(p_alive as {{ cx360_type_double() }}) as p_alive,
        cast(p_no_purchase_90d as {{ cx360_type_double() }}) as p_no_purchase_90d,
        cast(expected_purchases_12m as {{ cx360_type_double() }}) as expected_purchases_12m,
        cast(expected_revenue_12m as {{ cx360_type_double() }}) as expected_revenue_12m,
        cast(clv_predicted as {{ cx360_type_double() }}) as clv_predicted,
        cast(predicted_revenue_next_6m_raw as {{ cx360_type_double() }})
            as predicted_revenue_next_6m,
        is_population_value

    from combined

)

select * from typed
