"""The refresh, write-audit-publish: land -> validate raw -> fit the purchase model -> dbt build
-> validate marts -> publish -> summary.

The one implementation: STEPS is the ordered step list `cx360 run` executes (run_pipeline(),
through execute_steps(), which the benchmark's timed refresh runs too); the Dagster assets in
orchestration/ call the same step functions (land_step, validate_raw, fit_purchase_model_step,
record_build, validate_marts, publish) one asset at a time, under the same warehouse lease
(cx360/lease.py). RunSettings (--as-of, --reporting-currency, --business-model) reach every
dbt invocation as vars. Every failure stops the run before publish, so the published
warehouse BI reads only ever changes to a fully validated build.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from cx360.dbt_runner import DbtBuildResult, dbt_build, dbt_test_outcomes
from cx360.errors import (
    BuildError,
    Cx360Error,
    ExitCode,
    WarehouseBusy,
    killed_child,
    resource_error_in,
    resource_errors,
)
from cx360.kpi_summary import print_kpi_summary
from cx360.lease import new_run_id, warehouse_lease
from cx360.publish import publish
from cx360.purchase_model import (
    SUMMARY_BUILT,
    FitResult,
    describe_business_model,
    fit_purchase_model_step,
)
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
# Models that fail the build on purpose when a check breaks (a hook raises with the reason):
# their failure is "blocked by validation" (exit 1), not a broken model (exit 5).
GATE_MODELS = frozenset({"model.cx360.revenue_quarantine_shares"})


class StepFailed(BuildError):
    """A pipeline step failed; `step` names it, the hint says where to look. A failed check
    (blocked=True) exits 1, anything else (a dbt model error) 5."""

    def __init__(self, step: str, message: str, hint: str, *, blocked: bool = True) -> None:
        super().__init__(f"{step} failed: {message}", hint)
        self.step = step
        self.exit_code = ExitCode.BLOCKED if blocked else ExitCode.FAILED


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


def check_build(result: DbtBuildResult, warehouse: Warehouse) -> None:
    """Raise when the build failed: out of disk or memory (OutOfResources, one line), a dbt
    killed by a signal, failed data tests (blocked) or failed models."""
    if result.success:
        return
    failed = result.failed_nodes
    for text in (result.resource_line or "", *(n.message for n in failed)):
        found = resource_error_in(text, "dbt build", warehouse.root)
        if found is not None:
            raise found
    if result.returncode < 0:
        raise killed_child("dbt build", "dbt", result.returncode, warehouse.root)
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
    # a failed data test, or a gate model that stops the build on purpose, is a blocked check
    only_checks = bool(failed) and all(
        n.resource_type == "test" or n.unique_id in GATE_MODELS for n in failed
    )
    raise StepFailed("dbt build", summary, hint, blocked=only_checks)


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


@dataclass
class RunState:
    """What one run carries from step to step."""

    raw_dir: Path
    warehouse: Warehouse
    run_id: str
    console: Console
    progress: bool = True
    gx_context: Any = None
    landing_report: LandingReport | None = None
    settings: RunSettings = field(default_factory=RunSettings)
    purchase_fit: FitResult | None = None
    published: bool = False


@dataclass(frozen=True)
class Step:
    """One step of the refresh: `run` does the work and raises StepFailed (or another
    Cx360Error) to stop the run before publish."""

    name: str  # short, as in messages: "land", "dbt build", ...
    title: str  # the console heading
    run: Callable[[RunState], None]


def _land(state: RunState) -> None:
    state.landing_report = land_step(state.raw_dir, state.warehouse, progress=state.progress)
    state.gx_context = new_context(state.warehouse)


def _validate_raw(state: RunState) -> None:
    report = validate_raw(state.warehouse, state.run_id, context=state.gx_context)
    state.console.print(f"    {len(report.outcomes)} suite run(s), passed: {report.passed}")
    for note in report.notes:  # fields landed NULL: not blocking, but to be read
        _echo(state.console, f"    note: {note}")
    check_raw(report, state.warehouse)


def _fit_purchase_model(state: RunState) -> None:
    state.purchase_fit = fit_purchase_model_step(
        state.warehouse,
        state.settings.dbt_vars(),
        echo=lambda line: _echo(state.console, f"    {line}"),
    )
    _echo(state.console, f"    {state.purchase_fit.describe()}")


def _build(state: RunState) -> None:
    # the purchase model step built and tested the summary's ancestors already: not twice
    upstream = state.purchase_fit.upstream_build if state.purchase_fit else None
    skipped = list(SUMMARY_BUILT) if upstream is not None else []
    build = dbt_build(
        state.warehouse,
        extra_args=[*state.settings.dbt_args(), *skipped],
        echo=lambda line: _echo(state.console, f"    {line}"),
    )
    record_build(state.warehouse, state.run_id, build, upstream=upstream)


def record_build(
    warehouse: Warehouse,
    run_id: str,
    build: DbtBuildResult,
    *,
    upstream: DbtBuildResult | None = None,
) -> None:
    """What every dbt build does with its result, from `cx360 run` and from Dagster alike:
    its test outcomes (and those of an `upstream` build of the same refresh that built part of
    the project before it) go to audit.validation_results, then a failure stops the run."""
    builds = (upstream, build) if upstream is not None else (build,)
    record_dbt_results(warehouse, run_id, dbt_test_outcomes(*builds))
    check_build(build, warehouse)


def _validate_marts(state: RunState) -> None:
    report = validate_marts(state.warehouse, state.run_id, context=state.gx_context)
    for note in report.notes:
        state.console.print(f"    [yellow]{note}[/yellow]")
    check_marts(report, state.warehouse)


def _publish(state: RunState) -> None:
    result = publish(state.warehouse, state.run_id, validation_passed=True)
    state.console.print(f"    published {result.path} ({len(result.row_counts)} tables)")
    state.published = True


# The refresh, in order: the one list `cx360 run` executes. A new step (e.g. a model fit
# between build and marts validation) is one Step inserted here.
STEPS: tuple[Step, ...] = (
    Step("land", "land", _land),
    Step("raw validation", "validate landed batches (contract + volume suites)", _validate_raw),
    Step(
        "purchase model",
        "fit the purchase model (BG/NBD + Gamma-Gamma, docs/clv.md)",
        _fit_purchase_model,
    ),
    Step("dbt build", "dbt build", _build),
    Step("marts validation", "validate marts", _validate_marts),
    Step("publish", "publish", _publish),
)


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


# Wraps each step, e.g. in a stopwatch (cx360/bench/stages.py); it sees the state after the step.
AroundStep = Callable[[Step, RunState], AbstractContextManager[object]]


def _no_wrapper(step: Step, state: RunState) -> AbstractContextManager[object]:
    return nullcontext()


def execute_steps(
    state: RunState, steps: Sequence[Step] = STEPS, *, around_step: AroundStep = _no_wrapper
) -> None:
    """Run `steps` in order under the warehouse lease, then print the summary; raises on the
    first failure (StepFailed, WarehouseBusy, another Cx360Error), before publish."""
    with warehouse_lease(state.warehouse.root, state.run_id):
        _run(state, steps, around_step)


def _run(state: RunState, steps: Sequence[Step], around_step: AroundStep) -> None:
    from cx360.reporting import print_landing_report

    warehouse, console = state.warehouse, state.console
    console.rule(f"cx360 run {state.run_id} ({warehouse.target}, {warehouse.root})")
    headings = _Steps(console, total=len(steps))
    try:
        for step in steps:
            headings.start(step.title)
            # Disk full or out of memory in any step: one line naming it, the folder, the fix.
            with around_step(step, state), resource_errors(step.name, warehouse.root):
                step.run(state)
        headings.done()
    except StepFailed:
        # What landed explains most validation failures (a batch mostly quarantined).
        if state.landing_report is not None:
            print_landing_report(state.landing_report, console=console)
        raise

    # The summary: what landed (and was quarantined) per table, then the headline KPIs.
    console.rule("summary")
    if state.landing_report is not None:
        print_landing_report(state.landing_report, console=console)
        for note in absent_table_notes(state.landing_report):
            _echo(console, note)
    if warehouse.target == "duckdb":
        _echo(console, describe_business_model(warehouse, state.settings.business_model))
    if state.purchase_fit is not None:
        _echo(console, f"purchase model: {state.purchase_fit.describe()}")
    if warehouse.target == "duckdb" and state.published:
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
    steps: Sequence[Step] = STEPS,
    settings: RunSettings | None = None,
) -> int:
    """The whole refresh under the warehouse lease. Returns the process exit status
    (cx360.errors.ExitCode, the table of docs/operations.md)."""
    console = console or Console()
    run_id = run_id or new_run_id()
    state = RunState(
        Path(raw_dir), warehouse, run_id, console, progress, settings=settings or RunSettings()
    )
    try:
        execute_steps(state, steps)
    except WarehouseBusy as err:
        console.print("[bold red]cx360 run: warehouse busy[/bold red]; nothing was done")
        _echo(console, str(err))
        return err.exit_code
    except StepFailed as err:
        console.print(f"[bold red]cx360 run: {err.step} failed[/bold red]; nothing was published")
        _echo(console, str(err))
        return err.exit_code
    except Cx360Error as err:
        console.print("[bold red]cx360 run failed[/bold red]; nothing was published")
        _echo(console, str(err))
        return err.exit_code
    console.print(f"[bold green]cx360 run {run_id}: published[/bold green]")
    return ExitCode.PUBLISHED
