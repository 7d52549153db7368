-- The periods the headline KPI summary compares (cx360 kpi): the as-of day of the build
-- (int_as_of), the last full month before it and the month before that. Published with the
-- marts so BI and `cx360 kpi` agree on "last month" without reading intermediate tables.
-- erased_customers: how many erased customers the KPIs count as an anonymous contribution (var
-- erasure_policy anonymise), so a drill-down can say why it lists fewer rows than a KPI's n.
with

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

erased as (
    select count(*) as erased_customers
    from ({{ cx360_erased_customer_surrogates() }}) as surrogates
),

months as (
    select
        as_of_date,
        {{ dbt.date_trunc('month', dbt.dateadd('day', 1, 'as_of_date')) }} as next_month_start
    from as_of
)

select
    cast(months.as_of_date as date) as as_of_date,
    -- the as-of day's month is full only when the as-of day is its last day
    cast({{ dbt.dateadd('month', -1, 'months.next_month_start') }} as date)
        as last_full_month_start,
    cast({{ dbt.dateadd('month', -2, 'months.next_month_start') }} as date)
        as previous_month_start,
    cast(
        {{ 'erased.erased_customers' if var('erasure_policy') == 'anonymise' else '0' }}
        as {{ dbt.type_bigint() }}
    ) as erased_customers
from months
cross join erased
