"""One timed refresh: the pipeline's own steps (cx360.pipeline), one stopwatch per stage.

Same steps, same order, same checks as `cx360 run` (pipeline._run): land -> validate raw ->
purchase model -> dbt build -> validate marts -> publish, so what is timed is what users run.
dbt's output goes to a log file instead of the console; the per-model timings come from its
run_results.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cx360.bench.dbt_timings import DbtTimings, read_dbt_timings
from cx360.bench.memory import PeakMemorySampler
from cx360.dbt_runner import dbt_build, dbt_paths
from cx360.pipeline import check_marts, check_raw, land_step, new_run_id, record_build
from cx360.publish import publish
from cx360.purchase_model import fit_purchase_model_step
from cx360.validation import new_context, validate_marts, validate_raw
from cx360.warehouse import Warehouse


@dataclass(frozen=True)
class StageResult:
    name: str
    seconds: float
    peak_bytes: int
    rows: int | None = None  # rows the stage processed, where that means something

    @property
    def rows_per_second(self) -> float | None:
        if self.rows is None or self.seconds <= 0:
            return None
        return self.rows / self.seconds


@dataclass
class RunResult:
    """One refresh: its stages, and dbt's per-node timings."""

    label: str
    stages: list[StageResult] = field(default_factory=list)
    dbt: DbtTimings | None = None
    rows_landed: int = 0

    @property
    def seconds(self) -> float:
        return sum(stage.seconds for stage in self.stages)

    def stage(self, name: str) -> StageResult | None:
        return next((s for s in self.stages if s.name == name), None)

    def stage_seconds(self, name: str) -> float:
        stage = self.stage(name)
        return stage.seconds if stage else 0.0


class StageClock:
    """Times named stages and takes each one's memory peak from the sampler."""

    def __init__(
        self, sampler: PeakMemorySampler, on_stage: Callable[[StageResult], None] | None = None
    ) -> None:
        self.sampler = sampler
        self.results: list[StageResult] = []
        self.on_stage = on_stage
        self.current: str | None = None  # the stage running now, named in a failure report
        self.failed: StageResult | None = None  # the stage that raised, if one did

    @contextmanager
    def stage(self, name: str, rows: int | None = None) -> Iterator[dict[str, int]]:
        """`with clock.stage('land') as info: ...; info['rows'] = n` records rows afterwards."""
        info: dict[str, int] = {} if rows is None else {"rows": rows}
        self.sampler.mark()
        self.current = name
        started = time.perf_counter()
        try:
            yield info
        except BaseException:
            # kept, so a report of a failed run says how long the stage ran before it failed
            self.failed = StageResult(
                f"{name} (failed)", time.perf_counter() - started, self.sampler.mark()
            )
            raise
        self.current = None
        result = StageResult(
            name, time.perf_counter() - started, self.sampler.mark(), info.get("rows")
        )
        self.results.append(result)
        if self.on_stage is not None:
            self.on_stage(result)


def timed_refresh(
    label: str,
    raw_dir: Path,
    warehouse: Warehouse,
    clock: StageClock,
    dbt_log: Path,
) -> RunResult:
    """Run the whole refresh once, stage by stage; raises the pipeline's StepFailed on a failure."""
    run_id = new_run_id()
    first = len(clock.results)
    result = RunResult(label)
    with clock.stage("land") as info:
        report = land_step(raw_dir, warehouse, progress=False)
        info["rows"] = report.total.rows_read
    result.rows_landed = report.total.rows_read

    with clock.stage("validate raw"):
        context = new_context(warehouse)
        check_raw(validate_raw(warehouse, run_id, context=context), warehouse)

    with clock.stage("purchase model"), dbt_log.open("a", encoding="utf-8") as log:
        fit_purchase_model_step(warehouse, echo=lambda line: log.write(line + "\n"))

    with clock.stage("dbt build"), dbt_log.open("a", encoding="utf-8") as log:
        log.write(f"\n===== {label} ({run_id})\n")
        build = dbt_build(warehouse, echo=lambda line: log.write(line + "\n"))
        record_build(warehouse, run_id, build)
    result.dbt = read_dbt_timings(dbt_paths(warehouse)[0])

    with clock.stage("validate marts"):
        check_marts(validate_marts(warehouse, run_id, context=context), warehouse)

    if warehouse.target == "duckdb":
        with clock.stage("publish"):
            publish(warehouse, run_id, validation_passed=True)
    result.stages = clock.results[first:]
    return result
