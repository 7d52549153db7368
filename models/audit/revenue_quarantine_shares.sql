{#-
    Share of the revenue rows (paid invoices, completed orders) each quarantine reason took, per
    table and currency (int_revenue_lines_checked). A post-hook (macros/revenue_quarantine.sql)
    stops the build when one reason takes more than var revenue_quarantine_max_share of a
    table's rows: a run that quarantined most revenue must not publish as if it had none.
-#}
{{ config(
    materialized='table',
    post_hook="{{ cx360_block_on_revenue_quarantine(this) }}",
) }}

with

checked as (

    select
        table_name,
        currency,
        quarantine_reason

    from {{ ref('int_revenue_lines_checked') }}

),

table_rows as (

    select
        table_name,
        count(*) as table_rows

    from checked
    group by table_name

),

quarantined as (

    select
        table_name,
        quarantine_reason,
        currency,
        count(*) as quarantined_rows

    from checked
    where quarantine_reason is not null
    group by table_name, quarantine_reason, currency

),

shares as (

    select
        quarantined.table_name,
        quarantined.quarantine_reason,
        quarantined.currency,
        quarantined.quarantined_rows,
        table_rows.table_rows,
        cast(1.0 * quarantined.quarantined_rows / table_rows.table_rows as {{ dbt.type_float() }})
            as share_of_table

    from quarantined
    inner join table_rows
        on quarantined.table_name = table_rows.table_name

)

select * from shares
