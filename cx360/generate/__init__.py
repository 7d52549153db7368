"""`cx360 generate`: a synthetic raw folder that follows the landing contract.

Deterministic per seed (same arguments -> byte-identical files), vectorised (numpy and
pyarrow, no per-row Python), correlated (see docs/generator.md). One module per domain;
dirt.py injects defects, writer.py writes files. Above SHARD_CUSTOMERS customers the run is
generated in customer shards (shards.py), so memory stays bounded at any size.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
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
    shards,
    support,
    surveys,
    vocab,
    writer,
)
from cx360.generate import customers as people
from cx360.generate.columns import Window
from cx360.generate.frame import RawTable
from cx360.generate.shards import SHARD_CUSTOMERS, Shard

DEFAULT_END_DATE = "2026-06-30"
MAX_CUSTOMERS = 50_000_000
# Tables describing the company, not its customers: generated once per run (in shard 0)
COMPANY_TABLES = frozenset(
    {
        "network_incidents",
        "fx_rates",
        "survey_definitions",
        "employee_survey_responses",
        "marketing_spend",
    }
)


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    rows: dict[str, int]  # rows written per table (defect rows included)
    files: dict[str, list[Path]]
    defects: dirt.DirtReport

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _validate(
    customers_: int, fmt: str, months: int, dirty_rate: float, batches: str, shard_size: int
) -> None:
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
    if shard_size < 1:
        raise Cx360Error(
            f"shard_customers must be at least 1, got {shard_size}",
            hint=f"leave it unset for the default of {SHARD_CUSTOMERS:,} customers per shard",
        )


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
    shard_customers: int | None = None,
) -> GenerateResult:
    """Write every contract table to `out` and return what was written.

    `shard_customers` (default SHARD_CUSTOMERS) is the most customers generated at once;
    a bigger run is generated in shards of that size (tests set it small)."""
    shard_size = SHARD_CUSTOMERS if shard_customers is None else shard_customers
    _validate(customers, fmt, months, dirty_rate, batches, shard_size)
    try:
        window = Window.ending(np.datetime64(end_date, "D"), months)
    except ValueError as err:
        raise Cx360Error(f"--end-date {end_date!r} is not a date", hint="use YYYY-MM-DD") from err
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise Cx360Error(f"--out {out} is a file", hint="give a folder (it is created if needed)")
    out.mkdir(parents=True, exist_ok=True)
    run = shards.split(customers, shard_size)
    contract = load_contract()
    report = dirt.DirtReport()
    rows: dict[str, int] = {}
    files: dict[str, list[Path]] = {}
    # customer tables of a sharded run: one writer per table for all shards
    sharded: dict[str, writer.ShardedTable] = {}
    # progress on stderr, animated only on a terminal; the summary is the command's output
    console = Console(stderr=True)

    def emit(raw: RawTable, shard: Shard, world: people.World | None) -> None:
        table = contract[raw.name]
        raw = dirt.inject(
            raw, table, dirty_rate, seed, report, shard=shard, window=window, world=world
        )
        rows[raw.name] = rows.get(raw.name, 0) + raw.num_rows
        options = {"dirty_rate": dirty_rate, "seed": seed, "report": report}
        if world is None or len(run) == 1:
            files[raw.name] = writer.write_table(raw, table, out, fmt, batches, window, **options)
            return
        if raw.name not in sharded:
            sharded[raw.name] = writer.ShardedTable(table, out, fmt, batches, window, **options)
        sharded[raw.name].write(raw, shard.index)
        if shard.index == len(run) - 1:
            # the table's last rows: complete its files now, on this writer thread, while
            # the main thread generates the last shard's other tables
            files[raw.name] = sharded[raw.name].finish()

    # One writer thread: a table is written (Arrow and parquet release the GIL) while the
    # next domain is generated. Each table has its own random stream, so the overlap
    # cannot change the output.
    pending: list[Future[None]] = []

    def wait_for_writes() -> None:
        for future in pending:
            future.result()  # re-raises a writer error here
        pending.clear()

    steps = _plan(seed, customers, window, erasure_requests)
    shutil.rmtree(out / writer.SCRATCH, ignore_errors=True)  # left by a failed run
    try:
        with (
            Progress(
                TextColumn("[bold]generate[/] {task.description:<40}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
                disable=not (progress and console.is_terminal),
            ) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="cx360-writer") as pool,
        ):
            task = bar.add_task("", total=len(run) * len(steps) + 1)
            # what describes the company (areas, incidents, staff): made in shard 0, kept
            company: dict[str, object] = {}
            acquired = np.zeros((window.days, len(vocab.ACQUISITION_CHANNELS)), np.int64)
            phone_offset = None
            for shard in run:
                # the shard's own state is dropped after the shard
                state: dict[str, object] = {
                    "company": company, "shard": shard, "phone_offset": phone_offset,
                }  # fmt: skip
                for label, step in steps:
                    bar.update(task, description=shard.label + label)
                    for raw in step(state):
                        world = None if raw.name in COMPANY_TABLES else state["world"]
                        pending.append(pool.submit(emit, raw, shard, world))
                    bar.advance(task)
                world = state["world"]
                acquired += marketing.acquisitions(world, window)
                phone_offset = world.phone_offset
                if len(run) > 1:
                    # bounded memory: the shard's tables are on disk before the next shard
                    bar.update(task, description=shard.label + "writing files")
                    del state, world
                    wait_for_writes()
                    pa.default_memory_pool().release_unused()
            bar.update(task, description="marketing spend")
            spend = marketing.make_marketing_spend(seed, acquired, window)
            pending.append(pool.submit(emit, spend, run[0], None))
            bar.advance(task)
            bar.update(task, description="writing files" if len(run) == 1 else "merging shards")
            wait_for_writes()
    finally:
        for table_writer in sharded.values():
            table_writer.abort()
        shutil.rmtree(out / writer.SCRATCH, ignore_errors=True)
    missing = set(contract) - set(rows)
    if missing:
        raise AssertionError(f"generator wrote no {sorted(missing)}")
    result = GenerateResult(out, rows, files, report)
    if progress:
        _print_summary(Console(), result)
    return result


Step = Callable[[dict[str, object]], list[RawTable]]


def _plan(seed: int, n: int, window: Window, erasures: int) -> list[tuple[str, Step]]:
    """The domains of one customer shard in dependency order; each step stores what later
    steps need in `s` ("shard", "phone_offset" and "company" are given).

    What describes the company rather than its customers (areas, incidents, staff, fx
    rates, survey definitions, employee answers; COMPANY_TABLES) is made once, in shard 0,
    sized for all `n` customers, and kept in s["company"] for the later shards. The steps
    emit the tables in the order the generator always has: parquet bytes depend on it
    (see docs/generator.md, Sharding)."""

    def geography(s: dict) -> list[RawTable]:
        c, first = s["company"], s["shard"].index == 0
        if first:
            c["areas"] = network.make_areas(seed, n)
            c["incidents"] = network.make_incidents(seed, c["areas"], window)
        s["world"] = people.make_world(
            seed, s["shard"], window, c["areas"], c["incidents"], s["phone_offset"]
        )
        return [c["incidents"].table] if first else []

    def crm(s: dict) -> list[RawTable]:
        s["contracts"] = contracts.make_contracts(seed, s["world"])
        s["referrals"] = contracts.make_referrals(seed, s["world"])
        return [
            people.crm_customers(seed, s["world"], s["company"]["areas"]),
            s["contracts"].table,
            s["referrals"].table,
            people.erasure_requests(seed, s["world"], erasures),
        ]

    def invoices(s: dict) -> list[RawTable]:
        tables = [billing.make_invoices(seed, s["world"], s["contracts"])]
        if s["shard"].index == 0:
            tables.append(billing.make_fx_rates(seed, window))
        return tables

    def orders(s: dict) -> list[RawTable]:
        s["orders"] = billing.make_orders(seed, s["world"], s["referrals"])
        return [s["orders"].table, marketing.make_reviews(seed, s["world"], s["orders"])]

    def survey(s: dict) -> list[RawTable]:
        c = s["company"]
        responses = surveys.make_survey_responses(seed, s["world"])
        if s["shard"].index > 0:
            return [responses]
        c["staff"] = support.make_staff(seed, n)
        return [
            surveys.survey_definitions(),
            responses,
            surveys.make_employee_responses(seed, c["staff"], window),
        ]

    def tickets(s: dict) -> list[RawTable]:
        c = s["company"]
        s["tickets"] = support.make_tickets(seed, s["world"], c["incidents"], c["staff"])
        return [s["tickets"].table]

    def contacts(s: dict) -> list[RawTable]:
        return [interactions.make_interactions(seed, s["world"], s["contracts"], s["tickets"])]

    return [
        ("customers, network", geography),
        ("crm contracts, referrals", crm),
        ("invoices, fx rates", invoices),
        ("orders, reviews", orders),
        ("surveys", survey),
        ("support tickets", tickets),
        ("interactions", contacts),
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
