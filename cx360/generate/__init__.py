"""`cx360 generate`: a synthetic raw folder that follows the landing contract.

Deterministic per seed (same arguments -> byte-identical files), vectorised (numpy and
pyarrow, no per-row Python), correlated (see docs/generator.md). One module per domain;
dirt.py injects defects, writer.py writes files.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from cx360.contract import load_contract
from cx360.errors import Cx360Error
from cx360.generate import (
    billing,
    contracts,
    dirt,
    interactions,
    marketing,
    network,
    support,
    surveys,
    writer,
)
from cx360.generate import customers as people
from cx360.generate.columns import Window
from cx360.generate.frame import RawTable

DEFAULT_END_DATE = "2026-06-30"
MAX_CUSTOMERS = 50_000_000


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    rows: dict[str, int]  # rows written per table (defect rows included)
    files: dict[str, list[Path]]
    defects: dirt.DirtReport

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _validate(customers_: int, fmt: str, months: int, dirty_rate: float, batches: str) -> None:
    if not 1 <= customers_ <= MAX_CUSTOMERS:
        raise Cx360Error(
            f"--customers must be between 1 and {MAX_CUSTOMERS:,}, got {customers_}",
            hint="ids have fixed widths (C + 8 digits); 1,000,000 customers ~ 30 M rows",
        )
    if fmt not in writer.FORMATS:
        raise Cx360Error(f"unknown format {fmt!r}", hint="use parquet or csv")
    if not 1 <= months <= 240:
        raise Cx360Error(f"--months must be between 1 and 240, got {months}")
    if not 0.0 <= dirty_rate <= 0.5:
        raise Cx360Error(
            f"--dirty-rate must be between 0 and 0.5, got {dirty_rate}",
            hint="0 gives clean data; 0.02 is a realistic extract",
        )
    if batches not in ("single", "daily"):
        raise Cx360Error(f"unknown batches mode {batches!r}", hint="use single or daily")


def generate(
    customers: int,
    seed: int,
    out: Path,
    fmt: str = "parquet",
    months: int = 24,
    dirty_rate: float = 0.02,
    batches: str = "single",
    *,
    end_date: str = DEFAULT_END_DATE,
    erasure_requests: int = 0,
    progress: bool = True,
) -> GenerateResult:
    """Write every contract table to `out` and return what was written."""
    _validate(customers, fmt, months, dirty_rate, batches)
    try:
        window = Window.ending(np.datetime64(end_date, "D"), months)
    except ValueError as err:
        raise Cx360Error(f"--end-date {end_date!r} is not a date", hint="use YYYY-MM-DD") from err
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise Cx360Error(f"--out {out} is a file", hint="give a folder (it is created if needed)")
    out.mkdir(parents=True, exist_ok=True)
    contract = load_contract()
    report = dirt.DirtReport()
    rows: dict[str, int] = {}
    files: dict[str, list[Path]] = {}
    # progress on stderr, animated only on a terminal; the summary is the command's output
    console = Console(stderr=True)

    def emit(raw: RawTable, world: people.World) -> None:
        table = contract[raw.name]
        raw = dirt.inject(raw, table, world, dirty_rate, seed, report)
        files[raw.name] = writer.write_table(
            raw, table, out, fmt, batches, window, dirty_rate=dirty_rate, seed=seed, report=report
        )
        rows[raw.name] = raw.num_rows

    # One writer thread: a table is written (Arrow and parquet release the GIL) while the
    # next domain is generated. Each table has its own random stream, so the overlap
    # cannot change the output.
    pending: list[Future[None]] = []

    steps = _plan(seed, customers, window, erasure_requests)
    with Progress(
        TextColumn("[bold]generate[/] {task.description:<28}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=not (progress and console.is_terminal),
    ) as bar:
        task = bar.add_task("", total=len(steps))
        state: dict[str, object] = {}
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx360-writer") as pool:
            for label, step in steps:
                bar.update(task, description=label)
                for raw in step(state):
                    pending.append(pool.submit(emit, raw, state["world"]))  # type: ignore[arg-type]
                bar.advance(task)
            bar.update(task, description="writing files")
            for future in pending:
                future.result()  # re-raises a writer error here
    missing = set(contract) - set(rows)
    if missing:
        raise AssertionError(f"generator wrote no {sorted(missing)}")
    result = GenerateResult(out, rows, files, report)
    if progress:
        _print_summary(Console(), result)
    return result


Step = Callable[[dict[str, object]], list[RawTable]]


def _plan(seed: int, n: int, window: Window, erasures: int) -> list[tuple[str, Step]]:
    """The domains in dependency order; each step stores what later steps need in `s`."""

    def geography(s: dict) -> list[RawTable]:
        s["areas"] = network.make_areas(seed, n)
        s["incidents"] = network.make_incidents(seed, s["areas"], window)
        s["world"] = people.make_world(seed, n, window, s["areas"], s["incidents"])
        return [s["incidents"].table]

    def crm(s: dict) -> list[RawTable]:
        s["contracts"] = contracts.make_contracts(seed, s["world"])
        s["referrals"] = contracts.make_referrals(seed, s["world"])
        return [
            people.crm_customers(seed, s["world"], s["areas"]),
            s["contracts"].table,
            s["referrals"].table,
            people.erasure_requests(seed, s["world"], erasures),
        ]

    def invoices(s: dict) -> list[RawTable]:
        return [
            billing.make_invoices(seed, s["world"], s["contracts"]),
            billing.make_fx_rates(seed, window),
        ]

    def orders(s: dict) -> list[RawTable]:
        s["orders"] = billing.make_orders(seed, s["world"], s["referrals"])
        return [s["orders"].table, marketing.make_reviews(seed, s["world"], s["orders"])]

    def survey(s: dict) -> list[RawTable]:
        s["staff"] = support.make_staff(seed, n)
        return [
            surveys.survey_definitions(),
            surveys.make_survey_responses(seed, s["world"]),
            surveys.make_employee_responses(seed, s["staff"], window),
        ]

    def tickets(s: dict) -> list[RawTable]:
        s["tickets"] = support.make_tickets(seed, s["world"], s["incidents"], s["staff"])
        return [s["tickets"].table]

    def contacts(s: dict) -> list[RawTable]:
        return [interactions.make_interactions(seed, s["world"], s["contracts"], s["tickets"])]

    def spend(s: dict) -> list[RawTable]:
        return [marketing.make_marketing_spend(seed, s["world"], window)]

    return [
        ("customers, network", geography),
        ("crm contracts, referrals", crm),
        ("invoices, fx rates", invoices),
        ("orders, reviews", orders),
        ("surveys", survey),
        ("support tickets", tickets),
        ("interactions", contacts),
        ("marketing spend", spend),
    ]


def _print_summary(console: Console, result: GenerateResult) -> None:
    table = RichTable(title=f"raw folder {result.out}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("files", justify="right")
    table.add_column("defects injected")
    for name in load_contract():
        kinds = sorted(
            f"{kind} {count}" for (t, kind), count in result.defects.counts.items() if t == name
        )
        table.add_row(
            name, f"{result.rows[name]:,}", str(len(result.files[name])), ", ".join(kinds)
        )
    table.add_row("total", f"{result.total_rows:,}", "", "")
    console.print(table)
