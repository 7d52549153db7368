{#-
    Row conservation per raw table and batch, through landing AND dbt. Every record read is in
    exactly one place:

        rows_read   = rows_quarantined_at_landing + rows_landed                  (landing)
        rows_landed = rows_current + rows_superseded + rows_erased
                      + rows_quarantined_in_dbt                                   (dbt)

    rows_landed: rows of the batch in the raw table. rows_superseded: those the staging
    deduplication did not keep (an older version of their key). rows_erased: rows staging drops
    because they identify a customer with an erasure request (macros/erasure.sql; any version);
    0 under var erasure_policy anonymise, where those rows stay in staging, anonymised, and
    count as current.
    rows_quarantined_in_dbt: rows
    a dbt rule put in audit.quarantine. rows_current: the staging rows of the batch that no dbt
    rule rejected. Each count is taken where the rows are, so a row quarantined twice, a
    superseded version quarantined, or a staging row with no raw row breaks the balance
    (tested in _audit__models.yml).
-#}

with

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

{#-
    Counted per table and batch before anything is combined: a union of every row of every
    table (the first version) had to be held whole by the join after it, and at 10 M customers
    that did not fit the memory limit.
#}
{% set erasure_columns = cx360_erasure_columns() %}
{% for source_name, table_name, staging_model in cx360_staged_sources() %}
{{ table_name }}_landed as (

    select
        _batch_name,
        _source_row,
        {%- if table_name in erasure_columns and var('erasure_policy') == 'remove' %}
        case when {{ cx360_not_erased(table_name, normalised=false) }} then 0 else 1 end
            as is_erased
        {%- else %}
        0 as is_erased
        {%- endif %}
    from {{ source(source_name, table_name) }}

),

{{ table_name }}_located as (

    -- Each raw row meets its staging row by grouping on (batch, row), not by a join: the hash
    -- join of every raw row with its staging row had to pin more than the 6 GB budget at 10 M
    -- customers (one 55 M-row backfill batch), while a hash aggregate spills to disk.
    select
        _batch_name,
        _source_row,
        sum(raw_rows) as raw_rows,
        sum(staged_rows) as staged_rows,
        sum(erased_rows) as erased_rows
    from (
        select
            _batch_name,
            _source_row,
            1 as raw_rows,
            0 as staged_rows,
            is_erased as erased_rows
        from {{ table_name }}_landed
        union all
        select
            _batch_name,
            _source_row,
            0 as raw_rows,
            1 as staged_rows,
            0 as erased_rows
        from {{ ref(staging_model) }}
    ) as raw_and_staged
    group by _batch_name, _source_row

),

{{ table_name }}_landed_per_batch as (

    -- a raw row without a staging row was superseded or erased; a staging row without a raw
    -- row adds to rows_current (below) but not to rows_landed, and so breaks the balance
    select
        '{{ table_name }}' as table_name,
        _batch_name as batch_name,
        sum(raw_rows) as rows_landed,
        sum(case when staged_rows = 0 then raw_rows - erased_rows else 0 end) as rows_superseded,
        sum(case when staged_rows = 0 then erased_rows else 0 end) as rows_erased
    from {{ table_name }}_located
    group by _batch_name

),

{{ table_name }}_current_per_batch as (

    select
        '{{ table_name }}' as table_name,
        staged._batch_name as batch_name,
        count(*) as rows_current
    from {{ ref(staging_model) }} as staged
    left join dbt_quarantine
        on
            dbt_quarantine.table_name = '{{ table_name }}'
            and staged._batch_name = dbt_quarantine.batch_name
            and staged._source_row = dbt_quarantine.source_row
    where dbt_quarantine.source_row is null
    group by staged._batch_name

),

{% endfor %}
{#- the per-table counts, one union each -#}
{%- set combined_ctes = {
    'landed_per_batch': '_landed_per_batch',
    'staged_not_quarantined': '_current_per_batch',
} %}
{% for combined_name, per_table_suffix in combined_ctes.items() %}
{{ combined_name }} as (

    {%- for source_name, table_name, staging_model in cx360_staged_sources() %}
    select * from {{ table_name }}{{ per_table_suffix }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

{% endfor %}
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
