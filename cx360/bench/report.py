"""The benchmark's report: a markdown section per (size, target) in docs/benchmarks.md.

Each run replaces its own section (between `<!-- bench:<target>:<customers> -->` markers) and
leaves the rest of the file, prose and other sizes, as it is.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import subprocess
from pathlib import Path

import psutil

from cx360.bench.lower_bound import CUSTOMER_COLUMNS
from cx360.bench.runner import BenchResult
from cx360.bench.stages import RunResult
from cx360.warehouse import PROJECT_DIR, dbt_threads, duckdb_memory_limit

GIB = 2**30
# Targets of issue 6 (docs/benchmarks.md): checked at every size, stated for 1,000,000.
FULL_RUN_TARGET_SECONDS = 300.0
BUILD_TO_LOWER_BOUND_TARGET = 2.0
INCREMENTAL_SHARE_TARGET = 0.10
PEAK_MEMORY_TARGET_BYTES = 8 * GIB
PACKAGES = ("dbt-core", "dbt-duckdb", "duckdb", "pyarrow", "great-expectations", "psutil")
SLOWEST_MODELS_SHOWN = 8
RESULTS_HEADING = "## Results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown cpu"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine_lines() -> list[str]:
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- machine: {os.cpu_count()} cores ({_cpu_model()}), "
        f"{psutil.virtual_memory().total / GIB:.1f} GiB memory, load average at the end {load}",
        f"- software: Python {platform.python_version()}, {', '.join(versions)}; "
        f"cx360 commit {_git_commit()} (plus uncommitted changes, if any)",
        f"- settings: dbt threads {dbt_threads()}, DuckDB memory_limit "
        f"{duckdb_memory_limit()} (profiles.yml)",
    ]


def _seconds(value: float) -> str:
    return f"{value:,.1f}"


def _rate(rows: int | None, seconds: float) -> str:
    return f"{rows / seconds:,.0f}" if rows and seconds > 0 else ""


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("met" if ok else "**not met**")


def _stage_rows(result: BenchResult) -> list[str]:
    rows = ["| stage | full refresh s | incremental day s | rows/s (full) | peak GiB (full) |"]
    rows.append("|---|---:|---:|---:|---:|")
    if result.generate is not None:
        g = result.generate
        rows.append(
            f"| {g.name} | {_seconds(g.seconds)} | | {_rate(g.rows, g.seconds)} "
            f"| {g.peak_bytes / GIB:.2f} |"
        )
    full, incremental = result.full, result.incremental
    if full is None:
        # cut short during the full refresh: the stages it finished
        for stage in result.completed_stages[1:]:
            rows.append(
                f"| {stage.name} | {_seconds(stage.seconds)} | | "
                f"{_rate(stage.rows, stage.seconds)} | {stage.peak_bytes / GIB:.2f} |"
            )
        return rows
    for stage in full.stages:
        inc = incremental.stage(stage.name) if incremental else None
        rows.append(
            f"| {stage.name} | {_seconds(stage.seconds)} | "
            f"{_seconds(inc.seconds) if inc else ''} | {_rate(stage.rows, stage.seconds)} | "
            f"{stage.peak_bytes / GIB:.2f} |"
        )
        if stage.name == "dbt build":
            rows += _layer_rows(full, incremental)
    rows.append(
        f"| **refresh total** | **{_seconds(full.seconds)}** | "
        f"**{_seconds(incremental.seconds) if incremental else ''}** | "
        f"{_rate(full.rows_landed, full.seconds)} | |"
    )
    return rows


def _layer_rows(full: RunResult, incremental: RunResult | None) -> list[str]:
    """dbt busy time per layer (sum of node times; 2 threads overlap, so they add up to more
    than the build's wall time)."""
    if full.dbt is None:
        return []
    inc_layers = (
        {x.layer: x for x in incremental.dbt.layers()} if incremental and incremental.dbt else {}
    )
    rows = []
    for layer in full.dbt.layers():
        inc = inc_layers.get(layer.layer)
        rows.append(
            f"| &nbsp;&nbsp;dbt {layer.layer} ({layer.nodes} nodes, busy time) | "
            f"{_seconds(layer.busy_seconds)} | {_seconds(inc.busy_seconds) if inc else ''} | | |"
        )
    return rows


def _landed_so_far(result: BenchResult) -> int:
    """Rows the full refresh's land stage read, when the refresh did not finish."""
    land = next((s for s in result.completed_stages if s.name == "land"), None)
    return land.rows or 0 if land is not None else 0


def render(result: BenchResult) -> str:
    config = result.config
    full, lb = result.full, result.lower_bound
    when = dt.datetime.fromtimestamp(result.started_at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = f"### {config.customers:,} customers on {config.target} ({when})"
    if not result.is_complete:
        heading += f" **{result.status.split(':')[0]}**"
    landed = full.rows_landed if full else _landed_so_far(result)
    if result.incremental is not None:
        incremental_day = f"the incremental day adds {result.last_day_files} batch files"
    elif config.incremental and result.status.startswith("running"):
        incremental_day = "the incremental day follows"
    else:
        incremental_day = "no incremental day in this run"
    lines = [
        heading,
        "",
        f"- command: `{config.command or 'cx360 bench'}`",
        *([] if result.is_complete else [f"- status: {result.status}"]),
        f"- data: {result.raw_rows:,} raw rows generated ({config.months} months, seed "
        f"{config.seed}, dirty rate {config.dirty_rate}), daily parquet batches; the full refresh "
        f"lands {landed:,} rows (every day before {result.last_day}, one "
        f"backfill batch per table); {incremental_day}",
        *machine_lines(),
        "",
        *_stage_rows(result),
        "",
        f"Peak memory of the whole process tree (sampled RSS, every 0.2 s): "
        f"**{result.peak_bytes / GIB:.2f} GiB**; largest single child process "
        f"{result.largest_child_bytes / GIB:.2f} GiB. Benchmark wall time "
        f"{_seconds(result.wall_seconds)} s.",
        "",
    ]
    if lb is not None:
        check = "not compared (non-DuckDB target)"
        if lb.comparison is not None:
            check = (
                f"**equal** ({lb.comparison.customers_compared:,} customers x "
                f"{len(CUSTOMER_COLUMNS)} columns, "
                f"{lb.comparison.kpi_rows_compared} monthly KPI rows)"
                if lb.comparison.equal
                else "**DIFFERENT**: " + "; ".join(lb.comparison.differences)
            )
        ratio = result.build_to_lower_bound
        lines += [
            f"Lower bound (benchmarks/lower_bound.sql, raw parquet -> headline outputs): "
            f"{_seconds(lb.seconds)} s; dbt build / lower bound = "
            f"**{ratio:.1f}x**; numbers vs the published marts: {check}."
            if ratio is not None
            else f"Lower bound: {_seconds(lb.seconds)} s.",
            "",
        ]
    lines += _targets(result)
    if full is not None and full.dbt is not None:
        lines += ["", "Slowest models (full refresh, dbt execution time):", ""]
        lines += ["| model | s |", "|---|---:|"]
        for node in full.dbt.slowest_models(SLOWEST_MODELS_SHOWN):
            lines.append(f"| {node.unique_id.split('.')[-1]} | {_seconds(node.seconds)} |")
    return "\n".join(lines) + "\n"


def _targets(result: BenchResult) -> list[str]:
    full = result.full
    ratio, share = result.build_to_lower_bound, result.incremental_share
    rows = [
        "| target (issue 6, stated for 1,000,000 customers) | measured | |",
        "|---|---:|---|",
        f"| full refresh <= {FULL_RUN_TARGET_SECONDS:.0f} s | "
        f"{_seconds(full.seconds) if full else ''} s | "
        f"{_verdict(full.seconds <= FULL_RUN_TARGET_SECONDS if full else None)} |",
        f"| dbt build <= {BUILD_TO_LOWER_BOUND_TARGET:.0f}x lower bound | "
        f"{f'{ratio:.1f}x' if ratio is not None else ''} | "
        f"{_verdict(ratio <= BUILD_TO_LOWER_BOUND_TARGET if ratio is not None else None)} |",
        f"| incremental day <= {INCREMENTAL_SHARE_TARGET:.0%} of the full refresh | "
        f"{f'{share:.0%}' if share is not None else ''} | "
        f"{_verdict(share <= INCREMENTAL_SHARE_TARGET if share is not None else None)} |",
        f"| peak memory < 8 GiB | {result.peak_bytes / GIB:.2f} GiB | "
        f"{_verdict(result.peak_bytes < PEAK_MEMORY_TARGET_BYTES)} |",
    ]
    return rows


def write_report(result: BenchResult, path: Path) -> None:
    """Put this run's section into `path`, replacing the previous one for the same size."""
    key = f"bench:{result.config.target}:{result.config.customers}"
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    section = f"{start}\n{render(result)}{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# cx360 benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text, count=1)
    else:
        if RESULTS_HEADING not in text:
            text = text.rstrip("\n") + f"\n\n{RESULTS_HEADING}\n"
        head, _, tail = text.partition(RESULTS_HEADING)
        text = f"{head}{RESULTS_HEADING}\n\n{section}{tail.lstrip(chr(10))}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
