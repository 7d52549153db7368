"""The refresh, write-audit-publish: land -> validate raw -> fit the purchase model -> dbt build
-> validate marts -> publish -> summary.

The one implementation: `cx360 run` calls run_pipeline(); the Dagster assets in orchestration/
call the same step functions (land_step, validate_raw, fit_purchase_model_step,
validate_marts, publish) one asset at a time. RunSettings (--as-of, --reporting-currency,
--business-model) reach every dbt invocation as vars. Every failure stops the run before
publish, so the published warehouse BI reads only ever changes to a fully validated build.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from cx360.dbt_runner import DbtBuildResult, dbt_build
from cx360.errors import BuildError, Cx360Error
from cx360.kpi_summary import print_kpi_summary
from cx360.publish import publish
from cx360.purchase_model import describe_business_model, fit_purchase_model_step
from cx360.run_settings import RunSettings
from cx360.validation import (
    ValidationReport,
    data_docs_dir,
    new_context,
    record_dbt_results,
    validate_marts,
    validate_raw,
)
from cx360.warehouse import Warehouse

if TYPE_CHECKING:
    from cx360.landing import LandingReport

# Failed dbt nodes listed in the failure message; the rest are in the log.
FAILED_NODES_SHOWN = 10


class StepFailed(BuildError):
    """A pipeline step failed; `step` names it, the hint says where to look."""

    def __init__(self, step: str, message: str, hint: str) -> None:
        super().__init__(f"{step} failed: {message}", hint)
        self.step = step


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def land_step(raw_dir: Path, warehouse: Warehouse, *, progress: bool = True) -> LandingReport:
    """Land new batch files; returns landing's LandingReport."""
    from cx360.landing import land

    warehouse.ensure_dirs()
    return land(Path(raw_dir), warehouse, progress=progress)


def validation_hint(warehouse: Warehouse) -> str:
    return (
        f"details in audit.validation_results and the Data Docs at "
        f"{data_docs_dir(warehouse) / 'index.html'}; rejected rows in audit.landing_quarantine. "
        "Way out (docs/operations.md): fix the batch file and run again (same name, new content "
        "replaces it), or accept it as it is: cx360 accept --batch <batch_name> --reason '...'"
    )


def check_raw(report: ValidationReport, warehouse: Warehouse) -> None:
    if not report.passed:
        raise StepFailed(
            "raw validation",
            "a landed batch breaks a blocking check\n" + report.describe_failures(),
            validation_hint(warehouse),
        )


# What a failed dbt node's message says about the machine, and what the operator can do.
RESOURCE_HINTS = (
    # The two dbt threads run two queries at once on one DuckDB memory_limit; at 10 M customers
    # two large ones together did not fit where each alone does (docs/benchmarks.md).
    (
        "Out of Memory Error",
        "DuckDB ran out of memory: build one model at a time (CX360_THREADS=1, each query then "
        "has the whole budget) or raise CX360_MEMORY_LIMIT (default 6GB); what does not fit "
        "spills to disk next to the build file (docs/benchmarks.md, 'Memory at 10 M customers')",
    ),
    # A rebuild writes each table anew before the old one is freed, and DuckDB spills there too:
    # at 10 M customers the build file grew from 28 to 45 GB on the second refresh.
    (
        "No space left on device",
        "the disk holding the warehouse is full: the build file, its spill folder and the next "
        "published file all live under CX360_WAREHOUSE_DIR; free space there or point it at a "
        "larger disk (sizes at 1 M and 10 M customers: docs/benchmarks.md, 'Disk at 10 M')",
    ),
)


def check_build(result: DbtBuildResult) -> None:
    if result.success:
        return
    failed = result.failed_nodes
    listed = "\n".join(
        f"  - {n.unique_id}: {n.status} {n.message}" for n in failed[:FAILED_NODES_SHOWN]
    )
    more = (
        f"\n  ... and {len(failed) - FAILED_NODES_SHOWN} more"
        if len(failed) > FAILED_NODES_SHOWN
        else ""
    )
    summary = (
        f"{len(failed)} node(s) failed\n{listed}{more}"
        if failed
        else (f"dbt exited with status {result.returncode}")
    )
    hint = (
        f"see the dbt log {result.log_path} and {result.target_path / 'run_results.json'}; "
        "quarantined rows are in audit.quarantine"
    )
    for marker, resource_hint in RESOURCE_HINTS:
        if any(marker in node.message for node in failed):
            hint = f"{resource_hint}; {hint}"
    raise StepFailed("dbt build", summary, hint)


def check_marts(report: ValidationReport, warehouse: Warehouse) -> None:
    if not report.passed:
        raise StepFailed(
            "marts validation",
            "a mart breaks a blocking check\n" + report.describe_failures(),
            f"details in audit.validation_results and the Data Docs at "
            f"{data_docs_dir(warehouse) / 'index.html'}",
        )


def _echo(console: Console, text: str) -> None:
    """Print as is: no rich markup, highlighting or re-wrapping of dbt's and our messages."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


class _Steps:
    """Numbered step headings with the time each step took."""

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.number = 0
        self.started = time.monotonic()

    def start(self, title: str) -> None:
        self.done()
        self.number += 1
        self.started = time.monotonic()
        self.console.print(f"[bold]{self.number}/{self.total} {title}[/bold]")

    def done(self) -> None:
        if self.number:
            self.console.print(f"    [dim]({time.monotonic() - self.started:.1f} s)[/dim]")


def _run(
    raw_dir: Path,
    warehouse: Warehouse,
    run_id: str,
    progress: bool,
    console: Console,
    settings: RunSettings,
) -> None:
    from cx360.reporting import print_landing_report

    console.rule(f"cx360 run {run_id} ({warehouse.target}, {warehouse.root})")
    steps = _Steps(console, total=6)
    steps.start("land")
    landing_report = land_step(raw_dir, warehouse, progress=progress)

    try:
        context = new_context(warehouse)
        steps.start("validate landed batches (contract + volume suites)")
        raw_report = validate_raw(warehouse, run_id, context=context)
        console.print(f"    {len(raw_report.outcomes)} suite run(s), passed: {raw_report.passed}")
        check_raw(raw_report, warehouse)

        steps.start("fit the purchase model (BG/NBD + Gamma-Gamma, docs/clv.md)")
        fit = fit_purchase_model_step(
            warehouse, settings.dbt_vars(), echo=lambda line: _echo(console, f"    {line}")
        )
        _echo(console, f"    {fit.describe()}")

        steps.start("dbt build")
        build = dbt_build(
            warehouse,
            extra_args=settings.dbt_args(),
            echo=lambda line: _echo(console, f"    {line}"),
        )
        record_dbt_results(warehouse, run_id, build.test_outcomes())
        check_build(build)

        steps.start("validate marts")
        marts_report = validate_marts(warehouse, run_id, context=context)
        for note in marts_report.notes:
            console.print(f"    [yellow]{note}[/yellow]")
        check_marts(marts_report, warehouse)

        steps.start("publish")
        if warehouse.target == "duckdb":
            result = publish(warehouse, run_id, validation_passed=True)
            console.print(f"    published {result.path} ({len(result.row_counts)} tables)")
        else:
            console.print(
                f"    target {warehouse.target}: the marts schema dbt just built and validation "
                "passed is the published layer (no file to swap)"
            )
        steps.done()
    except StepFailed:
        # What landed explains most validation failures (a batch mostly quarantined).
        print_landing_report(landing_report, console=console)
        raise

    # The summary: what landed (and was quarantined) per table, then the headline KPIs.
    console.rule("summary")
    print_landing_report(landing_report, console=console)
    if warehouse.target == "duckdb":
        _echo(console, describe_business_model(warehouse, settings.business_model))
    _echo(console, f"purchase model: {fit.describe()}")
    for note in absent_table_notes(landing_report):
        _echo(console, note)
    if warehouse.target == "duckdb":
        print_kpi_summary(warehouse, console=console)


# What each optional table feeds: said in the summary when the table was never delivered.
OPTIONAL_TABLE_USES = {
    "crm_contracts": "contract coverage and contractual CLV (all customers: purchase model)",
    "billing_invoices": "invoice revenue",
    "billing_orders": "order revenue and the purchase model",
    "survey_definitions": "survey KPIs (nps, csat, ces, loyalty_index, pillar_score): NULL",
    "survey_responses": "survey KPIs (nps, csat, ces, loyalty_index, pillar_score): NULL",
    "support_tickets": "ticket KPIs (mttr_hours, first_response_hours, complaint_rate...): NULL",
    "interactions": "interactions_90d, preferred_channel, last_interaction_at: NULL",
}


def absent_table_notes(landing_report: LandingReport) -> list[str]:
    """One line per optional table that holds no row, saying what is NULL because of it."""
    notes = []
    for table in landing_report.tables:
        use = OPTIONAL_TABLE_USES.get(table.table)
        if use and table.batches_loaded == 0 and table.batches_skipped == 0:
            notes.append(f"no {table.table} delivered: {use}")
    return notes


def run_pipeline(
    raw_dir: Path,
    warehouse: Warehouse,
    *,
    run_id: str | None = None,
    progress: bool = True,
    console: Console | None = None,
    settings: RunSettings | None = None,
) -> int:
    """The whole refresh. Returns the process exit status: 0 published, 1 a step failed
    (message says which and where to look), 2 bad input (e.g. contract error)."""
    console = console or Console()
    run_id = run_id or new_run_id()
    try:
        _run(Path(raw_dir), warehouse, run_id, progress, console, settings or RunSettings())
    except StepFailed as err:
        console.print(f"[bold red]cx360 run: {err.step} failed[/bold red]; nothing was published")
        _echo(console, str(err))
        return 1
    except Cx360Error as err:
        console.print("[bold red]cx360 run failed[/bold red]; nothing was published")
        _echo(console, str(err))
        return 2
    console.print(f"[bold green]cx360 run {run_id}: published[/bold green]")
    return 0
