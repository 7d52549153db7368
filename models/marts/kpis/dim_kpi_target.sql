-- KPI targets (seed kpi_targets) as BI reads them; met or missed by the direction in dim_kpi.
select
    kpi_targets.kpi_name,
    cast(kpi_targets.target as {{ cx360_type_double() }}) as target_value,
    kpi_targets.note
from {{ ref('kpi_targets') }} as kpi_targets
