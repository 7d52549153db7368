"""cx360.pipeline end to end on a small generated dataset (DuckDB target):
a clean run publishes; a batch where most rows are bad blocks the refresh, names the check
and leaves the published file byte-for-byte unchanged; both documented ways out (fix and
re-land, `cx360 accept`) let the next run publish.

The tests share one warehouse and run in file order (each builds on the previous state):
dbt builds are the expensive part, so there are only two.
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import pytest
from _orch_support import generated_raw, interaction_rows, sha256, ticket_rows, write_batch
from rich.console import Console

from cx360.cli import main as cli_main
from cx360.pipeline import run_pipeline
from cx360.warehouse import Warehouse

pytestmark = pytest.mark.slow  # two dbt builds: a few minutes on a small machine

BAD_TICKETS = "2026-07-01.csv"
BAD_INTERACTIONS = "2026-07-01.csv"


class Run:
    def __init__(self, raw_dir: Path, warehouse: Warehouse) -> None:
        self.raw_dir = raw_dir
        self.warehouse = warehouse

    def __call__(self) -> tuple[int, str]:
        out = io.StringIO()
        status = run_pipeline(
            self.raw_dir, self.warehouse, progress=False, console=Console(file=out, width=200)
        )
        return status, out.getvalue()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("pipeline")
    return Run(generated_raw(root / "raw"), Warehouse(root / "wh"))


def _publish_runs(warehouse: Warehouse) -> list[str]:
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        rows = con.execute("select distinct run_id from audit.publish_log order by 1").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def test_clean_run_publishes(run: Run) -> None:
    status, output = run()

    assert status == 0, output
    assert "6/6 publish" in output and "NPS" in output  # the summary ends with the KPIs
    wh = run.warehouse
    con = duckdb.connect(str(wh.published_db), read_only=True)
    try:
        (customers,) = con.execute("select count(*) from marts.customer_360").fetchone()
        (kpis,) = con.execute("select count(*) from marts.fct_kpi").fetchone()
        failed = con.execute(
            "select count(*) from audit.validation_results"
            " where not success and suite_name <> 'dbt_tests'"
        ).fetchone()
        suites = {
            r[0] for r in con.execute("select suite_name from audit.validation_results").fetchall()
        }
    finally:
        con.close()
    assert customers > 0 and kpis > 0
    assert failed == (0,)
    assert {"raw.support_tickets", "volume.support_tickets", "marts.fct_kpi"} <= suites
    assert len(_publish_runs(wh)) == 1
    assert (wh.root / "data_docs" / "index.html").exists()


def test_mostly_bad_batch_blocks_publish(run: Run) -> None:
    wh = run.warehouse
    before = sha256(wh.published_db)
    write_batch(run.raw_dir, "support_tickets", BAD_TICKETS, ticket_rows("BAD", 40, bad=35))
    write_batch(run.raw_dir, "interactions", BAD_INTERACTIONS, interaction_rows("BADI", 40, bad=36))

    status, output = run()

    assert status == 1
    assert "raw validation failed" in output
    assert "volume.support_tickets" in output and "volume.interactions" in output
    assert f"support_tickets/{BAD_TICKETS}" in output  # the offending batch is named
    assert "cx360 accept" in output and "data_docs" in output  # where to look, the way out
    assert "4/6 dbt build" not in output  # stopped before building anything
    assert sha256(wh.published_db) == before

    # nothing changed, so the next run is blocked again: a failed batch stays under audit
    status, _ = run()
    assert status == 1
    assert sha256(wh.published_db) == before


def test_way_out_fix_and_accept_lets_next_run_publish(run: Run) -> None:
    wh = run.warehouse
    before = sha256(wh.published_db)
    # way 1: fix the interactions file, same name, new content (landing replaces the batch)
    write_batch(run.raw_dir, "interactions", BAD_INTERACTIONS, interaction_rows("BADI", 40, bad=0))
    # way 2: accept the tickets batch as it is
    assert (
        cli_main(
            [
                "accept",
                "--warehouse-dir",
                str(wh.root),
                "--batch",
                f"support_tickets/{BAD_TICKETS}",
                "--reason",
                "test: known partial extract",
            ]
        )
        == 0
    )

    status, output = run()

    assert status == 0, output
    assert sha256(wh.published_db) != before
    assert len(_publish_runs(wh)) == 2
    con = duckdb.connect(str(wh.published_db), read_only=True)
    try:
        accepted = con.execute("select batch_name, reason from audit.accepted_batches").fetchall()
    finally:
        con.close()
    assert accepted == [(f"support_tickets/{BAD_TICKETS}", "test: known partial extract")]


def test_accept_unknown_batch_is_a_clear_error(run: Run, capsys: pytest.CaptureFixture) -> None:
    status = cli_main(
        [
            "accept",
            "--warehouse-dir",
            str(run.warehouse.root),
            "--batch",
            "nope.csv",
            "--reason",
            "x",
        ]
    )
    assert status == 2
    assert "no landed batch named 'nope.csv'" in capsys.readouterr().err


def test_dbt_out_of_resources_says_what_to_change(tmp_path: Path) -> None:
    """A dbt node that ran out of DuckDB memory gets the hint naming the two settings, one that
    ran out of disk the hint naming the warehouse folder; another failure keeps the plain hint."""
    from cx360.dbt_runner import DbtBuildResult, DbtNodeResult
    from cx360.pipeline import StepFailed, check_build

    def build(message: str) -> DbtBuildResult:
        node = DbtNodeResult("model.cx360.row_conservation", "model", "error", message, None)
        return DbtBuildResult(1, (node,), tmp_path / "dbt.log", tmp_path)

    oom = "Runtime Error\n  Out of Memory Error: failed to pin block of size 256.0 KiB"
    with pytest.raises(StepFailed) as failure:
        check_build(build(oom))
    text = str(failure.value)
    assert "row_conservation" in text
    assert "CX360_THREADS=1" in text and "CX360_MEMORY_LIMIT" in text

    disk_full = 'IO Error: Could not write file "x.duckdb.tmp": No space left on device'
    with pytest.raises(StepFailed) as failure:
        check_build(build(disk_full))
    assert "disk holding the warehouse is full" in str(failure.value)
    assert "CX360_THREADS" not in str(failure.value)

    with pytest.raises(StepFailed) as failure:
        check_build(build("Binder Error: column x not found"))
    assert "CX360_THREADS" not in str(failure.value)
    assert "warehouse is full" not in str(failure.value)
