"""Builds shared by several test modules, made once per pytest session.

A dbt build costs a minute or more on 2 cores; most modules only read what it produced, so
they share one build per kind of dataset instead of each making its own:

- published_run (tests/_rel_support.py): CSV daily batches with dirt and erasure requests,
  published on DuckDB. Reliability, privacy and the customer mart.
- clean_run: clean parquet data in one batch, ending mid-month, published on DuckDB. The
  independent KPI recomputation, the partial month, the MetricFlow semantic layer and the dbt
  unit tests on DuckDB.
- postgres_run: one database on the local Postgres, published through write-audit-publish.
  Pipeline, BI role and publish tests on Postgres, the dashboard on Postgres (browser) and the
  dbt unit tests on Postgres.

Modules that change a build they share say so and leave it in a state the others accept.

`make test` runs the suite on two pytest-xdist workers (`--dist loadscope`, scheduled by
pytest_xdist_make_scheduler below): a module runs on one worker, and modules sharing one of the
builds above run on the same worker, so each build and each module fixture is made once.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _rel_support import PublishedRun, published_run
from playwright.sync_api import Browser, sync_playwright
from rich.console import Console

from cx360.bench.memory import PeakMemorySampler
from cx360.bench.stages import RunResult, StageClock, timed_refresh
from cx360.generate import generate
from cx360.pipeline import run_pipeline
from cx360.warehouse import PostgresSettings, Warehouse

# Spark runs of the suite keep their Derby metastore in a temporary folder, thrown away: Derby
# need not fsync its log there (a crash may corrupt the metastore, so tests only; the default in
# cx360/settings.py keeps it durable). And on the suite's few thousand rows Spark spends more
# time compiling whole-stage code for each query than running it: interpreted, the slowest
# models of the parity refresh ran 88-92 s instead of 110-116 s (2026-11-30, 7 models, two runs
# each); on real volumes code generation pays, so the product keeps Spark's default. Likewise
# the JVM's own optimising compiler (C2) and parallel GC cost more CPU than they save in the
# suite's short-lived Spark processes: with the quick compiler only and the serial collector,
# 9 models of the parity refresh took 60 s of the driver JVM's CPU instead of 84 s, 41 s
# instead of 45 s of wall time on an idle machine (2026-11-30; on 2 busy cores the CPU is what
# counts). Set before any fixture, so every child process (cx360 run, dbt, the Spark children)
# inherits them; the SQL and the checks are the same (only how the JVM runs its own code).
os.environ.setdefault(
    "CX360_SPARK_JAVA_OPTIONS",
    "-Dderby.system.durability=test -Dspark.sql.codegen.wholeStage=false"
    " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
)

# The session fixtures below that cost a pipeline run: modules using one run on one worker.
SHARED_BUILDS = ("rel_run", "clean_run", "postgres_run")
# Groups started first, heaviest first: the longest group never starts last
# (longest-processing-time-first). The rest follow in file order. Seconds of each group in a
# 2-worker run (`pytest -n 2 --dist loadscope --junitxml=...`, summed per group, 2026-12-01,
# 17.0 min in all, 2,015 s of test time): postgres_run 517 (with clean_run; the dashboard
# browser 206 of it, ~40 s less since its screenshots are only taken by `make screenshots`),
# parity 462 (its Spark refresh 380, before Spark ran dbt on two threads: 183 s instead of
# 256 s alone), incremental 137, pipeline 123, orchestration 119, rel_run 93, landing end to
# end 90, crash safety 82, purchase model 75, customer mart 62, disk full 54, lease 46.
HEAVY_FIRST = (
    "postgres_run",
    "tests/test_engine_parity.py",
    "tests/test_reliability_incremental.py",
    "tests/test_pipeline.py",
    "tests/test_orchestration.py",
    "rel_run",
    "tests/test_landing_end_to_end.py",
    "tests/test_crash_safety.py",
    "tests/test_purchase_model.py",
    "tests/test_customer_mart.py",
    "tests/test_disk_full.py",
    "tests/test_lease.py",
)


def shared_build_groups(tests_dir: Path) -> dict[str, str]:
    """Test module (node id path, e.g. tests/test_pii.py) -> its xdist group: modules that name
    one of SHARED_BUILDS share a group (union-find), so the build is made once; the others are
    a group of their own. Read from the files' text, as the xdist controller collects nothing."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    modules = sorted(tests_dir.glob("test_*.py"))
    for path in modules:
        text = path.read_text(encoding="utf-8")
        for build in SHARED_BUILDS:
            if re.search(rf"\b{build}\b", text):
                parent[root(f"tests/{path.name}")] = root(build)
    return {f"tests/{p.name}": root(f"tests/{p.name}") for p in modules}


GROUPS = shared_build_groups(Path(__file__).parent)


def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    """`make test` runs `-n 2 --dist loadscope` with this scheduler: a scope is a module's
    group (shared_build_groups), so each shared build and each module's own fixtures are made
    on one worker. (xdist's own `--dist loadgroup` marks do not reach its scheduler under
    pytest 9.2, whose node ids no longer read the `_nodeid` xdist rewrites.)"""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedBuildScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return GROUPS.get(module, module)

    config.option.loadscopereorder = False  # keep the order pytest_collection_modifyitems sets
    return SharedBuildScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Heaviest groups first (HEAVY_FIRST), then file order; a group's tests stay in order."""

    def rank(item: pytest.Item) -> int:
        group = GROUPS.get(item.nodeid.split("::", 1)[0], "")
        return HEAVY_FIRST.index(group) if group in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable


@pytest.fixture(scope="session")
def rel_run(tmp_path_factory: pytest.TempPathFactory) -> PublishedRun:
    return published_run(tmp_path_factory)


# clean_run: the independent KPI check (tests/test_kpi_independent.py) needs every row valid;
# the data ends mid-month, so its last month is partial (tests/test_kpi_partial_month.py)
CLEAN_CUSTOMERS = 600
CLEAN_MONTHS = 12
CLEAN_SEED = 20
CLEAN_END = "2026-06-15"


@dataclass(frozen=True)
class CleanRun:
    raw_dir: Path
    warehouse: Warehouse
    refresh: RunResult  # its stages as the benchmark times them (cx360.bench.stages)


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    """The refresh run the way the benchmark runs it (timed_refresh: `cx360 run`'s own steps
    and executor, a stopwatch per step), so the suite also runs the bench's refresh end to end
    without a refresh of its own."""
    root = tmp_path_factory.mktemp("clean_run")
    raw_dir = root / "raw"
    generate(
        customers=CLEAN_CUSTOMERS,
        seed=CLEAN_SEED,
        out=raw_dir,
        fmt="parquet",
        months=CLEAN_MONTHS,
        dirty_rate=0.0,
        batches="single",
        end_date=CLEAN_END,
        progress=False,
    )
    warehouse = Warehouse(root / "warehouse")
    log = root / "refresh.log"
    with PeakMemorySampler() as sampler:
        try:
            refresh = timed_refresh("clean refresh", raw_dir, warehouse, StageClock(sampler), log)
        except Exception as error:
            raise AssertionError(
                f"the pipeline failed on clean generated data: {error}\n{log.read_text()[-5000:]}"
            ) from error
    return CleanRun(raw_dir, warehouse, refresh)


@dataclass(frozen=True)
class PostgresRun:
    database: str
    raw_dir: Path
    warehouse: Warehouse
    run_id: str
    output: str


POSTGRES_RUN_ID = "postgres-run-1"


@pytest.fixture(scope="session")
def postgres_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresRun]:
    """A fresh database with one published pipeline run (60 customers, 6 months, CSV).

    Set CX360_PG_DATABASE to `database` (monkeypatch) for anything that talks to it.
    tests/test_publish_postgres.py rebuilds it twice (one customer erased, then a rejected
    build): the marts stay valid and published, the first run's results stay under its run id.
    """
    name = f"cx360_test_pg_{uuid.uuid4().hex[:8]}"
    admin = psycopg2_connect("postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        root = tmp_path_factory.mktemp("postgres_run")
        raw = root / "raw"
        generate(customers=60, seed=9, out=raw, fmt="csv", months=6, progress=False)
        warehouse = Warehouse(root / "wh", "postgres")
        out = io.StringIO()
        # only while it runs: other modules' Postgres tests pick their own database
        with pytest.MonkeyPatch.context() as env:
            env.setenv("CX360_PG_DATABASE", name)
            status = run_pipeline(
                raw,
                warehouse,
                run_id=POSTGRES_RUN_ID,
                progress=False,
                console=Console(file=out, width=200),
            )
        assert status == 0, out.getvalue()
        yield PostgresRun(name, raw, warehouse, POSTGRES_RUN_ID, out.getvalue())
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def psycopg2_connect(database: str):  # noqa: ANN201 (psycopg2 connection)
    import psycopg2

    return psycopg2.connect(**PostgresSettings.from_env().connect_kwargs(database))


# --- browser tests (test_dashboard_browser.py, test_data_docs_offline.py) ------------------
CHROMIUM = Path(os.environ.get("CX360_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the session. Playwright's sync API runs its event loop while open, and
    a second sync_playwright() inside it fails ("Sync API inside the asyncio loop"): every
    browser test takes this fixture. Chromium comes from Debian (scripts/install_chromium.sh),
    never `playwright install`."""
    assert CHROMIUM.exists(), (
        f"no chromium at {CHROMIUM}: run scripts/install_chromium.sh (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
