-- "Active" is one rule (issue 13): the active_customers KPI of the month holding the as-of day
-- counts the customers customer_360 calls active, overall and per segment. Returns the
-- dimension values where the two counts differ.

with

as_of as (

    select * from {{ ref('int_as_of') }}

),

kpi as (

    select
        fct_kpi.dimension_name,
        fct_kpi.dimension_value,
        fct_kpi.value as kpi_active

    from {{ ref('fct_kpi') }} as fct_kpi
    cross join as_of
    where
        fct_kpi.kpi_name = 'active_customers'
        and fct_kpi.period_grain = 'month'
        and fct_kpi.dimension_name in ('overall', 'segment')
        and fct_kpi.period_start
        = cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as date)

),

customers as (

    select
        segment,
        is_active

    from {{ ref('customer_360') }}

    union all

    -- customers erased under var erasure_policy anonymise: counted in the KPIs as an anonymous
    -- contribution, not in customer_360 (macros/erasure.sql)
    select
        crm.segment,
        lifecycle.is_active

    from {{ ref('int_customer_lifecycle') }} as lifecycle
    inner join {{ ref('stg_crm__customers') }} as crm
        on lifecycle.customer_id = crm.customer_id
    where lifecycle.customer_id in ({{ cx360_erased_customer_keys() }})

),

mart as (

    select
        'overall' as dimension_name,
        'all' as dimension_value,
        count(*) as mart_active

    from customers
    where is_active

    union all

    select
        'segment' as dimension_name,
        coalesce(segment, 'unknown') as dimension_value,  -- fct_kpi's label for no segment
        count(*) as mart_active

    from customers
    where is_active
    group by coalesce(segment, 'unknown')

)

select
    kpi.kpi_active,
    mart.mart_active,
    coalesce(kpi.dimension_name, mart.dimension_name) as dimension_name,
    coalesce(kpi.dimension_value, mart.dimension_value) as dimension_value

from kpi
full outer join mart
    on
        kpi.dimension_name = mart.dimension_name
        and kpi.dimension_value = mart.dimension_value
where coalesce(kpi.kpi_active, 0) <> coalesce(mart.mart_active, 0)
