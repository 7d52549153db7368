"""Drilling into every KPI value of a published file, for tests/test_dashboard_drilldown.py
(the clean run) and tests/test_erasure.py (the run with erasure requests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from cx360.dashboard.data import DIMENSION_COLUMNS, _Marts, _normalise, drilldown_rows


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


def listed_and_sample(marts: HeldConnection, kpi_name: str) -> list[tuple[str, int, int]]:
    """(value label, rows listed, sample_size) for every drillable value of a KPI."""
    values = marts.frame(
        "select period_grain, period_start, dimension_name, dimension_value, sample_size "
        "from marts.fct_kpi where kpi_name = ? and period_grain in ('week', 'month', 'quarter')",
        [kpi_name],
    )
    values = values[values["dimension_name"].isin(["overall", *DIMENSION_COLUMNS])]
    assert not values.empty, f"no {kpi_name} value to drill into"
    found = []
    for row in values.itertuples(index=False):
        start = row.period_start
        period = start.date() if isinstance(start, dt.datetime) else start
        listed = drilldown_rows(
            marts, kpi_name, row.period_grain, period, row.dimension_name, row.dimension_value
        )
        label = f"{row.period_grain} {period} {row.dimension_name}={row.dimension_value}"
        found.append((label, len(listed), int(row.sample_size)))
    return found
