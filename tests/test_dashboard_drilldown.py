"""Every drill-down lists exactly the rows its KPI value counts: for each KPI of
cx360.dashboard.data.DRILLDOWNS, every period (week, month, quarter) and every cut of
marts.fct_kpi on a published run, the rows listed equal the value's sample_size. The
drill-down restates each KPI model's row filter; this is the test that the two agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest
from _rel_support import PublishedRun

from cx360.dashboard.data import (
    DIMENSION_COLUMNS,
    DRILLDOWNS,
    PublishedWarehouse,
    _Marts,
    _normalise,
    drilldown_rows,
)

pytestmark = pytest.mark.slow  # the shared published run (tests/conftest.py rel_run)


@dataclass(frozen=True)
class HeldConnection(_Marts):
    """The published file as PublishedWarehouse reads it (same SQL from drilldown_rows, same
    _normalise), through one read-only connection held for the module. The dashboard opens a
    connection per load, which is right for a page but cost ~50 ms per drill-down here, over
    5,000 drill-downs: two minutes spent opening the file."""

    con: duckdb.DuckDBPyConnection
    engine = "duckdb"

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return _normalise(self.con.execute(sql, list(params)).df())


@pytest.fixture(scope="module")
def held(rel_run: PublishedRun) -> Iterator[HeldConnection]:
    con = rel_run.published()
    try:
        yield HeldConnection(con)
    finally:
        con.close()


@pytest.mark.parametrize("kpi_name", sorted(DRILLDOWNS))
def test_rows_listed_are_the_sample_of_every_value(
    rel_run: PublishedRun, held: HeldConnection, kpi_name: str
) -> None:
    marts = PublishedWarehouse.of(rel_run.warehouse.root)
    values = marts.frame(
        "select period_grain, period_start, dimension_name, dimension_value, sample_size "
        "from marts.fct_kpi where kpi_name = ? and period_grain in ('week', 'month', 'quarter')",
        [kpi_name],
    )
    values = values[values["dimension_name"].isin(["overall", *DIMENSION_COLUMNS])]
    assert not values.empty, f"no {kpi_name} value to drill into"
    # the held connection lists what the dashboard's own reader lists (first value)
    first = values.iloc[0]
    first_period = pd.Timestamp(first.period_start).date()
    cut = (kpi_name, first.period_grain, first_period, first.dimension_name, first.dimension_value)
    pd.testing.assert_frame_equal(drilldown_rows(held, *cut), drilldown_rows(marts, *cut))
    wrong = []
    for row in values.itertuples(index=False):
        start = row.period_start
        period = start.date() if isinstance(start, dt.datetime) else start
        listed = drilldown_rows(
            held, kpi_name, row.period_grain, period, row.dimension_name, row.dimension_value
        )
        if len(listed) != row.sample_size:
            wrong.append(
                f"{row.period_grain} {period} {row.dimension_name}={row.dimension_value}: "
                f"{len(listed)} listed, sample_size {row.sample_size}"
            )
    assert wrong == [], f"{kpi_name}: {len(wrong)} of {len(values)} values differ: {wrong[:5]}"
