"""Data ending mid-month: that month is published as partial and never compared as a full one.

The shared clean run (clean_run in tests/conftest.py) ends on 2026-06-15 (CLEAN_END); this
module requires
- every month-grain fct_kpi row of June 2026 (the as-of day falls inside it) to have
  period_complete = false, and May's rows (a whole month before the as-of day) true where the
  KPI's data does not start inside May;
- the CLI summary (cx360.kpi_summary) to compare May with April, never June: its last month is
  May, its values are fct_kpi's May values, and none of them is June's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import CLEAN_END, CleanRun

from cx360.kpi_summary import load_kpi_summary

pytestmark = pytest.mark.slow  # the shared clean run (tests/conftest.py clean_run)

JUNE, MAY, APRIL = dt.date(2026, 6, 1), dt.date(2026, 5, 1), dt.date(2026, 4, 1)


@pytest.fixture(scope="module")
def published(clean_run: CleanRun) -> Path:
    assert dt.date.fromisoformat(CLEAN_END) == dt.date(2026, 6, 15)
    return clean_run.warehouse.published_db


def test_the_month_holding_the_as_of_day_is_partial(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        (as_of,) = con.execute("select as_of_date from marts.kpi_reporting_window").fetchone()
        assert JUNE <= as_of < dt.date(2026, 6, 30), f"data should end mid-June, as-of {as_of}"
        june = con.execute(
            "select kpi_name, bool_or(period_complete), count(*) from marts.fct_kpi "
            "where period_grain = 'month' and period_start = ? group by kpi_name",
            [JUNE],
        ).fetchall()
        # every KPI's data starts months before May: May is whole
        may = dict(
            con.execute(
                "select kpi_name, bool_and(period_complete) from marts.fct_kpi "
                "where period_grain = 'month' and period_start = ? group by kpi_name",
                [MAY],
            ).fetchall()
        )
    assert len(june) >= 10, f"too few KPIs have a June row: {june}"
    assert not [name for name, any_complete, _ in june if any_complete], june
    assert may and all(may.values()), f"May should be complete: {may}"


def test_summary_compares_the_last_full_month_not_the_partial_one(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        summary = load_kpi_summary(con)
        may_values = dict(
            con.execute(
                "select kpi_name, value from marts.fct_kpi where period_grain = 'month' "
                "and dimension_name = 'overall' and period_start = ?",
                [MAY],
            ).fetchall()
        )
        june_values = dict(
            con.execute(
                "select kpi_name, value from marts.fct_kpi where period_grain = 'month' "
                "and dimension_name = 'overall' and period_start = ?",
                [JUNE],
            ).fetchall()
        )
    assert (summary.last_month_start, summary.previous_month_start) == (MAY, APRIL)
    compared = [row for row in summary.rows if row.change is not None]
    assert len(compared) >= 8, "the summary should compare most KPIs month on month"
    for row in summary.rows:
        assert row.last_month == may_values.get(row.kpi.name), row.kpi.name
        assert row.last_month_complete in (True, None), row.kpi.name
    # June's counts (half a month) differ from May's: had they been used, this would show it
    counts = [name for name in ("new_customers", "churned_customers") if name in june_values]
    assert any(june_values[name] != may_values.get(name) for name in counts)
