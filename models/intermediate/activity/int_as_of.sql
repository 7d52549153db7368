{#-
    The one "today" of the project: every "last 12 months / 90 days / current state" rule reads
    this single row instead of current_date, so a rebuild on the same data gives the same marts.
    var('as_of_date') pins it (backtests, reruns of a past day); otherwise it is the last day with
    any activity in the data.
-#}
{%- set pinned_as_of = var('as_of_date', none) -%}

with

{% if pinned_as_of %}

as_of_day as (

    select cast('{{ pinned_as_of }}' as date) as as_of_date

),

{% else %}

activity_days as (

    select max(cast(occurred_at as date)) as last_day
    from {{ ref('stg_interactions__interactions') }}

    union all

    select max(cast(opened_at as date)) as last_day
    from {{ ref('stg_support__tickets') }}

    union all

    select max(cast(answered_at as date)) as last_day
    from {{ ref('int_survey_answers_checked') }}

    union all

    select max(cast(coalesce(paid_at, issued_at) as date)) as last_day
    from {{ ref('stg_billing__invoices') }}

    union all

    select max(cast(ordered_at as date)) as last_day
    from {{ ref('stg_billing__orders') }}

),

as_of_day as (

    select max(last_day) as as_of_date
    from activity_days

),

{% endif %}

as_of as (

    select
        as_of_date,
        -- The instant the as-of day ends: "up to as_of" means strictly before this timestamp.
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as {{ dbt.type_timestamp() }}) as as_of_end

    from as_of_day

)

select * from as_of
