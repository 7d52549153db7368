"""cx360.publish: atomic replace of the published DuckDB file, unchanged on any failure."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

import cx360.publish as publish_module
from cx360.errors import BuildError
from cx360.publish import publish
from cx360.warehouse import Warehouse


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_build(warehouse: Warehouse, customers: int) -> None:
    warehouse.ensure_dirs()
    con = duckdb.connect(str(warehouse.build_db))
    try:
        for schema in ("marts", "audit", "staging", "raw"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(
            "create or replace table marts.customer_360 as "
            f"select 'c' || range::varchar as customer_id from range({customers})"
        )
        con.execute("create or replace view marts.v_customers as select * from marts.customer_360")
        con.execute("create or replace table audit.quarantine as select 1 as n")
        con.execute("create or replace table staging.secret as select 'pii' as email")
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    wh = Warehouse(tmp_path / "wh")
    _write_build(wh, customers=3)
    return wh


def test_publish_copies_marts_and_audit_only(warehouse: Warehouse) -> None:
    result = publish(warehouse, "run-1", validation_passed=True)

    assert result.path == warehouse.published_db
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        schemas = {
            r[0]
            for r in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
        assert {"marts", "audit"} <= schemas
        assert "staging" not in schemas and "raw" not in schemas
        assert con.execute("select count(*) from marts.customer_360").fetchone() == (3,)
        # a view is materialised: the published file must not point back into the build file
        kind = con.execute(
            "select table_type from information_schema.tables where table_name = 'v_customers'"
        ).fetchone()
        assert kind == ("BASE TABLE",)
        log = con.execute(
            "select run_id, validation_passed, row_count from audit.publish_log"
            " where table_name = 'marts.customer_360'"
        ).fetchall()
        assert log == [("run-1", True, 3)]
    finally:
        con.close()
    assert not list(warehouse.root.glob("*.publishing-*")), "no staging file left behind"


def test_publish_log_keeps_history(warehouse: Warehouse) -> None:
    publish(warehouse, "run-1", validation_passed=True)
    _write_build(warehouse, customers=5)
    publish(warehouse, "run-2", validation_passed=True)

    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        rows = con.execute(
            "select run_id, row_count from audit.publish_log"
            " where table_name = 'marts.customer_360' order by run_id"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("run-1", 3), ("run-2", 5)]


def test_reader_keeps_a_consistent_view_during_publish(warehouse: Warehouse) -> None:
    publish(warehouse, "run-1", validation_passed=True)
    reader = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        _write_build(warehouse, customers=7)
        publish(warehouse, "run-2", validation_passed=True)
        # the open reader still sees the old file, whole
        assert reader.execute("select count(*) from marts.customer_360").fetchone() == (3,)
    finally:
        reader.close()
    fresh = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        assert fresh.execute("select count(*) from marts.customer_360").fetchone() == (7,)
    finally:
        fresh.close()


def test_failed_publish_leaves_published_file_byte_identical(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(warehouse, "run-1", validation_passed=True)
    before = _sha256(warehouse.published_db)
    _write_build(warehouse, customers=9)

    def broken_copy(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        con.execute("create schema marts")
        con.execute("create table marts.half_written as select 1 as x")
        raise duckdb.IOException("disk full (simulated)")

    monkeypatch.setattr(publish_module, "_copy_schemas", broken_copy)
    with pytest.raises(BuildError, match="left unchanged"):
        publish(warehouse, "run-2", validation_passed=True)

    assert _sha256(warehouse.published_db) == before
    assert not list(warehouse.root.glob("*.publishing-*"))


def test_failed_rename_leaves_published_file_byte_identical(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(warehouse, "run-1", validation_passed=True)
    before = _sha256(warehouse.published_db)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("rename failed (simulated)")

    monkeypatch.setattr(publish_module.os, "replace", broken_replace)
    with pytest.raises(BuildError):
        publish(warehouse, "run-2", validation_passed=True)
    assert _sha256(warehouse.published_db) == before
    assert not list(warehouse.root.glob("*.publishing-*"))


def test_publish_refuses_unvalidated_build(warehouse: Warehouse) -> None:
    with pytest.raises(BuildError, match="validation did not pass"):
        publish(warehouse, "run-1", validation_passed=False)
    assert not warehouse.published_db.exists()


def _spark_build(warehouse: Warehouse, tables: dict[str, int]) -> None:
    """Parquet table folders as dbt-spark leaves them in the build schema (marts__build.db)."""
    folder = warehouse.spark_schema_dir("marts" + warehouse.build_schema_suffix)
    con = duckdb.connect()
    try:
        for table, rows in tables.items():
            (folder / table).mkdir(parents=True, exist_ok=True)
            con.execute(
                f"copy (select 'c' || range::varchar as customer_id, true as is_active, "
                f"10.0 as revenue_lifetime from range({rows})) "
                f"to '{folder / table / 'part-00000.parquet'}' (format parquet)"
            )
    finally:
        con.close()


def _published_rows(warehouse: Warehouse, table: str) -> int:
    files = sorted((warehouse.spark_published_dir / "current" / table).glob("*.parquet"))
    con = duckdb.connect()
    try:
        return con.execute(
            "select count(*) from read_parquet(?)", [[str(f) for f in files]]
        ).fetchone()[0]
    finally:
        con.close()


def test_spark_publish_swaps_every_table_behind_one_symlink(tmp_path: Path) -> None:
    """The build's table folders are linked into a run folder and `published/current` is renamed
    onto it: the published tables change together; a rebuild of marts__build (the next run)
    does not touch what is published; the earlier run folders are pruned."""
    from cx360.publish_spark import (
        build_tables,
        link_run_folder,
        point_current_at,
        prune_run_folders,
    )

    warehouse = Warehouse(tmp_path / "wh", "spark")
    published = warehouse.spark_published_dir
    published.mkdir(parents=True)
    runs = []
    for n, rows in enumerate((3, 5, 7)):
        _spark_build(warehouse, {"customer_360": rows, "fct_kpi": rows * 10})
        runs.append(published / f"run-{n}")
        link_run_folder(build_tables(warehouse), runs[-1])
        previous = point_current_at(published, runs[-1])
        assert previous == (runs[-2].resolve() if n else None)
        assert (published / f"run-{n - 1}").is_dir() == bool(n)  # until the prune
        prune_run_folders(published, {runs[-1]})
        assert (published / "current").is_symlink()
        assert _published_rows(warehouse, "customer_360") == rows
        assert _published_rows(warehouse, "fct_kpi") == rows * 10
    assert sorted(p.name for p in published.iterdir()) == ["current", "run-2"]

    # the next build rewrites marts__build: the published files are links of their own
    build = warehouse.spark_schema_dir("marts__build")
    for part in build.rglob("*.parquet"):
        part.unlink()
    _spark_build(warehouse, {"customer_360": 1})
    assert _published_rows(warehouse, "customer_360") == 7


def test_spark_mart_guard_compares_the_build_with_the_published_folders(tmp_path: Path) -> None:
    from cx360.mart_guard import mart_drops
    from cx360.publish_spark import build_tables, link_run_folder, point_current_at

    warehouse = Warehouse(tmp_path / "wh", "spark")
    _spark_build(warehouse, {"customer_360": 100})
    assert mart_drops(warehouse) == []  # nothing published yet: nothing to compare with
    warehouse.spark_published_dir.mkdir(parents=True)
    link_run_folder(build_tables(warehouse), warehouse.spark_published_dir / "run-1")
    point_current_at(warehouse.spark_published_dir, warehouse.spark_published_dir / "run-1")

    _spark_build(warehouse, {"customer_360": 95})  # overwrites part-00000: 5 % fewer
    assert mart_drops(warehouse) == []
    _spark_build(warehouse, {"customer_360": 50})
    drops = {drop.measure: (drop.published, drop.built) for drop in mart_drops(warehouse)}
    assert drops == {
        "active customers": (100, 50),
        "revenue (lifetime, all customers)": (1000, 500),
    }


def test_a_failed_spark_child_names_what_failed() -> None:
    from cx360.landing.spark_export import run_spark_child

    with pytest.raises(BuildError, match="swapping the moon failed") as raised:
        run_spark_child("cx360.no_such_module", [], "swapping the moon", BuildError)
    assert "No module named cx360.no_such_module" in str(raised.value)
    assert "Derby metastore" in raised.value.hint
