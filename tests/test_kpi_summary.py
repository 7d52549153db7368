"""cx360.kpi_summary on a hand-made published warehouse (no dbt run needed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from cx360.errors import Cx360Error
from cx360.kpi_summary import kpi_summary_rows, kpi_summary_table, print_kpi_summary
from cx360.warehouse import Warehouse

MARCH, FEBRUARY = dt.date(2026, 3, 1), dt.date(2026, 2, 1)
REGISTRY = Path(__file__).resolve().parents[1] / "seeds" / "kpi_registry.csv"


def _publish(warehouse: Warehouse) -> None:
    warehouse.root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse.published_db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.kpi_reporting_window as select date '2026-03-31' as as_of_date, "
            "date '2026-03-01' as last_full_month_start, date '2026-02-01' as previous_month_start"
        )
        # the registry as dbt publishes it (seeds/kpi_registry.csv)
        con.execute(
            "create table marts.dim_kpi as select * from read_csv(?, header = true)",
            [str(REGISTRY)],
        )
        con.execute(
            "create table marts.fct_kpi (kpi_name varchar, period_grain varchar, "
            "period_start date, dimension_name varchar, dimension_value varchar, "
            "numerator double, denominator double, value double, sample_size bigint, "
            "unit varchar, period_complete boolean)"
        )
        rows = [
            ("nps", "all", None, "overall", "all", 30.0, "score", True),
            ("nps", "month", MARCH, "overall", "all", 40.0, "score", True),
            ("nps", "month", FEBRUARY, "overall", "all", 25.0, "score", True),
            ("nps", "month", MARCH, "channel", "web", -99.0, "score", True),  # not overall
            ("churn_rate", "month", MARCH, "overall", "all", 2.0, "percent", True),
            ("churn_rate", "month", FEBRUARY, "overall", "all", 1.5, "percent", True),
            ("csat", "month", MARCH, "overall", "all", None, "percent", True),  # denominator 0
            # cac's spend data starts inside March: a partial month, not compared
            ("cac", "month", MARCH, "overall", "all", 90.0, "currency", False),
            ("cac", "month", FEBRUARY, "overall", "all", 10.0, "currency", True),
            ("revenue_share_top20", "month", MARCH, "overall", "all", 60.0, "percent", True),
            ("revenue_share_top20", "month", FEBRUARY, "overall", "all", 50.0, "percent", True),
        ]
        con.executemany(
            "insert into marts.fct_kpi values (?, ?, ?, ?, ?, null, null, ?, 0, ?, ?)", rows
        )


def test_rows_take_overall_values_and_judge_the_change(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        rows = {row.kpi.name: row for row in kpi_summary_rows(con)}
    nps, churn, csat = rows["nps"], rows["churn_rate"], rows["csat"]
    assert (nps.overall, nps.last_month, nps.previous_month) == (30.0, 40.0, 25.0)
    assert nps.change == 15.0 and nps.is_improvement is True
    assert churn.overall is None  # churn is monthly only
    assert churn.change == pytest.approx(0.5) and churn.is_improvement is False  # up is bad
    assert csat.last_month is None and csat.change is None and csat.is_improvement is None


def test_labels_and_directions_come_from_the_registry(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        con_rows = {row.kpi.name: row for row in kpi_summary_rows(con)}
        registry = {
            name: (label, unit, direction)
            for name, label, unit, direction in con.execute(
                "select kpi_name, label, unit, direction from marts.dim_kpi"
            ).fetchall()
        }
    for name, row in con_rows.items():
        assert (row.kpi.label, row.kpi.unit, row.kpi.direction) == registry[name]
    # neutral: a change is shown but judged neither good nor bad
    share = con_rows["revenue_share_top20"]
    assert share.change == 10.0 and share.is_improvement is None


def test_a_partial_month_is_not_compared_as_a_full_one(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        cac = {row.kpi.name: row for row in kpi_summary_rows(con)}["cac"]
        table = kpi_summary_table(con)
    assert cac.last_month == 90.0 and cac.last_month_complete is False
    assert cac.change is None and cac.is_improvement is None
    console = Console(width=200, record=True)
    console.print(table)
    assert "(partial)" in console.export_text()


def test_table_renders_months_and_percentage_points(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    console = Console(record=True, width=120)
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        console.print(kpi_summary_table(con))
    text = console.export_text()
    assert "as of 2026-03-31" in text
    assert "Mar 2026" in text and "vs Feb 2026" in text
    assert "+0.50 pp" in text  # churn 1.50 % -> 2.00 %
    assert "+15.0" in text


def test_print_reads_the_published_file_and_returns_0(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    assert print_kpi_summary(warehouse, Console(record=True)) == 0


def test_missing_published_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Cx360Error, match="no published warehouse") as caught:
        print_kpi_summary(Warehouse(tmp_path / "empty"))
    assert "cx360 run" in str(caught.value)


def test_stitching_match_rates_are_printed_per_source(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)
    with duckdb.connect(str(warehouse.published_db)) as con:
        con.execute("create schema audit")
        con.execute(
            "create table audit.stitching_match_rates as select * from (values "
            "('tickets', 'customer_id', 60, 0.6), ('tickets', 'email', 30, 0.3), "
            "('tickets', 'ambiguous', 10, 0.1), ('survey_answers', 'phone', 4, 1.0)) "
            "as t(source, attribution_rule, rows, share)"
        )
    console = Console(record=True, width=200)
    assert print_kpi_summary(warehouse, console) == 0
    lines = console.export_text().splitlines()
    header = next(line for line in lines if "attributed by" in line)
    assert header.index("survey_answers") < header.index("tickets")  # sources sorted
    cells = {
        line.split()[1]: line.split("│")[2:4]
        for line in lines
        if line.startswith("│") and "attributed by" not in line
    }
    assert [c.strip() for c in cells["rows"]] == ["4", "100"]
    assert [c.strip() for c in cells["customer_id"]] == ["—", "60.0 %"]
    assert [c.strip() for c in cells["email"]] == ["—", "30.0 %"]
    assert [c.strip() for c in cells["phone"]] == ["100.0 %", "—"]
    assert [c.strip() for c in cells["ambiguous"]] == ["—", "10.0 %"]


def test_summary_without_stitching_model_still_prints(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _publish(warehouse)  # no audit.stitching_match_rates
    console = Console(record=True, width=200)
    assert print_kpi_summary(warehouse, console) == 0
    assert "Identity stitching" not in console.export_text()
