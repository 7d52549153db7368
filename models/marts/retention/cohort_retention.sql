{#-
    Cohort retention matrix: customers acquired in a month (cohort_month) and, for each month
    since acquisition (0 = the acquisition month), how many of them had a contract covering the
    last day of that month (the as-of day for the current month). Cohorts are the customers of
    int_customer_months who ever had a contract: purchase-only customers have no contract to
    retain and would read as churned from month 0.
-#}

with

customer_months as (

    select * from {{ ref('int_customer_months') }}

),

subscribers as (

    select distinct customer_id
    from {{ ref('stg_crm__contracts') }}

),

cohort_members as (

    select
        customer_months.customer_id,
        customer_months.month_start as cohort_month

    from customer_months
    inner join subscribers
        on customer_months.customer_id = subscribers.customer_id
    where customer_months.acquired_in_month

),

member_months as (

    select
        cohort_members.cohort_month,
        {{ dbt.datediff('cohort_members.cohort_month', 'customer_months.month_start', 'month') }}
            as months_since_acquisition,
        customer_months.active_at_month_end,
        customer_months.is_complete_month

    from cohort_members
    inner join customer_months
        on cohort_members.customer_id = customer_months.customer_id

),

cohort_sizes as (

    select
        cohort_month,
        count(*) as cohort_customers

    from cohort_members
    group by cohort_month

),

retained as (

    select
        cohort_month,
        months_since_acquisition,
        sum(case when active_at_month_end then 1 else 0 end) as retained_customers,
        min(case when is_complete_month then 1 else 0 end) = 1 as is_complete_month

    from member_months
    group by cohort_month, months_since_acquisition

),

cohort_retention as (

    select
        cast(retained.cohort_month as date) as cohort_month,
        cast(retained.months_since_acquisition as integer) as months_since_acquisition,
        cast(cohort_sizes.cohort_customers as integer) as customers,
        cast(retained.retained_customers as integer) as retained,
        cast(
            100.0 * retained.retained_customers / cohort_sizes.cohort_customers as numeric(18, 4)
        ) as retention_rate,
        cast(retained.is_complete_month as boolean) as is_complete_month

    from retained
    inner join cohort_sizes
        on retained.cohort_month = cohort_sizes.cohort_month

)

select * from cohort_retention
