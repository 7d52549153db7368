"""Concurrency and crashes on DuckDB: readers of the published file never block a run and never
see a partial publish; a run killed with SIGKILL mid-build leaves the published file unchanged
and the next run succeeds.

Publish (cx360/publish.py) writes a fresh file next to the published one and renames it over
it: a reader holds the old inode until it reconnects, a new reader opens the new file.
"""

from __future__ import annotations

import hashlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from _orch_support import interaction_rows, ticket_rows, write_batch

from cx360.generate import generate
from cx360.publish import publish
from cx360.warehouse import Warehouse

CX360 = str(Path(sys.executable).with_name("cx360"))
# How long the killed run may take to reach the dbt build (landing + raw validation).
REACH_BUILD_TIMEOUT_S = 300


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_build(warehouse: Warehouse, customers: int) -> None:
    """A stand-in build database: `customers` rows in marts.customer_360."""
    warehouse.ensure_dirs()
    con = duckdb.connect(str(warehouse.build_db))
    try:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists audit")
        con.execute(
            "create or replace table marts.customer_360 as "
            f"select 'c' || range::varchar as customer_id from range({customers})"
        )
    finally:
        con.close()


def _published_count(warehouse: Warehouse) -> int:
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        return con.execute("select count(*) from marts.customer_360").fetchone()[0]
    finally:
        con.close()


def test_an_open_reader_does_not_block_publish_and_keeps_its_snapshot(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _write_build(warehouse, customers=3)
    publish(warehouse, "run-1", validation_passed=True)

    reader = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        assert reader.execute("select count(*) from marts.customer_360").fetchone() == (3,)
        _write_build(warehouse, customers=5)
        publish(warehouse, "run-2", validation_passed=True)  # the reader still holds the file
        # the open reader keeps reading the file it opened, complete and consistent
        assert reader.execute("select count(*) from marts.customer_360").fetchone() == (3,)
    finally:
        reader.close()
    assert _published_count(warehouse) == 5  # a new reader sees the new publish


def test_readers_never_see_a_partial_publish(tmp_path: Path) -> None:
    """Readers open the published file again and again while publishes replace it: each read
    sees one complete publish (its customers match its own publish log), never an error."""
    warehouse = Warehouse(tmp_path / "wh")
    _write_build(warehouse, customers=1)
    publish(warehouse, "run-1", validation_passed=True)
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_forever() -> None:
        while not stop.is_set():
            try:
                con = duckdb.connect(str(warehouse.published_db), read_only=True)
                try:
                    count = con.execute("select count(*) from marts.customer_360").fetchone()[0]
                    logged = con.execute(
                        "select arg_max(row_count, published_at) from audit.publish_log "
                        "where table_name = 'marts.customer_360'"
                    ).fetchone()[0]
                finally:
                    con.close()
                seen.append((count, logged))
            except BaseException as err:  # noqa: BLE001 - any failure is the finding
                errors.append(err)

    thread = threading.Thread(target=read_forever)
    thread.start()
    try:
        for run in range(2, 12):
            _write_build(warehouse, customers=run * 100)
            publish(warehouse, f"run-{run}", validation_passed=True)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert len(seen) > 5
    assert all(count == logged for count, logged in seen), "a read mixed two publishes"
    assert {count for count, _ in seen} <= {1, *(run * 100 for run in range(2, 12))}


# -- SIGKILL during the dbt build -----------------------------------------------------------


def _start_run(raw: Path, warehouse: Warehouse) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [CX360, "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the kill takes dbt down with it
        env={**os.environ, "COLUMNS": "200"},
    )


def _wait_for_dbt_models(process: subprocess.Popen[str]) -> list[str]:
    """Read the run's output until dbt has created a few models; returns the lines read."""
    assert process.stdout is not None
    lines: list[str] = []
    in_build = False
    created = 0
    deadline = time.monotonic() + REACH_BUILD_TIMEOUT_S
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    while time.monotonic() < deadline:
        if not selector.select(timeout=1):
            continue
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        in_build = in_build or "dbt build" in line
        if in_build and " OK created " in line:
            created += 1
            if created >= 3:
                return lines
    raise AssertionError("the run never reached the dbt build:\n" + "".join(lines[-30:]))


@pytest.mark.slow
def test_sigkill_during_dbt_build_leaves_the_published_file_unchanged(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(customers=80, seed=13, out=raw, fmt="csv", months=6, batches="daily", progress=False)
    warehouse = Warehouse(tmp_path / "wh")
    first = subprocess.run(
        [CX360, "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    published_before = _sha256(warehouse.published_db)

    # new data, then a run killed while dbt builds
    write_batch(raw, "support_tickets", "2099-01-01.csv", ticket_rows("KILL-T", 5, bad=0))
    write_batch(raw, "interactions", "2099-01-01.csv", interaction_rows("KILL-I", 5, bad=0))
    killed = _start_run(raw, warehouse)
    try:
        _wait_for_dbt_models(killed)
        os.killpg(killed.pid, signal.SIGKILL)
    finally:
        killed.wait(timeout=60)
        if killed.stdout:
            killed.stdout.close()
    assert killed.returncode == -signal.SIGKILL

    assert _sha256(warehouse.published_db) == published_before, "the kill changed the publish"
    assert _published_count(warehouse) > 0  # still a readable DuckDB file

    # the next run succeeds, with a reader holding the published file the whole time
    reader = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        again = subprocess.run(
            [CX360, "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        old_runs = reader.execute("select count(distinct run_id) from audit.publish_log")
        assert old_runs.fetchone() == (1,)  # the reader kept its snapshot
    finally:
        reader.close()
    assert _sha256(warehouse.published_db) != published_before
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        runs = con.execute("select count(distinct run_id) from audit.publish_log").fetchone()
        assert runs == (2,)
        tickets = con.execute(
            "select count(*) from marts.fct_tickets where ticket_id like 'KILL-T-%'"
        ).fetchone()
        assert tickets == (5,)
    finally:
        con.close()
    assert not list(warehouse.root.glob("*.publishing-*")), "a staging file was left behind"


def test_publish_removes_staging_files_of_killed_publishes(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    _write_build(warehouse, customers=2)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    orphan = warehouse.published_db.with_name(f"cx360.duckdb.publishing-{dead.pid}")
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"half a database")
    orphan.with_name(orphan.name + ".wal").write_bytes(b"wal")
    publish(warehouse, "run-1", validation_passed=True)
    assert not list(warehouse.root.glob("*.publishing-*"))
    assert _published_count(warehouse) == 2
