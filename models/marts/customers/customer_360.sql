{#-
    The 360-degree customer view: one row per CRM customer, as of int_as_of. Pseudonymous:
    no e-mail, phone, name or birth date; email_sha256 lets a consenting system match a known
    address without the address itself. Customers with an erasure request are left out
    altogether (right to erasure: nothing identifying them is published). Every column is cast
    to its contract type here.
-#}

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

erased_customers as (

    {{ cx360_erased_customer_keys() }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

customer_value as (

    select * from {{ ref('int_customer_value') }}

),

status as (

    select * from {{ ref('int_customer_status') }}

),

lifecycle as (

    select * from {{ ref('int_customer_lifecycle') }}

),

experience as (

    select * from {{ ref('int_customer_experience') }}

),

exposure as (

    select * from {{ ref('int_customer_network_exposure') }}

),

churn_risk as (

    select * from {{ ref('int_customer_churn_risk') }}

),

clv as (

    select * from {{ ref('int_customer_clv') }}

),

next_best_actions as (

    select * from {{ ref('int_customer_next_best_action') }}

),

baskets as (

    -- average basket: mean value of the completed orders (purchases) up to the as-of day
    select
        revenue_lines.customer_id,
        count(*) as purchases_lifetime,
        avg(revenue_lines.amount_reporting) as average_basket

    from {{ ref('int_revenue_lines') }} as revenue_lines
    cross join as_of
    where revenue_lines.source = 'order' and revenue_lines.revenue_at < as_of.as_of_end
    group by revenue_lines.customer_id

),

customer_360 as (

    select
        cast(customers.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customers.segment as {{ dbt.type_string() }}) as segment,
        cast(customers.country as {{ dbt.type_string() }}) as country,
        cast(customers.postal_code as {{ dbt.type_string() }}) as postal_code,
        cast(customers.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
        cast(customers.created_at as timestamp) as created_at,
        cast(customer_value.acquired_at as timestamp) as acquired_at,
        cast(lifecycle.lifecycle_stage as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(lifecycle.is_active as boolean) as is_active,
        cast(lifecycle.tenure_days as integer) as tenure_days,
        cast(customer_value.first_purchase_at as timestamp) as first_purchase_at,
        cast(customer_value.value_tier as {{ dbt.type_string() }}) as value_tier,
        cast(customer_value.revenue_lifetime as numeric(18, 4)) as revenue_lifetime,
        cast(customer_value.revenue_12m as numeric(18, 4)) as revenue_12m,
        cast(coalesce(baskets.purchases_lifetime, 0) as integer) as purchases_lifetime,
        cast(baskets.average_basket as numeric(18, 4)) as average_basket,
        cast(customer_value.revenue_lifetime as numeric(18, 4)) as clv_historical,
        -- NULL where no model could score the customer (a prospect, or the purchase model
        -- could not be fitted): missing, not 0
        cast(clv.clv_predicted as numeric(18, 4)) as clv_predicted,
        cast(clv.follows as {{ dbt.type_string() }}) as clv_model,
        cast(clv.p_alive as {{ cx360_type_double() }}) as p_alive,
        cast(clv.expected_purchases_12m as {{ cx360_type_double() }}) as expected_purchases_12m,
        cast(clv.expected_revenue_12m as numeric(18, 4)) as expected_revenue_12m,
        cast(clv.is_population_value as boolean) as clv_is_population_value,
        cast(experience.last_nps_score as numeric(18, 4)) as last_nps_score,
        cast(experience.last_nps_at as timestamp) as last_nps_at,
        cast(experience.nps_category as {{ dbt.type_string() }}) as nps_category,
        cast(experience.avg_csat as numeric(18, 4)) as avg_csat,
        cast(experience.avg_ces as numeric(18, 4)) as avg_ces,
        cast(experience.tickets_12m as integer) as tickets_12m,
        cast(experience.open_tickets as integer) as open_tickets,
        cast(experience.complaints_12m as integer) as complaints_12m,
        cast(experience.mttr_hours_12m as numeric(18, 4)) as mttr_hours_12m,
        cast(experience.last_interaction_at as timestamp) as last_interaction_at,
        cast(experience.interactions_90d as integer) as interactions_90d,
        cast(experience.preferred_channel as {{ dbt.type_string() }}) as preferred_channel,
        cast(exposure.incidents_30d as integer) as incidents_30d,
        cast(exposure.qos_exposure_30d as numeric(18, 4)) as qos_exposure_30d,
        cast(churn_risk.churn_risk_score as integer) as churn_risk_score,
        cast(churn_risk.churn_risk_level as {{ dbt.type_string() }}) as churn_risk_level,
        cast(churn_risk.top_risk_factor as {{ dbt.type_string() }}) as top_risk_factor,
        cast(churn_risk.churn_risk_basis as {{ dbt.type_string() }}) as churn_risk_basis,
        cast(status.next_renewal_date as date) as next_renewal_date,
        cast(next_best_actions.next_best_action as {{ dbt.type_string() }}) as next_best_action,
        cast(customers.marketing_consent as boolean) as marketing_consent,
        cast({{ cx360_sha256('customers.email') }} as {{ dbt.type_string() }}) as email_sha256,
        cast(as_of.as_of_date as date) as as_of_date

    from customers
    cross join as_of
    left join customer_value
        on customers.customer_id = customer_value.customer_id
    left join status
        on customers.customer_id = status.customer_id
    left join lifecycle
        on customers.customer_id = lifecycle.customer_id
    left join experience
        on customers.customer_id = experience.customer_id
    left join exposure
        on customers.customer_id = exposure.customer_id
    left join churn_risk
        on customers.customer_id = churn_risk.customer_id
    left join clv
        on customers.customer_id = clv.customer_id
    left join next_best_actions
        on customers.customer_id = next_best_actions.customer_id
    left join baskets
        on customers.customer_id = baskets.customer_id

)

-- The erasure guard: staging anonymises or drops erased customers (var erasure_policy,
-- macros/erasure.sql); this drops their surrogates, so their rows count in the aggregates the
-- intermediate models feed but no customer row of theirs is published. It comes last, on
-- purpose: as an anti join at the start, DuckDB estimated it kept a fifth of the customers and
-- turned the nine left joins around, building hash tables of the wide joined rows instead of
-- the narrow customer tables: out of memory at 800 MB per 1 M customers, where the joins as
-- written fit in 400 MB (docs/benchmarks.md).
select * from customer_360
where not exists (
    select 1 from erased_customers
    where erased_customers.customer_id = customer_360.customer_id
)
