{{ config(
    materialized=cx360_fact_materialization(),
    unique_key=['source', 'source_id'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook="{{ cx360_delete_vanished_rows(['source', 'source_id'], 'int_revenue_lines', erasable=true) }}",
) }}
-- Incremental: writes only new and changed rows, deletes vanished ones; identical to a
-- full refresh (macros/incremental.sql, tests/test_reliability_incremental.py).
-- Revenue fact: one row per paid invoice (credit notes negative) and completed order of a known
-- customer, in the reporting currency. Rows with an unknown customer or an unconvertible
-- currency are in audit.quarantine instead. Revenue of customers with an erasure request is
-- not published: staging anonymises or drops them (var erasure_policy, macros/erasure.sql) and
-- this model drops the rows of their surrogate and requested ids.
with

revenue_lines as (

    select * from {{ ref('int_revenue_lines') }}

),

erased_customers as (

    {{ cx360_erased_customer_keys() }}

),

customer_value as (

    select
        customer_id,
        segment,
        value_tier

    from {{ ref('int_customer_value') }}

),

fct_revenue as (

    select
        cast(
            {{ dbt.concat(['revenue_lines.source', "':'", 'revenue_lines.source_id']) }}
            as {{ dbt.type_string() }}
        ) as revenue_line_id,
        cast(revenue_lines.source as {{ dbt.type_string() }}) as source,
        cast(revenue_lines.source_id as {{ dbt.type_string() }}) as source_id,
        cast(revenue_lines.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(revenue_lines.contract_id as {{ dbt.type_string() }}) as contract_id,
        cast(revenue_lines.revenue_at as timestamp) as revenue_at,
        cast(revenue_lines.revenue_at as date) as revenue_date,
        cast({{ dbt.date_trunc('month', 'revenue_lines.revenue_at') }} as date) as revenue_month,
        cast(revenue_lines.amount as numeric(18, 4)) as amount,
        cast(revenue_lines.currency as {{ dbt.type_string() }}) as currency,
        cast(revenue_lines.amount_reporting as numeric(18, 4)) as amount_reporting,
        cast(revenue_lines.channel as {{ dbt.type_string() }}) as channel,
        cast(revenue_lines.referral_id as {{ dbt.type_string() }}) as referral_id,
        cast(customer_value.segment as {{ dbt.type_string() }}) as segment,
        cast(customer_value.value_tier as {{ dbt.type_string() }}) as value_tier

    from revenue_lines
    left join customer_value
        on revenue_lines.customer_id = customer_value.customer_id
    left join erased_customers
        on revenue_lines.customer_id = erased_customers.customer_id
    where erased_customers.customer_id is null

)

-- new and changed rows only; their columns are the CTE's (AM04 cannot see through this)
select * from ({{ cx360_changed_rows('fct_revenue') }}) as changed_rows  -- noqa: AM04
