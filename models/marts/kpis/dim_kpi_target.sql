-- KPI targets (seed kpi_targets) as BI reads them; met or missed by the direction in dim_kpi.
select
    kpi_name,
    cast(target as {{ cx360_type_double() }}) as target,
    note
from {{ ref('kpi_targets') }}
