{#-
    The one "today" of the project: every "last 12 months / 90 days / current state" rule reads
    this single row instead of current_date, so a rebuild on the same data gives the same marts.
    var('as_of_date') pins it (`cx360 run --as-of`, backtests, reruns of a past day).

    Default rule (docs/kpis.md "The as-of day"): the latest day whose volume of facts is a
    plausible share of a normal day. Every table's facts count: customers created and updated,
    contracts started and ended, interactions, tickets opened, survey answers, invoices issued
    and paid, orders. A normal day is the median daily volume over the days with facts in the
    365 days up to the latest fact; the as-of day is the latest day with at least
    var as_of_min_share_of_normal_day (0.2) of it. A few stray rows dated later cannot move it;
    they are listed in audit.rows_after_as_of with the reason after_as_of_day.

    data_start_date: the first day with any fact.
-#}
{%- set pinned_as_of = var('as_of_date', none) -%}

with

fact_days as (
    {%- set facts = [
        ('stg_crm__customers', 'created_at'),
        ('stg_crm__customers', 'updated_at'),
        ('stg_crm__contracts', 'started_at'),
        ('stg_crm__contracts', 'ended_at'),
        ('stg_interactions__interactions', 'occurred_at'),
        ('stg_support__tickets', 'opened_at'),
        ('int_survey_answers_checked', 'answered_at'),
        ('stg_billing__invoices', 'issued_at'),
        ('stg_billing__invoices', 'paid_at'),
        ('stg_billing__orders', 'ordered_at'),
    ] %}
    {%- for model, column in facts %}
    select
        cast({{ column }} as date) as fact_day,
        count(*) as facts
    from {{ ref(model) }}
    where {{ column }} is not null
    group by cast({{ column }} as date)
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

daily_volume as (
    select
        fact_day,
        sum(facts) as facts
    from fact_days
    group by fact_day
),

latest as (
    select
        max(fact_day) as last_fact_day,
        min(fact_day) as first_fact_day
    from daily_volume
),

normal_day as (
    -- median by counting: the smallest daily volume at or above which half the days lie
    select min(ranked.facts) as median_facts
    from (
        select
            daily_volume.facts,
            row_number() over (order by daily_volume.facts) as volume_rank,
            count(*) over () as day_count
        from daily_volume
        cross join latest
        where daily_volume.fact_day > {{ dbt.dateadd('day', -365, 'latest.last_fact_day') }}
    ) as ranked
    where 2 * ranked.volume_rank >= ranked.day_count
),

plausible_days as (
    select max(daily_volume.fact_day) as as_of_date
    from daily_volume
    cross join normal_day
    where daily_volume.facts >= {{ var('as_of_min_share_of_normal_day') }} * normal_day.median_facts
),

as_of_day as (
    select
        {% if pinned_as_of -%}
        cast('{{ pinned_as_of }}' as date) as as_of_date,
        {%- else -%}
        plausible_days.as_of_date,
        {%- endif %}
        latest.first_fact_day as data_start_date
    from plausible_days
    cross join latest
),

as_of as (
    select
        cast(as_of_date as date) as as_of_date,
        -- The instant the as-of day ends: "up to as_of" means strictly before this timestamp.
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as {{ dbt.type_timestamp() }}) as as_of_end,
        cast(data_start_date as date) as data_start_date
    from as_of_day
)

select * from as_of
