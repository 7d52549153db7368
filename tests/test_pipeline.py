"""cx360.pipeline end to end on a small generated dataset (DuckDB target):
a clean run publishes; a batch where most rows are bad blocks the refresh, names the check
and leaves the published file byte-for-byte unchanged; both documented ways out (fix and
re-land, `cx360 accept`) let the next run publish.

The tests share one warehouse and run in file order (each builds on the previous state):
dbt builds are the expensive part, so there are only two.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import duckdb
import pytest
from _orch_support import generated_raw, interaction_rows, sha256, ticket_rows, write_batch
from rich.console import Console

from cx360.cli import main as cli_main
from cx360.dbt_runner import dbt_paths
from cx360.pipeline import run_pipeline
from cx360.validation import accept_batch
from cx360.warehouse import Warehouse

pytestmark = pytest.mark.slow  # two dbt builds: a few minutes on a small machine

BAD_TICKETS = "2026-07-01.csv"
BAD_INTERACTIONS = "2026-07-01.csv"
OUT_OF_RANGE = "2026-06-30-out-of-range.csv"


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


def _first_customer(raw_dir: Path) -> dict[str, str]:
    path = sorted((raw_dir / "crm_customers").glob("*.csv"))[0]
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.DictReader(handle))


def _write_out_of_range_batches(raw_dir: Path) -> None:
    """A rating, a severity and a duration outside their contract ranges, for a real
    customer: landing lands each field NULL (value_out_of_range)."""
    customer = _first_customer(raw_dir)
    day = "2026-06-30T10:00:00"
    write_batch(
        raw_dir,
        "product_reviews",
        OUT_OF_RANGE,
        [{"review_id": "OOR-R1", "customer_id": customer["customer_id"], "rating": "7",
          "posted_at": day, "source": "website"}],
    )  # fmt: skip
    write_batch(
        raw_dir,
        "network_incidents",
        OUT_OF_RANGE,
        [{"incident_id": "OOR-N1", "postal_code": customer["postal_code"], "started_at": day,
          "severity": "9", "incident_type": "outage"}],
    )  # fmt: skip
    interaction = interaction_rows("OOR", 1, bad=0)[0]
    interaction.update(customer_id=customer["customer_id"], duration_seconds="-5")
    write_batch(raw_dir, "interactions", OUT_OF_RANGE, [interaction])


def _assert_each_data_test_ran_once(warehouse: Warehouse) -> None:
    """The purchase model step builds and tests the summary's ancestors, the main build the
    rest (cx360.purchase_model.SUMMARY_BUILT): every data test of the project ran exactly once
    in the run, recorded in audit.validation_results."""
    target_path, _ = dbt_paths(warehouse)
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    data_tests = {key for key, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        recorded = [
            row[0]
            for row in con.execute(
                "select expectation_type from audit.validation_results"
                " where suite_name = 'dbt_tests'"
                " and run_id = (select max(run_id) from audit.publish_log)"
            ).fetchall()
        ]
    finally:
        con.close()
    assert len(recorded) == len(set(recorded)), "a data test ran twice in one refresh"
    assert set(recorded) == data_tests


def test_clean_run_publishes(run: Run) -> None:
    _write_out_of_range_batches(run.raw_dir)
    status, output = run()

    assert status == 0, output
    # the summary ends with the KPIs, labelled from the registry (marts.dim_kpi)
    assert "6/6 publish" in output and "Net Promoter Score" in output
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
    _assert_each_data_test_ran_once(wh)
    assert len(_publish_runs(wh)) == 1
    assert (wh.root / "data_docs" / "index.html").exists()

    # out-of-range values reach no mart: the rows are there, the values are not
    con = duckdb.connect(str(wh.published_db), read_only=True)
    try:
        durations = con.execute(
            "select duration_seconds from marts.fct_interactions where interaction_id = 'OOR-0'"
        ).fetchall()
        (negative,) = con.execute(
            "select count(*) from marts.fct_interactions where duration_seconds < 0"
        ).fetchone()
        ratings = con.execute(
            "select min(value), max(value) from marts.fct_kpi where kpi_name = 'review_rating'"
        ).fetchone()
    finally:
        con.close()
    assert durations == [(None,)] and negative == 0
    assert ratings[0] >= 1 and ratings[1] <= 5
    con = duckdb.connect(str(wh.landing_db), read_only=True)
    try:
        nulled = con.execute(
            "select table_name, column_name, raw_value from audit.landing_field_issues "
            "where reason_code = 'value_out_of_range' and batch_name like '%/' || ? order by 1",
            [OUT_OF_RANGE],
        ).fetchall()
        (severity,) = con.execute(
            "select severity from raw.network_incidents where incident_id = 'OOR-N1'"
        ).fetchone()
    finally:
        con.close()
    assert nulled == [
        ("interactions", "duration_seconds", "-5"),
        ("network_incidents", "severity", "9"),
        ("product_reviews", "rating", "7"),
    ]
    assert severity is None


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


def test_the_dashboard_says_accepted_with_rows_quarantined(run: Run) -> None:
    from cx360.dashboard.data import PublishedWarehouse, publish_status

    status = publish_status(PublishedWarehouse(run.warehouse.published_db))
    assert status.validation_passed is True
    assert status.accepted_quarantined == 35  # the accepted tickets batch's bad rows


def _dd_mm_contract_batches(raw_dir: Path) -> list[str]:
    """Rewrite every crm_contracts batch with DD/MM/YYYY dates (new content: replaced)."""
    names = []
    for path in sorted((raw_dir / "crm_contracts").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b(?![T :])", r"\3/\2/\1", text), encoding="utf-8"
        )
        names.append(f"crm_contracts/{path.name}")
    return names


def test_accept_cannot_publish_a_mart_that_lost_its_active_customers(run: Run) -> None:
    wh = run.warehouse
    before = sha256(wh.published_db)
    batches = _dd_mm_contract_batches(run.raw_dir)

    status, output = run()  # every contract quarantined: the loss check names the fix
    assert status == 1
    assert "crm_contracts lost" in output and "started_at invalid_type" in output
    assert 'set date_format: "%d/%m/%Y"' in output
    assert sha256(wh.published_db) == before

    for name in batches:  # the operator follows the old hint instead of the fix
        assert accept_batch(wh, name, reason="test: accept everything") == 1
    status, output = run()

    assert status == 1, output
    assert "marts validation failed" in output, output
    drop = re.search(r"active customers fell from ([\d,]+) \(last published\) to ([\d,]+)", output)
    assert drop, output
    assert int(drop.group(2).replace(",", "")) < 0.9 * int(drop.group(1).replace(",", ""))
    assert sha256(wh.published_db) == before  # the emptied mart was not published


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
    """A dbt node out of DuckDB memory or disk, or dbt killed by the kernel, is one line naming
    the cause, the warehouse folder and the fix, with exit code 4; a data test failure blocks
    (1), another node failure is a failed step (5)."""
    from cx360.dbt_runner import DbtBuildResult, DbtNodeResult
    from cx360.errors import ExitCode, OutOfResources
    from cx360.pipeline import StepFailed, check_build

    warehouse = Warehouse(tmp_path / "wh")

    def build(message: str, kind: str = "model", returncode: int = 1) -> DbtBuildResult:
        node = DbtNodeResult(f"{kind}.cx360.row_conservation", kind, "error", message, None)
        return DbtBuildResult(returncode, (node,), tmp_path / "dbt.log", tmp_path)

    oom = "Runtime Error\n  Out of Memory Error: failed to pin block of size 256.0 KiB"
    with pytest.raises(OutOfResources) as failure:
        check_build(build(oom), warehouse)
    text = str(failure.value)
    assert "\n" not in text and failure.value.exit_code == ExitCode.OUT_OF_RESOURCES
    assert "out of memory" in text and "CX360_THREADS=1" in text and "CX360_MEMORY_LIMIT" in text

    disk_full = 'IO Error: Could not write file "x.duckdb.tmp": No space left on device'
    with pytest.raises(OutOfResources) as failure:
        check_build(build(disk_full), warehouse)
    text = str(failure.value)
    assert "\n" not in text
    assert f"dbt build: out of disk space in {warehouse.root}" in text
    assert "CX360_THREADS" not in text

    killed = DbtBuildResult(-9, (), tmp_path / "dbt.log", tmp_path)
    with pytest.raises(OutOfResources) as failure:
        check_build(killed, warehouse)
    assert "SIGKILL" in str(failure.value) and "out of memory" in str(failure.value)

    with pytest.raises(StepFailed) as failure:
        check_build(build("Binder Error: column x not found"), warehouse)
    assert failure.value.exit_code == ExitCode.FAILED
    assert "CX360_THREADS" not in str(failure.value)
    with pytest.raises(StepFailed) as failure:
        check_build(build("Got 3 results, configured to fail if != 0", "test"), warehouse)
    assert failure.value.exit_code == ExitCode.BLOCKED


@pytest.mark.slow  # two dbt invocations, one a full parse
def test_a_new_warehouse_starts_from_the_last_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt parses the project once, not once per new warehouse: a build leaves its parse in
    PARSE_CACHE, and dbt accepts it in another warehouse (the DuckDB path it hashes is relative
    to the warehouse folder). Two seeds are enough: dbt parses the project for any selection."""
    import cx360.dbt_runner as dbt_runner

    monkeypatch.setattr(dbt_runner, "PARSE_CACHE", tmp_path / "parse_cache")
    logs = []
    for name in ("first", "second"):
        warehouse = Warehouse(tmp_path / name)
        built = dbt_runner.dbt_build(
            warehouse, extra_args=["--select", "kpi_registry", "kpi_targets"], echo=lambda _: None
        )
        assert built.returncode == 0, built.log_path.read_text()[-3000:]
        logs.append(built.log_path.read_text())
        with duckdb.connect(str(warehouse.build_db), read_only=True) as con:
            assert con.execute("select count(*) from reference.kpi_registry").fetchone()[0] > 10
    assert "Starting full parse" in logs[0]  # nothing cached yet: the whole project
    assert "Starting full parse" not in logs[1]
    assert "Partial parsing enabled" in logs[1]
