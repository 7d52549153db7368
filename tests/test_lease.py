"""The warehouse lease (cx360/lease.py): one run holds a warehouse from landing to publish.

A second run started meanwhile exits at once with code 3 (warehouse busy) and lands nothing,
so the batch it brought is not in what the first run publishes; the next run then judges that
batch and blocks on it, leaving the published file as it was. A lease whose holder died is
taken over; one whose holder lives is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from _orch_support import generated_raw, ticket_rows, write_batch

from cx360 import lease
from cx360.errors import ExitCode, WarehouseBusy
from cx360.warehouse import Warehouse

CX360 = str(Path(sys.executable).with_name("cx360"))
REACH_BUILD_TIMEOUT_S = 600


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cx360(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CX360, *args], capture_output=True, text=True, check=False, env=_env())


def _env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200"}


def _wait_for_dbt_build(process: subprocess.Popen[str]) -> list[str]:
    """Read the run's output until dbt has created a model; returns the lines read."""
    assert process.stdout is not None
    lines: list[str] = []
    in_build = False
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
            return lines
    raise AssertionError("the run never reached the dbt build:\n" + "".join(lines[-30:]))


@pytest.mark.slow
def test_a_run_started_meanwhile_is_refused_and_its_rejected_batch_never_published(
    tmp_path: Path,
) -> None:
    raw = generated_raw(tmp_path / "raw", seed=21)
    warehouse = Warehouse(tmp_path / "wh")

    run_a = subprocess.Popen(
        [CX360, "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    try:
        lines = _wait_for_dbt_build(run_a)
        holder = lease.read_holder(warehouse.root)
        assert holder is not None and holder.pid == run_a.pid

        # a batch the volume suite rejects (36 of 40 rows unparseable), delivered mid-build
        bad = write_batch(raw, "support_tickets", "2026-07-01.csv", ticket_rows("BAD", 40, bad=36))
        started = time.monotonic()
        run_b = _cx360("run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root))
        b_seconds = time.monotonic() - started
        land_b = _cx360("land", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root))
        assert run_a.poll() is None, "run A ended before run B was tried: the test proves nothing"
    finally:
        rest, _ = run_a.communicate(timeout=1200)
    output_a = "".join(lines) + rest

    assert run_b.returncode == ExitCode.WAREHOUSE_BUSY, run_b.stdout[-2000:]
    assert "is busy" in run_b.stderr and holder.run_id in run_b.stderr, run_b.stderr
    assert b_seconds < 30  # "at once": it waited for nothing (dominated by Python start-up)
    assert land_b.returncode == ExitCode.WAREHOUSE_BUSY, land_b.stderr
    assert "is busy" in land_b.stderr

    assert run_a.returncode == ExitCode.PUBLISHED, output_a[-3000:]
    assert lease.read_holder(warehouse.root) is None  # given back after publish
    published_before = _sha256(warehouse.published_db)
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        tickets = con.execute(
            "select count(*) from marts.fct_tickets where ticket_id like 'BAD-%'"
        ).fetchone()
        landed = con.execute(
            "select count(*) from audit.landed_batches where batch_name = ?", [bad]
        ).fetchone()
    finally:
        con.close()
    assert tickets == (0,) and landed == (0,)

    # the next run lands the batch, its validation rejects it, nothing is published
    run_c = _cx360("run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse.root))
    assert run_c.returncode == ExitCode.BLOCKED, run_c.stdout[-3000:]
    assert bad in run_c.stdout
    assert _sha256(warehouse.published_db) == published_before
    assert lease.read_holder(warehouse.root) is None


def test_a_live_holder_keeps_the_lease(tmp_path: Path) -> None:
    lease.acquire(tmp_path, "run-1")
    with pytest.raises(WarehouseBusy) as busy:
        lease.acquire(tmp_path, "run-2")
    assert busy.value.exit_code == ExitCode.WAREHOUSE_BUSY
    assert "run-1" in str(busy.value) and str(os.getpid()) in str(busy.value)
    assert lease.acquire(tmp_path, "run-1").run_id == "run-1"  # the holder itself: no-op
    lease.release(tmp_path, "run-2")  # not the holder: nothing happens
    assert lease.read_holder(tmp_path).run_id == "run-1"
    lease.release(tmp_path, "run-1")
    assert lease.read_holder(tmp_path) is None


def test_the_lease_of_a_crashed_run_is_taken_over(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    lease.acquire(tmp_path, "crashed", pid=dead_pid)
    assert lease.acquire(tmp_path, "next").run_id == "next"
    lease.release(tmp_path, "next")


def test_another_hosts_lease_is_not_broken(tmp_path: Path) -> None:
    lease.lease_path(tmp_path).write_text(
        json.dumps(
            {
                "run_id": "far",
                "host": socket.gethostname() + "-other",
                "pid": 1,
                "started_at": "2026-11-29 10:00:00",
            }
        )
    )
    with pytest.raises(WarehouseBusy):
        lease.acquire(tmp_path, "near")


def test_a_finished_dagster_run_leaves_a_stale_lease(tmp_path: Path) -> None:
    lease.acquire(tmp_path, "dagster-run")  # this (live) process, as an in-process run
    with pytest.raises(WarehouseBusy):
        lease.acquire(tmp_path, "other", holder_finished=lambda run_id: False)
    taken = lease.acquire(tmp_path, "other", holder_finished=lambda run_id: run_id == "dagster-run")
    assert taken.run_id == "other"
