-- One conformed KPI table (kpis.md, "fct_kpi"): one row per KPI, period and dimension value.
-- Each KPI is computed by its own model in models/intermediate/kpis (int_kpis_stacked stacks
-- them); this model takes unit and scale from the KPI registry (seed kpi_registry) and judges
-- each period complete or not against the as-of day.
with

kpis as (
    select * from {{ ref('int_kpis_stacked') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

-- unit and scale of each KPI: the registry is their one home
registry as (
    select
        kpi_name,
        unit,
        cast(scale_min as {{ cx360_type_double() }}) as scale_min,
        cast(scale_max as {{ cx360_type_double() }}) as scale_max
    from {{ ref('kpi_registry') }}
),

periods as (
    select
        kpis.kpi_name,
        kpis.period_grain,
        kpis.period_start,
        kpis.dimension_name,
        kpis.dimension_value,
        kpis.numerator,
        kpis.denominator,
        kpis.value,
        kpis.sample_size,
        kpis.data_start_date,
        registry.unit,
        -- an interval does not reach past the KPI's scale (a normal approximation can)
        case
            when kpis.ci_low < registry.scale_min then registry.scale_min else kpis.ci_low
        end as ci_low,
        case
            when kpis.ci_high > registry.scale_max then registry.scale_max else kpis.ci_high
        end as ci_high,
        as_of.as_of_date,
        -- the first day after the period
        case kpis.period_grain
            when 'day' then {{ dbt.dateadd('day', 1, 'kpis.period_start') }}
            when 'week' then {{ dbt.dateadd('day', 7, 'kpis.period_start') }}
            when 'month' then {{ dbt.dateadd('month', 1, 'kpis.period_start') }}
            when 'quarter' then {{ dbt.dateadd('month', 3, 'kpis.period_start') }}
        end as period_after
    from kpis
    cross join as_of
    left join registry
        on kpis.kpi_name = registry.kpi_name
)

select
    cast(kpi_name as {{ dbt.type_string() }}) as kpi_name,
    cast(period_grain as {{ dbt.type_string() }}) as period_grain,
    cast(period_start as date) as period_start,
    cast(dimension_name as {{ dbt.type_string() }}) as dimension_name,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(numerator as {{ cx360_type_double() }}) as numerator,
    cast(denominator as {{ cx360_type_double() }}) as denominator,
    -- the column name `value` is set by kpis.md
    cast(value as {{ cx360_type_double() }}) as value,  -- noqa: RF04
    cast(ci_low as {{ cx360_type_double() }}) as ci_low,
    cast(ci_high as {{ cx360_type_double() }}) as ci_high,
    cast(sample_size as {{ dbt.type_bigint() }}) as sample_size,
    cast(unit as {{ dbt.type_string() }}) as unit,
    -- A period is complete when the as-of day is on or after its last day and the KPI's data
    -- (data_start_date, its first event day) does not start after its first day. Grain all is
    -- the KPI's whole data window, from its first event to the as-of day, so it cannot be cut
    -- short: complete by definition.
    cast(
        case
            when period_grain = 'all' then true
            when
                cast(period_after as date)
                > cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date)
                then false
            when data_start_date > period_start then false
            else true
        end as {{ dbt.type_boolean() }}
    ) as period_complete
from periods
-- a period starting after the as-of day holds only facts held for a later run
-- (audit.rows_after_as_of): not published
where period_grain = 'all' or period_start <= as_of_date
