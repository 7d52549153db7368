{#-
    Churn risk of each active customer from the factors present (int_customer_risk_factors,
    where the rules and thresholds live) and the weights of seed churn_risk_weights:

    churn_risk_score = round(100 * sum of the weights of the factors present / sum of all
    weights); top_risk_factor = the present factor with the largest weight.

    churn_probability: P(churn within calibration_horizon_months) from the calibration of
    `cx360 backtest --calibrate` (logistic: 1 / (1 + exp(-(intercept + sum of the coefficients
    of the factors present)))); NULL when no calibration was fitted. A factor the calibration
    does not know contributes nothing.

    churn_risk_basis, the one place that says which churn probability a customer is rated and
    priced on (retention_targets reads it for value at risk):
      purchase_model_no_purchase_90d  purchase customers the purchase model scored: P(no
                                      purchase in the next 90 days), BG/NBD
      calibrated_churn_risk           contract customers, a calibration fitted:
                                      churn_probability
      churn_risk_score                everybody else: no probability, the score alone
    risk_probability is that probability (NULL on the score basis).

    churn_risk_level (seed churn_risk_levels): with a probability, the highest level whose
    min_odds_ratio the customer's odds of churning reach against the average probability of the
    customers on the same basis, so "high" means "several times likelier to leave than the
    average customer", whatever the data's churn rate (docs/kpis.md, "What the churn risk
    levels mean on the data", measures it); without one, the highest min_score not above the
    score (cut-offs on guessed weights, said by the basis).
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
        intercept.horizon_months as calibration_horizon_months,
        1.0 / (
            1.0 + exp(-(intercept.coefficient + coalesce(factor_sums.present_log_odds, 0)))
        ) as churn_probability

    from status
    cross join total_weight
    left join intercept
        on 1 = 1
    left join factor_sums
        on status.customer_id = factor_sums.customer_id

),

rated as (

    select
        scores.customer_id,
        scores.churn_risk_score,
        scores.calibration_horizon_months,
        -- six decimals: the same value on every engine and build (exp differs in the last bits)
        cast(scores.churn_probability as numeric(9, 6)) as churn_probability,
        cast(case
            when clv.follows = 'purchase'
                then clv.p_no_purchase_90d
            when clv.follows = 'contract'
                then scores.churn_probability
        end as numeric(9, 6)) as risk_probability,
        case
            when clv.follows = 'purchase' and clv.p_no_purchase_90d is not null
                then 'purchase_model_no_purchase_90d'
            when clv.follows = 'contract' and scores.churn_probability is not null
                then 'calibrated_churn_risk'
            else 'churn_risk_score'
        end as churn_risk_basis

    from scores
    left join {{ ref('int_customer_clv') }} as clv
        on scores.customer_id = clv.customer_id

),

basis_averages as (

    select
        churn_risk_basis,
        cast(avg(risk_probability) as numeric(9, 6)) as average_probability

    from rated
    where risk_probability is not null
    group by churn_risk_basis

),

levels_reached as (

    -- the odds-ratio test without a division: p / (1 - p) >= r * a / (1 - a)
    select
        rated.customer_id,
        levels.churn_risk_level,
        row_number() over (
            partition by rated.customer_id
            order by levels.min_score desc
        ) as level_rank

    from rated
    left join basis_averages
        on rated.churn_risk_basis = basis_averages.churn_risk_basis
    inner join {{ ref('churn_risk_levels') }} as levels
        on
            case
                when rated.risk_probability is null
                    then rated.churn_risk_score >= levels.min_score
                else
                    levels.min_odds_ratio = 0
                    or (
                        rated.risk_probability > basis_averages.average_probability
                        and rated.risk_probability * (1 - basis_averages.average_probability)
                        >= levels.min_odds_ratio * basis_averages.average_probability
                        * (1 - rated.risk_probability)
                    )
            end

),

churn_risk as (

    select
        rated.customer_id,
        rated.churn_risk_score,
        levels_reached.churn_risk_level,
        present_factors.risk_factor as top_risk_factor,
        rated.churn_probability,
        rated.calibration_horizon_months,
        rated.churn_risk_basis,
        rated.risk_probability

    from rated
    left join levels_reached
        on
            rated.customer_id = levels_reached.customer_id
            and levels_reached.level_rank = 1
    left join present_factors
        on
            rated.customer_id = present_factors.customer_id
            and present_factors.factor_rank = 1

)

select * from churn_risk
