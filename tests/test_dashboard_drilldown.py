"""Every drill-down lists exactly the rows its KPI value counts: for each KPI of
cx360.dashboard.data.DRILLDOWNS, every period (week, month, quarter) and every cut of
marts.fct_kpi on a published run, the rows listed equal the value's sample_size. The
drill-down restates each KPI model's row filter; this is the test that the two agree.

On the clean run, which has no erasure request: with erasure requests the KPIs also count the
erased customers' rows (var erasure_policy anonymise), which no drill-down lists
(tests/test_erasure.py checks that case).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from _drilldown_support import HeldConnection, listed_and_sample
from conftest import CleanRun

from cx360.dashboard.data import DRILLDOWNS, PublishedWarehouse, drilldown_rows, erased_customers

pytestmark = pytest.mark.slow  # the shared clean run (tests/conftest.py clean_run)


@pytest.fixture(scope="module")
def clean(clean_run: CleanRun) -> Iterator[HeldConnection]:
    con = duckdb.connect(str(clean_run.warehouse.published_db), read_only=True)
    try:
        yield HeldConnection(con)
    finally:
        con.close()


def test_the_held_connection_lists_what_the_dashboard_lists(
    clean_run: CleanRun, clean: HeldConnection
) -> None:
    marts = PublishedWarehouse.of(Path(clean_run.warehouse.root))
    for kpi_name in sorted(DRILLDOWNS):
        first = clean.frame(
            "select period_grain, period_start, dimension_name, dimension_value "
            "from marts.fct_kpi where kpi_name = ? and period_grain = 'month' limit 1",
            [kpi_name],
        )
        if first.empty:
            continue
        cut = (
            kpi_name,
            first.at[0, "period_grain"],
            pd.Timestamp(first.at[0, "period_start"]).date(),
            first.at[0, "dimension_name"],
            first.at[0, "dimension_value"],
        )
        pd.testing.assert_frame_equal(drilldown_rows(clean, *cut), drilldown_rows(marts, *cut))


@pytest.mark.parametrize("kpi_name", sorted(DRILLDOWNS))
def test_rows_listed_are_the_sample_of_every_value(clean: HeldConnection, kpi_name: str) -> None:
    assert erased_customers(clean) == 0
    wrong = [
        f"{label}: {listed} listed, sample_size {sample}"
        for label, listed, sample in listed_and_sample(clean, kpi_name)
        if listed != sample
    ]
    assert wrong == [], f"{kpi_name}: {len(wrong)} values differ: {wrong[:5]}"
