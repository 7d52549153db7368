{#-
    Row conservation per raw table and batch, through landing AND dbt. Every record read is in
    exactly one place:

        rows_read   = rows_quarantined_at_landing + rows_landed                  (landing)
        rows_landed = rows_current + rows_superseded + rows_erased
                      + rows_quarantined_in_dbt                                   (dbt)

    rows_landed: rows of the batch in the raw table. rows_superseded: those the staging
    deduplication did not keep (an older version of their key). rows_erased: rows staging drops
    because they identify a customer with an erasure request (macros/erasure.sql; any version).
    rows_quarantined_in_dbt: rows
    a dbt rule put in audit.quarantine. rows_current: the staging rows of the batch that no dbt
    rule rejected. Each count is taken where the rows are, so a row quarantined twice, a
    superseded version quarantined, or a staging row with no raw row breaks the balance
    (tested in _audit__models.yml).
-#}

with

{% set erasure_columns = cx360_erasure_columns() %}
{% for source_name, table_name, staging_model in cx360_staged_sources() %}
{{ table_name }}_landed as (

    select
        _batch_name,
        _source_row,
        {%- if table_name in erasure_columns %}
        case when {{ cx360_not_erased(table_name, normalised=false) }} then 0 else 1 end
            as is_erased
        {%- else %}
        0 as is_erased
        {%- endif %}
    from {{ source(source_name, table_name) }}

),

{{ table_name }}_rows as (

    select
        'raw' as place,
        '{{ table_name }}' as table_name,
        landed._batch_name as batch_name,
        landed._source_row as source_row,
        case when staged._source_row is null then 1 - landed.is_erased else 0 end
            as is_superseded,
        case when staged._source_row is null then landed.is_erased else 0 end as is_erased
    from {{ table_name }}_landed as landed
    left join {{ ref(staging_model) }} as staged
        on
            landed._batch_name = staged._batch_name
            and landed._source_row = staged._source_row
    union all
    select
        'staging' as place,
        '{{ table_name }}' as table_name,
        _batch_name as batch_name,
        _source_row as source_row,
        0 as is_superseded,
        0 as is_erased
    from {{ ref(staging_model) }}

),

{% endfor %}
located as (

    {%- for source_name, table_name, staging_model in cx360_staged_sources() %}
    select * from {{ table_name }}_rows
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

dbt_quarantine as (

    select
        quarantine.table_name,
        quarantine.batch_name,
        quarantine.source_row
    from {{ ref('quarantine') }} as quarantine
    inner join {{ ref('quarantine_reason_codes') }} as reasons
        on quarantine.reason_code = reasons.reason_code
    where reasons.stage = 'dbt'

),

dbt_quarantined_per_batch as (

    select
        table_name,
        batch_name,
        count(*) as rows_quarantined_in_dbt
    from dbt_quarantine
    group by table_name, batch_name

),

staged_not_quarantined as (

    select
        located.table_name,
        located.batch_name,
        count(*) as rows_current
    from located
    left join dbt_quarantine
        on
            located.table_name = dbt_quarantine.table_name
            and located.batch_name = dbt_quarantine.batch_name
            and located.source_row = dbt_quarantine.source_row
    where located.place = 'staging' and dbt_quarantine.source_row is null
    group by located.table_name, located.batch_name

),

landed_per_batch as (

    select
        table_name,
        batch_name,
        count(*) as rows_landed,
        sum(is_superseded) as rows_superseded,
        sum(is_erased) as rows_erased
    from located
    where place = 'raw'
    group by table_name, batch_name

),

landing_log as (

    select
        table_name,
        batch_name,
        rows_read,
        rows_quarantined as rows_quarantined_at_landing
    from {{ source('landing', 'landed_batches') }}

),

batches as (

    select
        table_name,
        batch_name
    from landing_log
    union
    select
        table_name,
        batch_name
    from landed_per_batch
    union
    select
        table_name,
        batch_name
    from dbt_quarantined_per_batch
    union
    select
        table_name,
        batch_name
    from staged_not_quarantined

),

conserved as (

    select
        batches.table_name,
        batches.batch_name,
        landing_log.rows_read,
        coalesce(landing_log.rows_quarantined_at_landing, 0) as rows_quarantined_at_landing,
        coalesce(landed_per_batch.rows_landed, 0) as rows_landed,
        coalesce(staged_not_quarantined.rows_current, 0) as rows_current,
        coalesce(landed_per_batch.rows_superseded, 0) as rows_superseded,
        coalesce(landed_per_batch.rows_erased, 0) as rows_erased,
        coalesce(dbt_quarantined_per_batch.rows_quarantined_in_dbt, 0)
            as rows_quarantined_in_dbt
    from batches
    left join landing_log
        on
            batches.table_name = landing_log.table_name
            and batches.batch_name = landing_log.batch_name
    left join landed_per_batch
        on
            batches.table_name = landed_per_batch.table_name
            and batches.batch_name = landed_per_batch.batch_name
    left join staged_not_quarantined
        on
            batches.table_name = staged_not_quarantined.table_name
            and batches.batch_name = staged_not_quarantined.batch_name
    left join dbt_quarantined_per_batch
        on
            batches.table_name = dbt_quarantined_per_batch.table_name
            and batches.batch_name = dbt_quarantined_per_batch.batch_name

),

final as (

    select
        *,
        coalesce(
            rows_read = rows_quarantined_at_landing + rows_landed
            and rows_landed
            = rows_current + rows_superseded + rows_erased + rows_quarantined_in_dbt,
            false
        ) as is_balanced
    from conserved

)

select * from final
