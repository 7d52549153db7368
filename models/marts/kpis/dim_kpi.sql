-- The KPI registry (seed kpi_registry) as BI reads it: label, unit, direction, scale and minimum
-- sample of every kpi_name in fct_kpi. The dashboard and the CLI summary take labels from here.
select
    kpi_name,
    label,
    unit,
    direction,
    cast(scale_min as {{ cx360_type_double() }}) as scale_min,
    cast(scale_max as {{ cx360_type_double() }}) as scale_max,
    aggregation,
    min_sample,
    description
from {{ ref('kpi_registry') }}
