{#-
    Every revenue candidate (paid invoices incl. credit notes, completed orders), converted to
    the reporting currency (var reporting_currency) with int_fx_rate_periods, and checked.
    quarantine_reason, first rule that applies:
      unknown_customer        customer_id not in crm_customers
      unconvertible_currency  no rate for the currency on or before the revenue day
    int_revenue_lines keeps the rows without a reason; the audit quarantine models the others.
-#}


with

paid_invoices as (

    select
        'invoice' as source,
        'billing_invoices' as table_name,
        invoice_id as source_id,
        customer_id,
        contract_id,
        paid_at as revenue_at,
        amount,
        currency,
        cast(null as {{ dbt.type_string() }}) as channel,
        cast(null as {{ dbt.type_string() }}) as referral_id,
        _batch_name,
        _source_row

    from {{ ref('stg_billing__invoices') }}
    where status = 'paid' and paid_at is not null

),

completed_orders as (

    select
        'order' as source,
        'billing_orders' as table_name,
        order_id as source_id,
        customer_id,
        cast(null as {{ dbt.type_string() }}) as contract_id,
        ordered_at as revenue_at,
        amount,
        currency,
        channel,
        referral_id,
        _batch_name,
        _source_row

    from {{ ref('stg_billing__orders') }}
    where status = 'completed'

),

revenue_candidates as (

    select * from paid_invoices
    union all
    select * from completed_orders

),

crm_customers as (

    select customer_id from {{ ref('stg_crm__customers') }}

),

fx_rate_periods as (

    select * from {{ ref('int_fx_rate_periods') }}

),

converted as (

    select
        revenue_candidates.source,
        revenue_candidates.table_name,
        revenue_candidates.source_id,
        revenue_candidates.customer_id,
        revenue_candidates.contract_id,
        revenue_candidates.revenue_at,
        revenue_candidates.amount,
        revenue_candidates.currency,
        {{ rate_to_reporting('revenue_candidates.currency', 'fx_rate_periods') }}
            as rate_to_reporting,
        revenue_candidates.channel,
        revenue_candidates.referral_id,
        crm_customers.customer_id is not null as is_known_customer,
        revenue_candidates._batch_name,
        revenue_candidates._source_row

    from revenue_candidates
    left join crm_customers
        on revenue_candidates.customer_id = crm_customers.customer_id
    left join fx_rate_periods
        on {{ fx_rate_applies(
            'fx_rate_periods',
            'revenue_candidates.currency',
            'cast(revenue_candidates.revenue_at as date)'
        ) }}

),

checked as (

    select
        source,
        table_name,
        source_id,
        customer_id,
        contract_id,
        revenue_at,
        amount,
        currency,
        rate_to_reporting,
        cast(amount * rate_to_reporting as {{ dbt.type_numeric() }}) as amount_reporting,
        channel,
        referral_id,
        case
            when not is_known_customer then 'unknown_customer'
            when rate_to_reporting is null then 'unconvertible_currency'
        end as quarantine_reason,
        _batch_name,
        _source_row

    from converted

)

select * from checked
