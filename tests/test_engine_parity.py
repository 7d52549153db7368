"""The same generated data, refreshed with `cx360 run` on DuckDB, Postgres and Spark (session
mode, local), gives the same fct_kpi: the same rows, numbers within 1e-9 (relative), the same
sample sizes and units. One refresh per engine, shared by the tests below."""

from __future__ import annotations

import io
import math
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import psycopg2
import pytest
from rich.console import Console

from cx360.generate import generate
from cx360.pipeline import run_pipeline
from cx360.warehouse import PostgresSettings, Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.spark]

CUSTOMERS = 300
KEY = ["kpi_name", "period_grain", "period_start", "dimension_name", "dimension_value"]
NUMBERS = ["numerator", "denominator", "value"]
RELATIVE_TOLERANCE = 1e-9
FCT_KPI_COLUMNS = ", ".join([*KEY, *NUMBERS, "sample_size", "unit"])


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parity") / "raw"
    generate(customers=CUSTOMERS, seed=17, out=out, dirty_rate=0.02, progress=False)
    return out


def _refresh(raw: Path, warehouse: Warehouse) -> None:
    output = io.StringIO()
    status = run_pipeline(raw, warehouse, progress=False, console=Console(file=output, width=200))
    assert status == 0, f"cx360 run --target {warehouse.target} failed:\n{output.getvalue()}"


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[[*KEY, *NUMBERS, "sample_size", "unit"]].copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    for column in NUMBERS:
        frame[column] = frame[column].astype("float64")
    frame["sample_size"] = frame["sample_size"].astype("int64")
    return frame.sort_values(KEY, na_position="first").reset_index(drop=True)


@pytest.fixture(scope="module")
def duckdb_kpis(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    warehouse = Warehouse(tmp_path_factory.mktemp("duckdb"), "duckdb")
    _refresh(raw_dir, warehouse)
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        return _normalised(con.execute(f"select {FCT_KPI_COLUMNS} from marts.fct_kpi").df())
    finally:
        con.close()


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[PostgresSettings]:
    """A database of its own (created by landing), dropped afterwards."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CX360_PG_DATABASE", f"cx360_parity_{uuid.uuid4().hex[:10]}")
    settings = PostgresSettings.from_env()
    yield settings
    patch.undo()
    admin = psycopg2.connect(**settings.connect_kwargs("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{settings.database}" with (force)')
    admin.close()


@pytest.fixture(scope="module")
def postgres_kpis(
    raw_dir: Path, postgres_database: PostgresSettings, tmp_path_factory: pytest.TempPathFactory
) -> pd.DataFrame:
    _refresh(raw_dir, Warehouse(tmp_path_factory.mktemp("postgres"), "postgres"))
    con = psycopg2.connect(**postgres_database.connect_kwargs())
    try:
        with con.cursor() as cur:
            cur.execute(f"select {FCT_KPI_COLUMNS} from marts.fct_kpi")
            names = [d[0] for d in cur.description]
            return _normalised(pd.DataFrame(cur.fetchall(), columns=names))
    finally:
        con.close()


@pytest.fixture(scope="module")
def spark_warehouse(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(tmp_path_factory.mktemp("spark"), "spark")
    _refresh(raw_dir, warehouse)
    return warehouse


@pytest.fixture(scope="module")
def spark_kpis(spark_warehouse: Warehouse) -> pd.DataFrame:
    warehouse = spark_warehouse
    # read in a child process: the Derby metastore admits one JVM at a time, held until exit
    out = warehouse.root / "fct_kpi.parquet"
    code = textwrap.dedent(
        f"""
        from cx360.landing.spark_export import spark_session
        from cx360.warehouse import Warehouse
        spark = spark_session(Warehouse({str(warehouse.root)!r}, "spark"))
        spark.sql("select {FCT_KPI_COLUMNS} from marts.fct_kpi").toPandas().to_parquet(
            {str(out)!r}
        )
        spark.stop()
        """
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert child.returncode == 0, f"reading marts.fct_kpi from Spark failed:\n{child.stderr}"
    return _normalised(pd.read_parquet(out))


def _differences(expected: pd.DataFrame, actual: pd.DataFrame, engine: str) -> list[str]:
    merged = expected.merge(
        actual, on=KEY, how="outer", suffixes=("_duckdb", f"_{engine}"), indicator=True
    )
    problems = [
        f"{'only on duckdb' if row['_merge'] == 'left_only' else f'only on {engine}'}: "
        f"{tuple(row[k] for k in KEY)}"
        for _, row in merged[merged["_merge"] != "both"].iterrows()
    ]
    both = merged[merged["_merge"] == "both"]
    for _, row in both.iterrows():
        key = tuple(row[k] for k in KEY)
        for column in NUMBERS:
            a, b = row[f"{column}_duckdb"], row[f"{column}_{engine}"]
            if pd.isna(a) and pd.isna(b):
                continue
            if (
                pd.isna(a)
                or pd.isna(b)
                or not math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=RELATIVE_TOLERANCE)
            ):
                problems.append(f"{key} {column}: duckdb {a!r}, {engine} {b!r}")
        for column in ("sample_size", "unit"):
            if row[f"{column}_duckdb"] != row[f"{column}_{engine}"]:
                problems.append(
                    f"{key} {column}: duckdb {row[f'{column}_duckdb']!r}, "
                    f"{engine} {row[f'{column}_{engine}']!r}"
                )
    return problems


def test_duckdb_builds_every_kpi(duckdb_kpis: pd.DataFrame) -> None:
    assert len(duckdb_kpis) > 1000
    assert {"nps", "csat", "churn_rate", "mttr_hours", "clv_historical"} <= set(
        duckdb_kpis["kpi_name"]
    )


def test_postgres_gives_the_same_fct_kpi(
    duckdb_kpis: pd.DataFrame, postgres_kpis: pd.DataFrame
) -> None:
    problems = _differences(duckdb_kpis, postgres_kpis, "postgres")
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems[:20])


def test_spark_gives_the_same_fct_kpi(duckdb_kpis: pd.DataFrame, spark_kpis: pd.DataFrame) -> None:
    problems = _differences(duckdb_kpis, spark_kpis, "spark")
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems[:20])


def test_the_comparison_notices_a_difference(duckdb_kpis: pd.DataFrame) -> None:
    changed = duckdb_kpis.copy()
    row = changed["numerator"].first_valid_index()
    changed.loc[row, "numerator"] += 1e-6 * max(1.0, abs(changed.loc[row, "numerator"]))
    changed = changed.drop(index=changed.index[-1] if changed.index[-1] != row else 0)
    problems = _differences(duckdb_kpis, changed, "changed")
    assert len(problems) == 2


def test_spark_runs_the_marts_suites(spark_warehouse: Warehouse) -> None:
    """The marts suites gate Spark too (read from the marts' parquet files)."""
    con = duckdb.connect(str(spark_warehouse.landing_db), read_only=True)
    try:
        rows = con.execute(
            "select suite_name, bool_and(success), count(*) from audit.validation_results "
            "where suite_name like 'marts.%' group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert [(suite, passed) for suite, passed, _ in rows] == [
        ("marts.customer_360", True),
        ("marts.fct_kpi", True),
    ]
    assert all(count > 1 for *_, count in rows)


def test_spark_publishes_by_swapping_the_current_folder(spark_warehouse: Warehouse) -> None:
    """Spark write-audit-publish (cx360/publish_spark.py): the validated build's folders sit
    under published/<run>/, `current` points there, and marts.fct_kpi read above came through
    it (spark_kpis equals DuckDB's)."""
    current = spark_warehouse.spark_published_dir / "current"
    assert current.is_symlink()
    assert {"customer_360", "fct_kpi"} <= {p.name for p in current.iterdir()}
    assert list((current / "fct_kpi").glob("*.parquet"))
