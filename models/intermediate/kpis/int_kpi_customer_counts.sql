-- Customer counts per segment:
--   active_customers   customers still active when the month is over (int_customer_months
--                      active_at_month_end); grain all = on the last month
--                      of the data (the current state, as of int_as_of)
--   new_customers      customers acquired in the period (first contract start or purchase)
--   churned_customers  customers active on a month's first day and not once it is over (churn's L)
with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

events as (
    select
        month_start as period_at,
        segment,
        {{ kpi_flag('active_at_month_end') }} as active,
        {{ kpi_flag('acquired_in_month') }} as acquired,
        {{ kpi_flag('churned_in_month') }} as churned
    from customer_months
),

active_events as (
    select
        period_at,
        segment,
        active as kpi_numerator,
        active as kpi_sample
    from events
),

current_month_events as (
    select * from active_events
    where period_at = (select max(customer_months.month_start) from customer_months)
),

new_events as (
    select
        period_at,
        segment,
        acquired as kpi_numerator,
        acquired as kpi_sample
    from events
),

churned_events as (
    select
        period_at,
        segment,
        churned as kpi_numerator,
        churned as kpi_sample
    from events
)

{{ kpi_facts(
    'active_customers', 'active_events', unit='count', dimensions=['segment'],
    grains=['month'], value_kind='count'
) }}
union all
{{ kpi_facts(
    'active_customers', 'current_month_events', unit='count', dimensions=['segment'],
    grains=['all'], value_kind='count'
) }}
union all
{{ kpi_facts(
    'new_customers', 'new_events', unit='count', dimensions=['segment'],
    grains=['month', 'quarter', 'all'], value_kind='count'
) }}
union all
{{ kpi_facts(
    'churned_customers', 'churned_events', unit='count', dimensions=['segment'],
    grains=['month', 'quarter', 'all'], value_kind='count'
) }}
