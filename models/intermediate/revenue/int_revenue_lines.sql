-- A view: a filter of int_revenue_lines_checked (13 M rows at 1 M customers), whose table copy
-- cost ~20 s per build for no gain (docs/benchmarks.md).
{{ config(materialized='view') }}
-- One row per paid invoice (credit notes negative) and completed order of a known customer,
-- in the reporting currency: the revenue every value KPI and the customer mart sum.
select
    source,
    source_id,
    customer_id,
    contract_id,
    revenue_at,
    amount,
    currency,
    rate_to_reporting,
    amount_reporting,
    channel,
    referral_id,
    _batch_name,
    _source_row

from {{ ref('int_revenue_lines_checked') }}
where quarantine_reason is null
