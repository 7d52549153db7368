"""cx360.dashboard data layer, filters and launcher, on a small published file built here."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import duckdb
import pytest

from cx360.dashboard import data
from cx360.dashboard.filters import ALL, Filters, add_months, choose_cut
from cx360.dashboard.launcher import streamlit_command

KPI_ROWS = [
    # kpi, grain, period_start, dimension, value, value
    ("nps", "month", dt.date(2026, 4, 1), "overall", "all", 20.0),
    ("nps", "month", dt.date(2026, 5, 1), "overall", "all", 30.0),
    ("nps", "month", dt.date(2026, 5, 1), "segment", "business", 10.0),
    ("nps", "month", dt.date(2026, 5, 1), "channel", "email", 40.0),
    ("nps", "all", None, "overall", "all", 25.0),
]


def _write_published(path: Path, nps_may: float = 30.0, run_id: str = "run-1") -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create schema audit")
        con.execute(
            "create table marts.fct_kpi (kpi_name varchar, period_grain varchar, "
            "period_start date, dimension_name varchar, dimension_value varchar, "
            "numerator double, denominator double, value double, sample_size bigint, "
            "unit varchar)"
        )
        for kpi, grain, start, dim, dim_value, value in KPI_ROWS:
            if (start, dim) == (dt.date(2026, 5, 1), "overall"):
                value = nps_may
            con.execute(
                "insert into marts.fct_kpi values (?, ?, ?, ?, ?, null, null, ?, 10, 'score')",
                [kpi, grain, start, dim, dim_value, value],
            )
        con.execute(
            "create table audit.publish_log (run_id varchar, published_at timestamp, "
            "validation_passed boolean, table_name varchar, row_count bigint)"
        )
        con.execute(
            "insert into audit.publish_log values (?, '2026-06-01 08:00', true, 'marts.x', 1)",
            [run_id],
        )
        con.execute("create table audit.validation_results (run_id varchar, success boolean)")
        con.execute(
            "insert into audit.validation_results values (?, true), (?, true), (?, false), "
            "('older-run', false)",
            [run_id, run_id, run_id],
        )


@pytest.fixture
def published(tmp_path: Path) -> data.PublishedWarehouse:
    data._read_frame.clear()
    _write_published(tmp_path / "cx360.duckdb")
    return data.PublishedWarehouse.of(tmp_path)


def test_missing_published_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(data.DashboardDataError, match="no published warehouse") as err:
        data.PublishedWarehouse.of(tmp_path).frame("select 1")
    assert "cx360 run" in (err.value.hint or "")


def test_missing_mart_names_the_table(published: data.PublishedWarehouse) -> None:
    with pytest.raises(data.DashboardDataError, match="marts.customer_360"):
        data.segment_value_tiers(published, ALL)


def test_months_dimensions_and_publish_status(published: data.PublishedWarehouse) -> None:
    assert data.kpi_months(published) == [dt.date(2026, 5, 1), dt.date(2026, 4, 1)]
    assert data.kpi_dimension_values(published, "segment") == ["business"]
    assert data.kpi_dimensions(published)["nps"] == {"overall", "segment", "channel"}
    status = data.publish_status(published)
    assert status.run_id == "run-1"
    assert status.validation_passed is True
    assert (status.checks, status.failed_checks) == (3, 1)  # only this run's results


def test_reads_never_write_and_never_hold_the_file(published: data.PublishedWarehouse) -> None:
    before = hashlib.sha256(published.path.read_bytes()).hexdigest()
    data.kpi_monthly(
        published,
        ["nps"],
        "overall",
        "all",
        first_month=dt.date(2026, 1, 1),
        last_month=dt.date(2026, 5, 1),
    )
    assert hashlib.sha256(published.path.read_bytes()).hexdigest() == before
    assert not published.path.with_name("cx360.duckdb.wal").exists()
    # DuckDB refuses a read-write connection while this process holds a read-only one.
    duckdb.connect(str(published.path)).close()


def test_a_new_publish_is_read_at_once(published: data.PublishedWarehouse) -> None:
    def may_nps() -> float:
        rows = data.kpi_monthly(
            published,
            ["nps"],
            "overall",
            "all",
            first_month=dt.date(2026, 5, 1),
            last_month=dt.date(2026, 5, 1),
        )
        return float(rows["value"].iloc[0])

    assert may_nps() == 30.0
    assert may_nps() == 30.0  # cached
    staged = published.path.with_name("next.duckdb")
    _write_published(staged, nps_may=55.0, run_id="run-2")
    os.utime(staged, ns=(published.version() + 10**9,) * 2)  # mtime moves even on coarse fs
    os.replace(staged, published.path)
    assert may_nps() == 55.0
    assert data.publish_status(published).run_id == "run-2"


def _filters(segment: str = ALL, channel: str = ALL) -> Filters:
    return Filters(period=dt.date(2026, 5, 1), segment=segment, channel=channel)


def test_choose_cut() -> None:
    both = frozenset({"overall", "segment", "channel"})
    assert choose_cut(both, _filters()).dimension_name == "overall"
    cut = choose_cut(both, _filters(segment="business"))
    assert (cut.dimension_name, cut.dimension_value) == ("segment", "business")
    cut = choose_cut(both, _filters(channel="email"))
    assert (cut.dimension_name, cut.dimension_value) == ("channel", "email")
    cut = choose_cut(both, _filters(segment="business", channel="email"))
    assert cut.dimension_name == "segment" and "channel filter not combined" in cut.note
    cut = choose_cut(frozenset({"overall", "channel"}), _filters(segment="business"))
    assert cut.dimension_name == "overall" and "no segment cut" in cut.note


def test_months_arithmetic() -> None:
    assert add_months(dt.date(2026, 1, 1), -1) == dt.date(2025, 12, 1)
    assert add_months(dt.date(2025, 12, 1), 1) == dt.date(2026, 1, 1)
    assert Filters(period=dt.date(2026, 3, 1)).first_trend_period == dt.date(2025, 4, 1)


def test_streamlit_command_passes_the_warehouse_after_double_dash(tmp_path: Path) -> None:
    command = streamlit_command(tmp_path, 8600, "127.0.0.1")
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[command.index("--server.port") + 1] == "8600"
    assert command[command.index("--server.headless") + 1] == "true"
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"  # no Deploy button
    assert command[-5:] == ["--", "--warehouse-dir", str(tmp_path.resolve()), "--target", "duckdb"]


def test_postgres_placeholders_and_literal_percent() -> None:
    sql = "select mod(a, 2) from t where x = ? and y like '10%' and z = ?"
    assert data._postgres_sql(sql) == (
        "select mod(a, 2) from t where x = %s and y like '10%%' and z = %s"
    )


def test_normalise_gives_floats_and_timestamps_whatever_the_engine() -> None:
    import decimal

    import pandas as pd

    frame = data._normalise(
        pd.DataFrame(
            {
                "value": [decimal.Decimal("1.5"), None],
                "period_start": [dt.date(2026, 5, 1), None],
                "name": ["a", "b"],
            }
        )
    )
    assert frame["value"].dtype == float and frame["value"].iloc[0] == 1.5
    assert pd.api.types.is_datetime64_any_dtype(frame["period_start"])
    assert frame["name"].dtype == object


def test_customers_to_act_on_keep_the_mart_ranking_with_their_own_reasons() -> None:
    import pandas as pd

    from cx360.dashboard.views.act import ranked

    targets = pd.DataFrame(
        {
            "target_rank": [2, 1, 3],  # retention_targets ranks by value at risk
            "customer_id": ["A", "B", "C"],
            "clv_predicted": [1000.0, 5000.0, None],
            "churn_risk_score": [90, 40, 80],
            "nps_category": ["detractor", None, None],
            "last_nps_score": [3, None, None],
            "complaints_12m": [0, 2, 0],
            "open_tickets": [0, 0, 1],
            "qos_exposure_30d": [0.0, 0.0, 30.0],
            "interactions_90d": [5, 0, 3],
            "next_renewal_date": [None, None, pd.Timestamp("2026-07-01")],
            "top_risk_factor": ["detractor", "recent_complaint", "open_ticket"],
        }
    )
    out = ranked(targets)
    assert list(out["customer_id"]) == ["B", "A", "C"]
    assert list(out["priority"]) == [1, 2, 3]
    reasons = dict(zip(out["customer_id"], out["reasons"], strict=True))
    assert reasons["A"] == "detractor (last NPS 3)"
    assert reasons["B"] == "2 complaint(s) in 12 months; no interaction in 90 days"
    assert "1 open ticket(s)" in reasons["C"] and "renewal due 01 Jul 2026" in reasons["C"]
