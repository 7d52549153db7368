"""Disk full at landing, in dbt and at publish: the run exits 4 (cx360.errors.ExitCode) with one
line naming the step, the cause, the warehouse folder and the fix; no traceback, no rollback
error in its place, the published file untouched.

The warehouse lives on a small tmpfs mounted for the test (`mount -t tmpfs` as root, as the CI
container and the dev machine run). For dbt and publish the disk is filled by a step inserted
into the pipeline's step list just before that step, so the earlier steps have room to run.
The publish case runs first, on the first run's build without rebuilding it (the publish step
copies that build either way); then the dbt case, whose half-done build nothing publishes.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from _orch_support import generated_raw
from rich.console import Console

from cx360.errors import ExitCode
from cx360.pipeline import STEPS, RunState, Step, run_pipeline
from cx360.warehouse import Warehouse

pytestmark = pytest.mark.slow  # a dbt build and a publish on a generated dataset

CX360 = str(Path(sys.executable).with_name("cx360"))


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> None:
    """Write a filler file until the disk holding `folder` has no byte left."""
    chunk = b"\0" * (1 << 20)
    with (folder / "filler").open("wb", buffering=0) as handle:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    handle.write(chunk[:size])
            except OSError as err:
                assert err.errno == errno.ENOSPC
    assert os.statvfs(folder).f_bavail == 0


def _one_line_cause(output: str, step: str, folder: Path) -> str:
    lines = [line for line in output.splitlines() if f"{step}: out of disk space in" in line]
    assert len(lines) == 1, output[-3000:]
    line = lines[0]
    assert str(folder) in line and "free space" in line and "CX360_WAREHOUSE_DIR" in line
    # no traceback of ours (dbt's relayed output is indented; it may hold dbt's own log error)
    assert not any(line.startswith("Traceback") for line in output.splitlines()), output
    assert "rollback" not in output.lower()
    return line


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_disk_full_at_landing_exits_4_with_one_line(tmp_path: Path) -> None:
    raw = generated_raw(tmp_path / "raw", seed=31)
    with small_disk(tmp_path / "disk", "2m") as disk:
        warehouse = disk / "wh"
        result = subprocess.run(
            [CX360, "run", "--raw-dir", str(raw), "--warehouse-dir", str(warehouse)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "COLUMNS": "300"},
        )
        output = result.stdout + result.stderr
        assert result.returncode == ExitCode.OUT_OF_RESOURCES, output[-3000:]
        _one_line_cause(output, "land", warehouse)


def _filling_before(step_name: str, folder: Path) -> tuple[Step, ...]:
    at = [s.name for s in STEPS].index(step_name)

    def fill_disk(state: RunState) -> None:
        fill(folder)

    return (*STEPS[:at], Step("fill", "fill the disk", fill_disk), *STEPS[at:])


def _run(raw: Path, warehouse: Warehouse, steps: tuple[Step, ...]) -> tuple[int, str]:
    out = io.StringIO()
    status = run_pipeline(
        raw, warehouse, progress=False, console=Console(file=out, width=300), steps=steps
    )
    return status, out.getvalue()


def _without(steps: tuple[Step, ...], name: str) -> tuple[Step, ...]:
    return tuple(s for s in steps if s.name != name)


def test_disk_full_in_dbt_and_at_publish_exits_4_with_one_line(tmp_path: Path) -> None:
    raw = generated_raw(tmp_path / "raw", seed=32)
    with small_disk(tmp_path / "disk", "200m") as disk:
        warehouse = Warehouse(disk / "wh")
        status, output = _run(raw, warehouse, STEPS)
        assert status == ExitCode.PUBLISHED, output[-3000:]
        published = _sha256(warehouse.published_db)

        # publish first, on the build the first run made (validated again, neither refitted
        # nor rebuilt: the publish step copies the same build either way, and a failed dbt
        # build below would leave nothing valid to publish)
        steps = _without(_without(_filling_before("publish", disk), "dbt build"), "purchase model")
        status, output = _run(raw, warehouse, steps)
        assert status == ExitCode.OUT_OF_RESOURCES, output[-3000:]
        _one_line_cause(output, "publish", warehouse.root)
        (disk / "filler").unlink()
        assert _sha256(warehouse.published_db) == published
        assert not list(warehouse.root.glob("*.publishing-*"))

        status, output = _run(raw, warehouse, _filling_before("dbt build", disk))
        assert status == ExitCode.OUT_OF_RESOURCES, output[-3000:]
        _one_line_cause(output, "dbt build", warehouse.root)
        # dbt was stopped at its first failure (a failing node, or its own log write when the
        # disk fills between nodes): no pages of log after it
        first_failure = min(
            i for i in (output.find(" ERROR "), output.find("No space left")) if i >= 0
        )
        after_error = output[first_failure:]
        assert len(after_error.splitlines()) < 15, after_error
        (disk / "filler").unlink()
        assert _sha256(warehouse.published_db) == published
