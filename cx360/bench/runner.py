"""`cx360 bench`: generate, full refresh, lower bound, incremental day; measure and report.

Design of the incremental day: the data is generated as daily batch files; the full refresh
lands every day but the last, merged into one backfill batch per table (raw_days.py says why),
on an empty warehouse; the lower bound runs on exactly those files and is checked against what
that refresh published; then the last day's files are added and the refresh runs again: the
incremental day, as a daily feed arrives.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from cx360.bench.lower_bound import LowerBoundResult, run_lower_bound
from cx360.bench.memory import PeakMemorySampler, largest_child_peak_bytes
from cx360.bench.raw_days import add_day, stage_history
from cx360.bench.stages import RunResult, StageClock, StageResult, timed_refresh
from cx360.errors import Cx360Error
from cx360.warehouse import Warehouse


@dataclass(frozen=True)
class BenchConfig:
    customers: int
    work_dir: Path
    seed: int = 42
    months: int = 24
    dirty_rate: float = 0.02
    target: str = "duckdb"
    lower_bound: bool = True
    incremental: bool = True
    regenerate: bool = False  # reuse <work_dir>/raw-all when it holds the same dataset
    command: str = ""  # as typed, for the report

    @property
    def generated_dir(self) -> Path:
        return self.work_dir / f"raw-all-{self.customers}-s{self.seed}-m{self.months}"

    @property
    def staged_dir(self) -> Path:
        return self.work_dir / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.work_dir / f"warehouse-{self.target}"


@dataclass
class BenchResult:
    config: BenchConfig
    raw_rows: int = 0
    generate: StageResult | None = None
    full: RunResult | None = None
    incremental: RunResult | None = None
    lower_bound: LowerBoundResult | None = None
    last_day: str = ""
    last_day_files: int = 0
    peak_bytes: int = 0
    largest_child_bytes: int = 0
    started_at: float = field(default_factory=time.time)
    wall_seconds: float = 0.0
    # "running: <phase>", "complete", or "failed in <stage>: <error>". A report is written after
    # every phase (a 10 M run takes hours), so a run cut short still leaves its figures.
    status: str = "running"
    completed_stages: list[StageResult] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    @property
    def build_to_lower_bound(self) -> float | None:
        if self.full is None or self.lower_bound is None or self.lower_bound.seconds <= 0:
            return None
        return self.full.stage_seconds("dbt build") / self.lower_bound.seconds

    @property
    def incremental_share(self) -> float | None:
        if self.full is None or self.incremental is None or self.full.seconds <= 0:
            return None
        return self.incremental.seconds / self.full.seconds


def _generate(config: BenchConfig, clock: StageClock) -> int:
    from cx360.generate import generate

    marker = config.generated_dir / ".complete"
    if marker.exists() and not config.regenerate:
        rows = int(marker.read_text(encoding="utf-8").strip() or 0)
        with clock.stage("generate (reused)"):
            pass
        return rows
    with clock.stage("generate") as info:
        result = generate(
            customers=config.customers,
            seed=config.seed,
            out=config.generated_dir,
            fmt="parquet",
            months=config.months,
            dirty_rate=config.dirty_rate,
            batches="daily",
            progress=False,
        )
        info["rows"] = result.total_rows
    marker.write_text(str(result.total_rows), encoding="utf-8")
    return result.total_rows


def run_benchmark(
    config: BenchConfig,
    console: Console | None = None,
    on_progress: Callable[[BenchResult], None] | None = None,
) -> BenchResult:
    """The whole benchmark; raises Cx360Error (or the pipeline's StepFailed) on a failure.

    `on_progress(result)` is called after every phase and once more on a failure (status
    "failed in <stage>: ..."), before the exception propagates.
    """
    console = console or Console()
    if config.customers < 1:
        raise Cx360Error("--customers must be at least 1")
    config.work_dir.mkdir(parents=True, exist_ok=True)
    result = BenchResult(config)
    dbt_log = config.work_dir / "dbt-build.log"
    dbt_log.unlink(missing_ok=True)
    started = time.perf_counter()

    def show(stage: StageResult) -> None:
        rate = f", {stage.rows_per_second:,.0f} rows/s" if stage.rows_per_second else ""
        console.print(
            f"    {stage.name:<20} {stage.seconds:8.1f} s   "
            f"peak {stage.peak_bytes / 2**30:5.2f} GiB{rate}",
            highlight=False,
        )

    def progress(status: str) -> None:
        result.status = status
        result.peak_bytes = sampler.peak_bytes
        result.largest_child_bytes = largest_child_peak_bytes()
        result.wall_seconds = time.perf_counter() - started
        if on_progress is not None:
            on_progress(result)

    with PeakMemorySampler() as sampler:
        clock = StageClock(sampler, on_stage=show)
        result.completed_stages = clock.results
        phase = "generate"
        try:
            console.print(f"[bold]bench[/bold] {config.customers:,} customers in {config.work_dir}")
            result.raw_rows = _generate(config, clock)
            result.generate = clock.results[-1]

            phase = "full refresh"
            result.last_day = stage_history(config.generated_dir, config.staged_dir)
            if config.warehouse_dir.exists():
                shutil.rmtree(config.warehouse_dir)  # a full refresh starts from nothing
            warehouse = Warehouse(config.warehouse_dir, config.target)
            console.print(
                f"[bold]full refresh[/bold] (every day up to the day before {result.last_day})"
            )
            progress(f"running: {phase}")
            result.full = timed_refresh(
                "full refresh", config.staged_dir, warehouse, clock, dbt_log
            )

            if config.lower_bound:
                phase = "lower bound"
                progress(f"running: {phase}")
                console.print(
                    "[bold]lower bound[/bold] (benchmarks/lower_bound.sql on the same files)"
                )
                published = warehouse.published_db if config.target == "duckdb" else None
                # the stage includes the comparison; the lower bound's own time is measured inside
                with clock.stage("lower bound + check") as info:
                    result.lower_bound = run_lower_bound(
                        config.staged_dir,
                        temp_dir=config.work_dir / "lower-bound-tmp",
                        published_db=published,
                    )
                    info["rows"] = result.full.rows_landed

            if config.incremental:
                phase = "incremental day"
                result.last_day_files = add_day(
                    config.generated_dir, config.staged_dir, result.last_day
                )
                progress(f"running: {phase}")
                console.print(
                    f"[bold]incremental day[/bold] {result.last_day} "
                    f"({result.last_day_files} files)"
                )
                result.incremental = timed_refresh(
                    "incremental day", config.staged_dir, warehouse, clock, dbt_log
                )
        except BaseException as error:  # noqa: BLE001 - recorded, then raised again
            where = f"{phase} / {clock.current}" if clock.current else phase
            if clock.failed is not None:
                result.completed_stages.append(clock.failed)
            message = str(error).strip().splitlines()[0] if str(error).strip() else ""
            progress(f"failed in {where}: {type(error).__name__}: {message}"[:400])
            raise
        progress("complete")
    return result
