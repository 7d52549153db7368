{#-
    A view on DuckDB: the grid is already a table (int_customer_months), and publish writes
    every mart into the published file as a table anyway, so materialising it here too wrote
    the same rows twice (28 s at 1 M customers, 428 s at 10 M: docs/benchmarks.md). Postgres
    and Spark serve the marts where dbt builds them, so there it stays a table.
-#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
-- Customer-month fact behind churn and retention (kpis.md): one row per acquired customer and
-- month from the acquisition month to the as-of month. churned_in_month = S and not active on
-- the month's last day (L); the as-of month is provisional (is_complete_month false).
-- Customers with an erasure request are left out (their rows would identify them).
with

erased_customers as (

    {{ cx360_erased_customer_keys() }}

),

customer_months as (

    select customer_months.*
    from {{ ref('int_customer_months') }} as customer_months
    left join erased_customers
        on customer_months.customer_id = erased_customers.customer_id
    where erased_customers.customer_id is null

)

select
    cast(
        {{ dbt.concat(['customer_id', "'|'", 'cast(month_start as ' ~ dbt.type_string() ~ ')']) }}
        as {{ dbt.type_string() }}
    ) as customer_month_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(month_start as date) as month_start,
    cast(month_last_day as date) as month_last_day,
    cast(segment as {{ dbt.type_string() }}) as segment,
    cast(value_tier as {{ dbt.type_string() }}) as value_tier,
    cast(active_at_month_start as boolean) as active_at_month_start,
    cast(active_at_month_end as boolean) as active_at_month_end,
    cast(acquired_in_month as boolean) as acquired_in_month,
    cast(churned_in_month as boolean) as churned_in_month,
    cast(is_complete_month as boolean) as is_complete_month

from customer_months
