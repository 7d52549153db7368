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


def test_spark_has_no_publish_step(tmp_path: Path) -> None:
    """Spark serves its marts in place; Postgres swaps schemas (tests/test_publish_postgres.py)."""
    with pytest.raises(BuildError, match="in place"):
        publish(Warehouse(tmp_path, "spark"), "run-1", validation_passed=True)
