{#-
    Quarantine rules resolved_before_opened, responded_before_opened, closed_before_opened
    (support tickets): rules in macros/time_order.sql.
    Only rows attributed to a known customer: an unknown customer's row is already quarantined
    as unknown_customer, and a row is quarantined once. Shaped as audit.quarantine.
-#}

with

stitched as (

    select
        source,
        record_key
    from {{ ref('int_touchpoints_stitched') }}
    where attribution_rule != 'unknown_customer'

),

tickets as (

    select
        'support_tickets' as table_name,
        tickets._batch_name as batch_name,
        tickets._source_row as source_row,
        {{ ticket_time_order_reason('tickets') }} as reason_code,
        {{ ticket_time_order_column('tickets') }} as column_name,
        'opened_at ' || {{ dbt.cast('tickets.opened_at', dbt.type_string()) }} as reason_detail,
        tickets.ticket_id as record_key
    from {{ ref('stg_support__tickets') }} as tickets
    inner join stitched
        on stitched.source = 'tickets' and tickets.ticket_id = stitched.record_key

),

rejected as (

    select * from tickets
    where reason_code is not null

)

select
    {{ quarantine_cast('table_name', 'string') }} as table_name,
    {{ quarantine_cast('batch_name', 'string') }} as batch_name,
    {{ quarantine_cast('source_row', 'int') }} as source_row,
    {{ quarantine_cast('null', 'int') }} as source_line,
    {{ quarantine_cast('reason_code', 'string') }} as reason_code,
    {{ quarantine_cast('column_name', 'string') }} as column_name,
    {{ quarantine_cast('reason_detail', 'string') }} as reason_detail,
    {{ quarantine_cast('record_key', 'string') }} as record_key
from rejected
