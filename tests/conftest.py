"""Builds shared by several test modules, made once per pytest session.

A dbt build costs a minute or more on 2 cores; most modules only read what it produced, so
they share one build per kind of dataset instead of each making its own:

- published_run (tests/_rel_support.py): CSV daily batches with dirt and erasure requests,
  published on DuckDB. Reliability, privacy and the customer mart.
- clean_run: clean parquet data in one batch, published on DuckDB. The independent KPI
  recomputation and the MetricFlow semantic layer.
- postgres_run: one database on the local Postgres, published through write-audit-publish.
  Pipeline, BI role and publish tests on Postgres.

Modules that change a build they share say so and leave it in a state the others accept.

`make test` runs the suite on two pytest-xdist workers (`--dist loadgroup`): every test is put
in its module's group, and modules sharing one of the builds above in one group, so a build
is made once and a module's own fixtures once (pytest_collection_modifyitems below).
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _rel_support import PublishedRun, published_run
from playwright.sync_api import Browser, sync_playwright
from rich.console import Console

from cx360.generate import generate
from cx360.pipeline import run_pipeline
from cx360.warehouse import PostgresSettings, Warehouse

# The session fixtures below that cost a pipeline run: modules using one run on one worker.
SHARED_BUILDS = ("rel_run", "clean_run", "postgres_run")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test `xdist_group(<group>)` for `--dist loadgroup` (no effect without xdist).

    A group is a module, joined with every other module that shares one of SHARED_BUILDS
    (union-find over modules): otherwise two workers would each build it, and a module's
    module-scoped fixtures would be built on each worker that runs one of its tests.
    """
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    for item in items:
        module = item.nodeid.split("::")[0]
        for build in SHARED_BUILDS:
            if build in item.fixturenames:
                parent[root(module)] = root(build)
    for item in items:
        group = root(item.nodeid.split("::")[0]).removeprefix("tests/")
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def rel_run(tmp_path_factory: pytest.TempPathFactory) -> PublishedRun:
    return published_run(tmp_path_factory)


# clean_run: the independent KPI check (tests/test_kpi_independent.py) needs every row valid
CLEAN_CUSTOMERS = 600
CLEAN_MONTHS = 12
CLEAN_SEED = 20


@dataclass(frozen=True)
class CleanRun:
    raw_dir: Path
    warehouse: Warehouse


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
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
        progress=False,
    )
    warehouse = Warehouse(root / "warehouse")
    out = io.StringIO()
    status = run_pipeline(raw_dir, warehouse, progress=False, console=Console(file=out, width=200))
    assert status == 0, f"the pipeline failed on clean generated data:\n{out.getvalue()}"
    return CleanRun(raw_dir, warehouse)


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
