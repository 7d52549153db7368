-- Complaint rate: complaints (tickets of category complaint) opened in the period per
-- var complaint_rate_per_customers customers active in the period. A customer is active in a
-- month when active on its first or last day, or acquired in it (int_customer_months); for
-- grain all, when active in any month. Per month and all only: a customer active in several
-- months of a quarter would be counted more than once.
with

complaints as (
    select * from {{ ref('int_tickets_with_durations') }}
    where is_complaint
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
    where active_at_month_start or active_at_month_end or acquired_in_month
),

complaint_events as (
    select
        {{ to_reporting_time('opened_at') }} as period_at,
        segment,
        1 as kpi_numerator,
        0 as kpi_denominator,
        0 as kpi_sample
    from complaints
),

month_events as (
    select * from complaint_events
    union all
    select
        cast(month_start as {{ dbt.type_timestamp() }}) as period_at,
        segment,
        0 as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_months
),

all_events as (
    select * from complaint_events
    union all
    select
        cast(null as {{ dbt.type_timestamp() }}) as period_at,
        min(segment) as segment,
        0 as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_months
    group by customer_id
)

{{ kpi_facts(
    'complaint_rate', 'month_events', unit='count', dimensions=['segment'],
    grains=['month'], multiplier=var('complaint_rate_per_customers'), ci='poisson'
) }}
union all
{{ kpi_facts(
    'complaint_rate', 'all_events', unit='count', dimensions=['segment'],
    grains=['all'], multiplier=var('complaint_rate_per_customers'), ci='poisson'
) }}
