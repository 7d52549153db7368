-- Marketing and sales spend in the reporting currency, one row per day, channel and category:
-- the cost side of cac for BI and MetricFlow. Unconvertible spend is in audit.quarantine.
with

spend as (
    select * from {{ ref('int_marketing_spend_converted') }}
    where quarantine_reason is null
)

select
    spend_date,
    channel,
    category,
    cast(amount_reporting as numeric(18, 4)) as amount_reporting
from spend
