{#-
    One row per right-to-erasure request and its completion, without personal data: the
    request's own id and time, when this run processed it, and whether the customer is gone
    from the published customer view. The customer_id stays in raw.erasure_requests (internal).
    Staging anonymises or drops the customer's rows (macros/erasure.sql); the test in
    _audit_reliability__models.yml fails while a requested customer is still in customer_360.
-#}

with

requests as (

    select
        request_id,
        customer_id,
        requested_at,
        _batch_name
    from {{ ref('stg_privacy__erasure_requests') }}

),

still_published as (

    select distinct published.customer_id
    from {{ ref('customer_360') }} as published
    where published.customer_id in (select requests.customer_id from requests)

),

logged as (

    select
        requests.request_id,
        requests.requested_at,
        requests._batch_name as request_batch_name,
        cast(
            '{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}
        ) as processed_at,
        still_published.customer_id is null as is_completed
    from requests
    left join still_published
        on requests.customer_id = still_published.customer_id

)

select * from logged
