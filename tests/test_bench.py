"""cx360.bench: the parts on their own (raw replay, dbt timings, memory sampler, report, a run
cut short), and the lower bound against the suite's clean refresh: it must equal the published
marts, and its comparison must notice a changed number. The whole benchmark is `make bench`'s,
not the suite's (issue 16: no benchmark inside `make test`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CLEAN_CUSTOMERS, CleanRun
from rich.console import Console

from cx360.bench import BenchConfig, BenchResult, run_benchmark
from cx360.bench.dbt_timings import read_dbt_timings
from cx360.bench.lower_bound import LowerBoundResult, build_lower_bound, compare, run_lower_bound
from cx360.bench.memory import PeakMemorySampler
from cx360.bench.raw_days import add_day, last_day, stage_history
from cx360.bench.report import render, write_report
from cx360.bench.stages import RunResult, StageResult
from cx360.cli import build_parser
from cx360.pipeline import STEPS

MIB = 2**20
# the stages of a timed refresh (cx360.bench.stages.timed_refresh): the pipeline's steps
STAGES = tuple(step.name for step in STEPS)


def _write_day(folder: Path, day: str, ids: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": ids, "day": [day] * len(ids)}), folder / f"{day}.parquet")


def test_stage_history_merges_all_days_but_the_last_in_batch_order(tmp_path: Path) -> None:
    source, staged = tmp_path / "all", tmp_path / "staged"
    _write_day(source / "tickets", "2026-01-02", ["b1", "b2"])
    _write_day(source / "tickets", "2026-01-01", ["a1"])
    _write_day(source / "tickets", "2026-01-03", ["c1"])
    pq.write_table(pa.table({"x": [1]}), source / "definitions.parquet")

    assert last_day(source) == "2026-01-03"
    assert stage_history(source, staged) == "2026-01-03"
    backfill = staged / "tickets" / "2026-01-01_to_2026-01-02.parquet"
    assert sorted(p.name for p in (staged / "tickets").iterdir()) == [backfill.name]
    assert pq.read_table(backfill).column("id").to_pylist() == ["a1", "b1", "b2"]
    assert (staged / "definitions.parquet").is_file()
    # the backfill batch sorts before the day added next, as landing orders batches
    assert add_day(source, staged, "2026-01-03") == 1
    assert sorted(p.name for p in (staged / "tickets").iterdir())[-1] == "2026-01-03.parquet"


def _run_results(target: Path) -> None:
    def node(uid: str, seconds: float, start: str, end: str) -> dict:
        return {
            "unique_id": uid,
            "status": "success",
            "execution_time": seconds,
            "timing": [
                {"name": "compile", "started_at": start, "completed_at": start},
                {"name": "execute", "started_at": start, "completed_at": end},
            ],
        }

    target.mkdir(parents=True)
    results = [
        node("model.cx360.stg_a", 1.5, "2026-01-01T00:00:00Z", "2026-01-01T00:00:01.5Z"),
        node("model.cx360.stg_b", 2.0, "2026-01-01T00:00:01Z", "2026-01-01T00:00:03Z"),
        node("model.cx360.int_c", 4.0, "2026-01-01T00:00:03Z", "2026-01-01T00:00:07Z"),
        node("test.cx360.not_null_x", 0.5, "2026-01-01T00:00:07Z", "2026-01-01T00:00:07.5Z"),
    ]
    (target / "run_results.json").write_text(json.dumps({"elapsed_time": 9.0, "results": results}))
    manifest = {
        "nodes": {
            "model.cx360.stg_a": {"fqn": ["cx360", "staging", "crm", "stg_a"]},
            "model.cx360.stg_b": {"fqn": ["cx360", "staging", "crm", "stg_b"]},
            "model.cx360.int_c": {"fqn": ["cx360", "intermediate", "int_c"]},
        }
    }
    (target / "manifest.json").write_text(json.dumps(manifest))


def test_dbt_timings_group_nodes_by_layer(tmp_path: Path) -> None:
    _run_results(tmp_path / "target")
    timings = read_dbt_timings(tmp_path / "target")
    layers = {x.layer: x for x in timings.layers()}
    assert [x.layer for x in timings.layers()] == ["staging", "intermediate", "data tests"]
    assert layers["staging"].nodes == 2
    assert layers["staging"].busy_seconds == pytest.approx(3.5)
    assert layers["staging"].span_seconds == pytest.approx(3.0)  # 00:00:00 -> 00:00:03
    assert timings.elapsed_seconds == 9.0
    assert [n.unique_id for n in timings.slowest_models(2)] == [
        "model.cx360.int_c",
        "model.cx360.stg_b",
    ]


def test_memory_sampler_sees_a_child_process() -> None:
    # 300 MiB, every page touched so that it is resident, held for 1.5 s
    child_code = (
        "import time; block = bytearray(300 * 2**20); "
        "block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"
    )
    with PeakMemorySampler(interval=0.05) as sampler:
        baseline = sampler.mark()
        subprocess.run([sys.executable, "-c", child_code], check=True)
        during = sampler.mark()
    assert during - baseline > 250 * MIB
    assert sampler.peak_bytes >= during


def test_a_failed_run_still_writes_what_it_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run cut short (here: landing fails) leaves a report naming the phase, the stage and the
    error, with the stages it finished; the exception still reaches the caller."""
    import cx360.bench.runner as runner

    def failing_refresh(label, raw_dir, warehouse, clock, dbt_log):  # noqa: ANN001, ANN202
        with clock.stage("land"):
            raise OSError("No space left on device")

    monkeypatch.setattr(runner, "timed_refresh", failing_refresh)
    doc = tmp_path / "benchmarks.md"
    statuses: list[str] = []

    texts: list[str] = []

    def on_progress(partial: BenchResult) -> None:
        statuses.append(partial.status)
        write_report(partial, doc)
        texts.append(doc.read_text())

    config = BenchConfig(customers=40, work_dir=tmp_path / "work", seed=3, command="pytest")
    with pytest.raises(OSError, match="No space left"):
        run_benchmark(
            config,
            console=Console(file=open(tmp_path / "out.txt", "w")),  # noqa: SIM115
            on_progress=on_progress,
        )
    assert statuses == [
        "running: full refresh",
        "failed in full refresh / land: OSError: No space left on device",
    ]
    text = doc.read_text()
    assert "**failed in full refresh / land**" in text
    assert "- status: failed in full refresh / land: OSError: No space left on device" in text
    assert "| generate " in text
    assert "| land (failed) | " in text  # how long the stage ran before it failed
    assert "no incremental day in this run" in text
    assert "the incremental day follows" in texts[0]  # while it was running


def test_cli_has_a_bench_command() -> None:
    args = build_parser().parse_args(["bench", "--customers", "300", "--work-dir", "/tmp/x"])
    assert (args.command, args.customers, args.target) == ("bench", 300, "duckdb")
    assert not args.no_lower_bound and not args.no_incremental


# ------------------------------------------------------------------ against a real refresh
# No benchmark runs in the suite (`make bench` does; issue 16): the shared clean refresh
# (tests/conftest.py clean_run: parquet, no erasure requests, as the lower bound reads) is run
# by the bench's timed_refresh, the lower bound is checked against it, and the report is
# rendered from its stages and dbt timings.


@pytest.mark.slow
def test_the_timed_refresh_times_each_step_of_the_pipeline(clean_run: CleanRun) -> None:
    refresh = clean_run.refresh
    assert [stage.name for stage in refresh.stages] == list(STAGES)
    assert all(stage.seconds > 0 and stage.peak_bytes > 0 for stage in refresh.stages)
    land = refresh.stage("land")
    assert land is not None and land.rows == refresh.rows_landed > 10_000
    # dbt's per-node times of the refresh's build: its models and tests
    assert refresh.dbt is not None and refresh.dbt.nodes
    with duckdb.connect(str(clean_run.warehouse.published_db), read_only=True) as con:
        published = con.execute("select count(distinct run_id) from audit.publish_log").fetchone()
    assert published == (1,)


@pytest.fixture(scope="module")
def lower_bound(clean_run: CleanRun) -> LowerBoundResult:
    return run_lower_bound(clean_run.raw_dir, published_db=clean_run.warehouse.published_db)


@pytest.mark.slow
def test_lower_bound_equals_the_published_marts(lower_bound: LowerBoundResult) -> None:
    comparison = lower_bound.comparison
    assert comparison is not None
    assert comparison.differences == []
    assert comparison.customers_compared == CLEAN_CUSTOMERS
    assert comparison.kpi_rows_compared > 50


def _complete_result(clean_run: CleanRun, lower_bound: LowerBoundResult, work: Path) -> BenchResult:
    """A complete BenchResult as run_benchmark returns it: the clean refresh as the full
    refresh, and its lower bound; the incremental day's stage times are made up."""
    stages = [StageResult(name, 1.5, 300 * MIB) for name in STAGES]
    return BenchResult(
        BenchConfig(customers=CLEAN_CUSTOMERS, work_dir=work, command="pytest"),
        raw_rows=20_000,
        generate=StageResult("generate", 2.0, 200 * MIB, rows=20_000),
        full=clean_run.refresh,
        incremental=RunResult("incremental day", list(stages), None, 1_000),
        lower_bound=lower_bound,
        last_day="2026-06-15",
        last_day_files=9,
        peak_bytes=900 * MIB,
        largest_child_bytes=600 * MIB,
        wall_seconds=60.0,
        status="complete",
    )


@pytest.mark.slow
def test_lower_bound_comparison_notices_a_changed_number(clean_run: CleanRun) -> None:
    """The lower bound's tables as a fake published mart: equal, then three kinds of change."""
    con = duckdb.connect()
    try:
        build_lower_bound(con, clean_run.raw_dir)
        con.execute("create schema marts")
        con.execute("create table marts.customer_360 as select * from lb_customer_360")
        con.execute(
            "create table marts.fct_kpi as select kpi_name, 'month' as period_grain, "
            "period_start, 'overall' as dimension_name, numerator, denominator, value, "
            "sample_size from lb_kpi"
        )
        assert compare(con, "memory").equal
        con.execute(
            "update marts.fct_kpi set numerator = numerator * (1 + 1e-6) "
            "where kpi_name = 'mttr_hours' and period_start = "
            "(select max(period_start) from lb_kpi where kpi_name = 'mttr_hours')"
        )
        con.execute(
            "update marts.customer_360 set revenue_12m = revenue_12m + 0.0001 "
            "where customer_id = (select min(customer_id) from lb_customer_360)"
        )
        con.execute(
            "delete from marts.customer_360 "
            "where customer_id = (select max(customer_id) from lb_customer_360)"
        )
        differences = compare(con, "memory").differences
    finally:
        con.close()
    assert len(differences) == 3, differences
    assert differences[0] == "customer_360 lacks 1 customer(s) of the lower bound"
    assert differences[1].startswith("customer_360.revenue_12m: 1 customer(s) differ")
    assert differences[2].startswith("fct_kpi mttr_hours: 1 month(s) differ")


@pytest.mark.slow
def test_report_replaces_its_own_section_only(
    clean_run: CleanRun, lower_bound: LowerBoundResult, tmp_path: Path
) -> None:
    bench = _complete_result(clean_run, lower_bound, tmp_path)
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# cx360 benchmarks\n\nMethod prose.\n\n## Results\n\n<!-- other -->\n")
    write_report(bench, doc)
    write_report(bench, doc)
    text = doc.read_text()
    assert text.count(f"<!-- bench:duckdb:{CLEAN_CUSTOMERS} -->") == 1
    assert "Method prose." in text and "<!-- other -->" in text
    section = render(bench)
    assert "| dbt build |" in section and "dbt staging" in section
    assert "lower bound = **" in section and "**equal**" in section
    assert "peak memory < 8 GiB" in section
