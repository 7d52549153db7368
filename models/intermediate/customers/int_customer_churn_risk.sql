{#-
    Churn risk of each active customer from the factors present (int_customer_risk_factors,
    where the rules and thresholds live) and the weights of seed churn_risk_weights:

    churn_risk_score = round(100 * sum of the weights of the factors present / sum of all
    weights); churn_risk_level = the level of seed churn_risk_levels with the highest min_score
    not above the score; top_risk_factor = the present factor with the largest weight.

    churn_probability: P(churn within calibration_horizon_months) from the calibration of
    `cx360 backtest --calibrate` (logistic: 1 / (1 + exp(-(intercept + sum of the coefficients
    of the factors present)))); NULL when no calibration was fitted. A factor the calibration
    does not know contributes nothing.
    Customers who are not active (prospects, churned) get no score: there is nothing to retain.
-#}

with

status as (

    select customer_id
    from {{ ref('int_customer_status') }}
    where is_active

),

present_factors as (

    select * from {{ ref('int_customer_risk_factors') }}

),

total_weight as (

    select sum(weight) as total_weight
    from {{ ref('churn_risk_weights') }}

),

calibration as (

    {{ cx360_churn_calibration() }}

),

intercept as (

    select
        coefficient,
        horizon_months

    from calibration
    where term = 'intercept'

),

factor_sums as (

    select
        present_factors.customer_id,
        sum(present_factors.weight) as present_weight,
        sum(coalesce(calibration.coefficient, 0)) as present_log_odds

    from present_factors
    left join calibration
        on present_factors.risk_factor = calibration.term
    group by present_factors.customer_id

),

scores as (

    select
        status.customer_id,
        cast(
            round(100.0 * coalesce(factor_sums.present_weight, 0) / total_weight.total_weight)
            as {{ dbt.type_int() }}
        ) as churn_risk_score,
        1.0 / (
            1.0 + exp(-(intercept.coefficient + coalesce(factor_sums.present_log_odds, 0)))
        ) as churn_probability,
        intercept.horizon_months as calibration_horizon_months

    from status
    cross join total_weight
    left join intercept
        on 1 = 1
    left join factor_sums
        on status.customer_id = factor_sums.customer_id

),

levels as (

    select
        churn_risk_level,
        min_score,
        lead(min_score) over (order by min_score) as next_level_min_score

    from {{ ref('churn_risk_levels') }}

),

churn_risk as (

    select
        scores.customer_id,
        scores.churn_risk_score,
        levels.churn_risk_level,
        present_factors.risk_factor as top_risk_factor,
        -- six decimals: the same value on every engine and build (exp differs in the last bits)
        cast(scores.churn_probability as numeric(9, 6)) as churn_probability,
        scores.calibration_horizon_months

    from scores
    left join levels
        on
            scores.churn_risk_score >= levels.min_score
            and (
                levels.next_level_min_score is null
                or scores.churn_risk_score < levels.next_level_min_score
            )
    left join present_factors
        on
            scores.customer_id = present_factors.customer_id
            and present_factors.factor_rank = 1

)

select * from churn_risk
