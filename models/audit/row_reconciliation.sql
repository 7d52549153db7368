{#-
    Row accounting per raw table and batch file: every record landing read must be either in
    the raw table or in the landing quarantine. rows_read comes from landing's own log; the two
    other counts are counted where the rows are, so a lost or doubled row shows up as an
    imbalance (tested in _audit__models.yml). A batch missing from landed_batches has a null
    rows_read and fails the test too.
-#}

with

landed_batches as (

    select
        table_name,
        batch_name,
        rows_read

    from {{ source('landing', 'landed_batches') }}

),

accepted as (

    {%- for source_name, table_name in cx360_raw_sources() %}
    select
        '{{ table_name }}' as table_name,
        _batch_name as batch_name,
        count(*) as rows_accepted
    from {{ source(source_name, table_name) }}
    group by _batch_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

quarantined as (

    select
        table_name,
        batch_name,
        count(*) as rows_quarantined_at_landing

    from {{ source('landing', 'landing_quarantine') }}
    group by table_name, batch_name

),

batches as (

    select
        table_name,
        batch_name
    from landed_batches
    union
    select
        table_name,
        batch_name
    from accepted
    union
    select
        table_name,
        batch_name
    from quarantined

),

reconciled as (

    select
        batches.table_name,
        batches.batch_name,
        landed_batches.rows_read,
        coalesce(accepted.rows_accepted, 0) as rows_accepted,
        coalesce(quarantined.rows_quarantined_at_landing, 0) as rows_quarantined_at_landing,
        coalesce(
            landed_batches.rows_read
            = coalesce(accepted.rows_accepted, 0)
            + coalesce(quarantined.rows_quarantined_at_landing, 0),
            false
        ) as is_balanced

    from batches
    left join landed_batches
        on
            batches.table_name = landed_batches.table_name
            and batches.batch_name = landed_batches.batch_name
    left join accepted
        on
            batches.table_name = accepted.table_name
            and batches.batch_name = accepted.batch_name
    left join quarantined
        on
            batches.table_name = quarantined.table_name
            and batches.batch_name = quarantined.batch_name

)

select * from reconciled
