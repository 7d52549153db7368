"""Every drill-down lists exactly the rows its KPI value counts: for each KPI of
cx360.dashboard.data.DRILLDOWNS, every period (week, month, quarter) and every cut of
marts.fct_kpi on a published run, the rows listed equal the value's sample_size. The
drill-down restates each KPI model's row filter; this is the test that the two agree."""

from __future__ import annotations

import datetime as dt

import pytest
from _rel_support import PublishedRun

from cx360.dashboard.data import DIMENSION_COLUMNS, DRILLDOWNS, PublishedWarehouse, drilldown_rows

pytestmark = pytest.mark.slow  # the shared published run (tests/conftest.py rel_run)


@pytest.mark.parametrize("kpi_name", sorted(DRILLDOWNS))
def test_rows_listed_are_the_sample_of_every_value(rel_run: PublishedRun, kpi_name: str) -> None:
    marts = PublishedWarehouse.of(rel_run.warehouse.root)
    values = marts.frame(
        "select period_grain, period_start, dimension_name, dimension_value, sample_size "
        "from marts.fct_kpi where kpi_name = ? and period_grain in ('week', 'month', 'quarter')",
        [kpi_name],
    )
    values = values[values["dimension_name"].isin(["overall", *DIMENSION_COLUMNS])]
    assert not values.empty, f"no {kpi_name} value to drill into"
    wrong = []
    for row in values.itertuples(index=False):
        start = row.period_start
        period = start.date() if isinstance(start, dt.datetime) else start
        listed = drilldown_rows(
            marts, kpi_name, row.period_grain, period, row.dimension_name, row.dimension_value
        )
        if len(listed) != row.sample_size:
            wrong.append(
                f"{row.period_grain} {period} {row.dimension_name}={row.dimension_value}: "
                f"{len(listed)} listed, sample_size {row.sample_size}"
            )
    assert wrong == [], f"{kpi_name}: {len(wrong)} of {len(values)} values differ: {wrong[:5]}"
