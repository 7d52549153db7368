-- Complaint rate: complaints (tickets of category complaint) opened in the period per
-- var complaint_rate_per_customers customers active in the period. A customer is active in a
-- month when active on its first day or once it is over, or acquired in it (int_customer_months).
-- Grain all is defined the same way, per 1,000 active customers per month: all complaints / all
-- active customer-months (the months' rates averaged, weighted by their active customers), so
-- it reads on the same scale as the monthly values. Per month and all only.
with

complaints as (
    select * from {{ ref('int_tickets_with_durations') }}
    where is_complaint
),

-- Complaints can only be counted from the first ticket on: months before the ticket data
-- starts have no complaint rate (no row), not a rate of 0.
ticket_data_start as (
    select
        min({{ to_reporting_time('opened_at') }}) as first_ticket_at,
        {{ kpi_period_start('month', 'min(' ~ to_reporting_time('opened_at') ~ ')') }}
            as first_ticket_month
    from {{ ref('int_tickets_with_durations') }}
),

customer_months as (
    select customer_months.*
    from {{ ref('int_customer_months') }} as customer_months
    inner join ticket_data_start
        on customer_months.month_start >= ticket_data_start.first_ticket_month
    where
        customer_months.active_at_month_start
        or customer_months.active_at_month_end
        or customer_months.acquired_in_month
),

complaint_events as (
    select
        {{ to_reporting_time('opened_at') }} as period_at,
        segment,
        {{ to_reporting_time('opened_at') }} as first_ticket_at,
        1 as kpi_numerator,
        0 as kpi_denominator,
        0 as kpi_sample
    from complaints
),

month_events as (
    select * from complaint_events
    union all
    select
        cast(customer_months.month_start as {{ dbt.type_timestamp() }}) as period_at,
        customer_months.segment,
        ticket_data_start.first_ticket_at,
        0 as kpi_numerator,
        1 as kpi_denominator,
        1 as kpi_sample
    from customer_months
    cross join ticket_data_start
)

{{ kpi_facts(
    'complaint_rate', 'month_events', unit='count', dimensions=['segment'],
    grains=['month', 'all'], multiplier=var('complaint_rate_per_customers'), ci='poisson',
    data_start_at='first_ticket_at'
) }}
