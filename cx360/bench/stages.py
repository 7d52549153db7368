"""One timed refresh: the pipeline's own step list run by the pipeline's own executor
(cx360.pipeline.STEPS, execute_steps), one stopwatch per step, so what is timed is what users
run: land -> raw validation -> purchase model -> dbt build -> marts validation -> publish.
The run's output goes to a log file instead of the console; the per-model timings come from
dbt's run_results.json.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from cx360.bench.dbt_timings import DbtTimings, read_dbt_timings
from cx360.bench.memory import PeakMemorySampler
from cx360.dbt_runner import dbt_paths
from cx360.pipeline import STEPS, RunState, Step, execute_steps, new_run_id
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
    steps: Sequence[Step] = STEPS,
) -> RunResult:
    """Run the whole refresh once as `cx360 run` does (cx360.pipeline.execute_steps: its steps,
    its lease, its checks), each step timed as a stage named as the step; the run's console
    output, dbt's included, goes to `dbt_log`. Raises the pipeline's error on a failure."""
    first = len(clock.results)
    result = RunResult(label)

    @contextmanager
    def timed(step: Step, state: RunState) -> Iterator[None]:
        with clock.stage(step.name) as info:
            yield
            if step.name == "land" and state.landing_report is not None:
                info["rows"] = state.landing_report.total.rows_read

    with dbt_log.open("a", encoding="utf-8") as log:
        state = RunState(
            raw_dir,
            warehouse,
            new_run_id(),
            Console(file=log, width=200, color_system=None),
            progress=False,
        )
        log.write(f"\n===== {label} ({state.run_id})\n")
        execute_steps(state, steps, around_step=timed)
    if state.landing_report is not None:
        result.rows_landed = state.landing_report.total.rows_read
    target_path, _ = dbt_paths(warehouse)
    if (target_path / "run_results.json").exists():
        result.dbt = read_dbt_timings(target_path)  # the refresh's dbt build (the last dbt run)
    result.stages = clock.results[first:]
    return result
