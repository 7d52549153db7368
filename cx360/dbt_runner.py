"""Run `dbt build` once, streaming its progress, and read what it did from run_results.json.

A subprocess rather than dbt's in-process dbtRunner: dbt keeps global state (adapters, logging,
flags) that leaks between invocations in one process, and a child process can be killed cleanly.
One `dbt build` does seeds, models, snapshots and tests in dependency order: the cost of dbt's
start-up (~5 s) is paid once.

dbt parses the whole project on a warehouse's first build (15-25 s on 2 cores) and reuses that
parse on later builds (partial parsing, the file it saves in the target folder). A parse is
reusable only under the same connection settings, and the DuckDB file's path is one of them: so
dbt runs from the DuckDB warehouse's folder with the path relative (CX360_WAREHOUSE_DIR=".",
profiles.yml), and a new warehouse starts from the parse the last build left in PARSE_CACHE.
dbt still checks each file's hash, the vars and the env vars, and parses again what changed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cx360.errors import DISK_FULL_MARKERS
from cx360.warehouse import PROJECT_DIR, Warehouse
from expectations.results import ExpectationOutcome, SuiteOutcome

# Node statuses in run_results.json that mean "this did not work".
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str
    failures: int | None

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass(frozen=True)
class DbtBuildResult:
    returncode: int
    nodes: tuple[DbtNodeResult, ...]
    log_path: Path
    target_path: Path
    # The first output line reporting an exhausted disk or memory (the build stops there).
    resource_line: str | None = None

    @property
    def success(self) -> bool:
        return self.returncode == 0 and not self.failed_nodes

    @property
    def failed_nodes(self) -> list[DbtNodeResult]:
        return [n for n in self.nodes if n.failed]

    def count(self, status: str) -> int:
        return sum(1 for n in self.nodes if n.status == status)

    def test_outcomes(self) -> list[SuiteOutcome]:
        """dbt tests as validation outcomes (suite `dbt_tests`), for audit.validation_results."""
        return dbt_test_outcomes(self)


def dbt_test_outcomes(*builds: DbtBuildResult) -> list[SuiteOutcome]:
    """The dbt tests of one refresh's builds as one suite `dbt_tests` (a refresh may build the
    project in two parts: cx360.pipeline)."""
    tests = [n for b in builds for n in b.nodes if n.resource_type in ("test", "unit_test")]
    expectations = tuple(
        ExpectationOutcome(
            expectation=n.unique_id,
            column=None,
            success=n.status in ("pass", "warn"),
            unexpected_count=n.failures,
            unexpected_percent=None,
            observed=n.status if not n.message else f"{n.status}: {n.message}"[:200],
        )
        for n in tests
    )
    return [SuiteOutcome("dbt_tests", "dbt", rows=len(tests), expectations=expectations)]


def dbt_paths(warehouse: Warehouse) -> tuple[Path, Path]:
    """(target path, log path) of a warehouse: artefacts stay with the warehouse they built."""
    build_dir = warehouse.build_db.parent
    return build_dir / "target", build_dir / "logs"


# The last saved parse of this project, per target and build schema suffix (see the module
# docstring; the suffix is read by macros/generate_schema_name.sql at parse time).
PARSE_CACHE = PROJECT_DIR / "target" / "parse_cache"
SAVED_PARSE = "partial_parse.msgpack"  # dbt's name, in its target folder


def start_from_saved_parse(target_path: Path, saved_parse: Path) -> None:
    """Copy a parse dbt saved (its partial_parse.msgpack) into a target folder that has none,
    so dbt parses only what changed since. Best effort: without it dbt parses the whole
    project, as it would anyway (and a full disk is dbt's to report)."""
    saved = target_path / SAVED_PARSE
    if saved.exists() or not saved_parse.exists():
        return
    try:
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved_parse, saved)
    except OSError:
        saved.unlink(missing_ok=True)


def _cache_parse(target_path: Path, cached: Path) -> None:
    """Keep the parse a build saved for the next new warehouse (replaced whole: two builds
    finishing together each write their own temporary file)."""
    saved = target_path / SAVED_PARSE
    if not saved.exists():
        return
    temporary = cached.with_name(f".{cached.stem}.{os.getpid()}.tmp")
    try:
        PARSE_CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, temporary)
        os.replace(temporary, cached)
    except OSError:
        temporary.unlink(missing_ok=True)


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's venv), else the one on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def read_run_results(target_path: Path) -> tuple[DbtNodeResult, ...]:
    path = target_path / "run_results.json"
    if not path.exists():
        return ()
    results = json.loads(path.read_text(encoding="utf-8")).get("results", [])
    return tuple(
        DbtNodeResult(
            unique_id=r["unique_id"],
            resource_type=r["unique_id"].split(".", 1)[0],
            status=str(r.get("status")),
            message=str(r.get("message") or ""),
            failures=r.get("failures"),
        )
        for r in results
    )


# What a refresh builds: models, seeds and data tests, not the unit tests. Unit tests check the
# SQL logic on fixed inputs, so they give the same answer on every refresh: they run in
# `make test` and CI (dbt_unit_tests, on the suite's DuckDB and Postgres builds), as dbt
# recommends, and the refresh saves their time (19 s of node time at 1 M, docs/benchmarks.md).
REFRESH_BUILD_ARGS: tuple[str, ...] = ("--exclude-resource-type", "unit_test")


# dbt prints a node's error text only in its end-of-run summary; a node error while the disk
# holding the warehouse has less than this free is taken for a full disk.
DISK_NEARLY_FULL_BYTES = 16 * 1024 * 1024


def _disk_full_line(line: str, warehouse: Warehouse) -> str | None:
    """The line, with the marker, when it says the disk is full; else None."""
    if any(marker in line for marker in DISK_FULL_MARKERS):
        return line.strip()
    if " ERROR " in line:
        free = shutil.disk_usage(warehouse.root).free
        if free < DISK_NEARLY_FULL_BYTES:
            return f"{line.strip()} ({DISK_FULL_MARKERS[0]}: {free:,} bytes free)"
    return None


def dbt_build(
    warehouse: Warehouse,
    *,
    extra_args: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> DbtBuildResult:
    """The refresh's `dbt build` (REFRESH_BUILD_ARGS) against `warehouse`, each output line
    passed to `echo` as it comes. On the first line saying the disk is full dbt is stopped:
    every later node would fail the same way, in pages of log."""
    target_path, log_path = dbt_paths(warehouse)
    return _run_dbt(
        warehouse, ["build", *REFRESH_BUILD_ARGS, *extra_args], target_path, log_path, echo=echo
    )


def dbt_unit_tests(warehouse: Warehouse, *, echo: Callable[[str], None] = print) -> DbtBuildResult:
    """The unit tests of the SQL logic (`dbt test --select test_type:unit`), which the refresh
    leaves out, against a warehouse a refresh has built and published: dbt reads the columns
    of each tested model's parents from there, then runs the model's SQL on the test's own
    rows. On Postgres and Spark the published schemas (no build suffix) are the ones read,
    and the parse differs from the refresh's: its own target folder keeps the refresh's."""
    folder = warehouse.build_db.parent / "unit_tests"
    return _run_dbt(
        warehouse,
        ["test", "--select", "test_type:unit"],
        folder / "target",
        folder / "logs",
        echo=echo,
        env={"CX360_BUILD_SCHEMA_SUFFIX": ""},
    )


def _run_dbt(
    warehouse: Warehouse,
    arguments: Sequence[str],
    target_path: Path,
    log_path: Path,
    *,
    echo: Callable[[str], None],
    env: dict[str, str] | None = None,
) -> DbtBuildResult:
    """One dbt command (`arguments`: the sub-command and its own options) against `warehouse`,
    from the warehouse's folder and a saved parse (module docstring), its output relayed line by
    line; `env` overrides the warehouse's dbt environment."""
    warehouse.ensure_dirs()
    (target_path / "run_results.json").unlink(missing_ok=True)  # never read a stale result
    env, cwd = {**warehouse.dbt_env(), **(env or {})}, PROJECT_DIR
    if warehouse.target == "duckdb":  # the DuckDB path relative: see the module docstring
        env, cwd = {**env, "CX360_WAREHOUSE_DIR": "."}, warehouse.root.resolve()
    cached_parse = PARSE_CACHE / f"{warehouse.target}{env['CX360_BUILD_SCHEMA_SUFFIX']}.msgpack"
    start_from_saved_parse(target_path, cached_parse)
    subcommand, *options = arguments
    command = [
        dbt_executable(),
        "--no-use-colors",  # the output is relayed line by line, maybe into a log file
        subcommand,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        warehouse.target,
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
        *options,
    ]
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        resource_line = None
        for line in process.stdout:
            if resource_line is not None:
                continue  # drained unread until dbt has stopped
            echo(line.rstrip("\n"))
            resource_line = _disk_full_line(line, warehouse)
            if resource_line is not None:
                process.terminate()
        returncode = process.wait()
    _cache_parse(target_path, cached_parse)
    return DbtBuildResult(
        returncode,
        read_run_results(target_path),
        log_path / "dbt.log",
        target_path,
        resource_line,
    )
