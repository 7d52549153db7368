"""A small generated dataset run once through the whole pipeline and published (DuckDB), shared
by the reliability and privacy tests (test_pii.py, test_erasure.py): a full run costs about a
minute on 2 cores, so it is built once per pytest session (cached under pytest's basetemp)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from cx360.dbt_runner import dbt_paths
from cx360.generate import generate
from cx360.pipeline import run_pipeline
from cx360.warehouse import Warehouse

CUSTOMERS = 200
SEED = 21
DIRTY_RATE = 0.05
ERASURE_REQUESTS = 3


@dataclass(frozen=True)
class PublishedRun:
    raw_dir: Path
    warehouse: Warehouse

    @property
    def manifest(self) -> Path:
        return dbt_paths(self.warehouse)[0] / "manifest.json"

    def published(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse.published_db), read_only=True)

    def build(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse.build_db), read_only=True)


def run_quietly(raw_dir: Path, warehouse: Warehouse) -> tuple[int, str]:
    out = io.StringIO()
    status = run_pipeline(raw_dir, warehouse, progress=False, console=Console(file=out, width=200))
    return status, out.getvalue()


def published_run(tmp_path_factory: pytest.TempPathFactory) -> PublishedRun:
    root = tmp_path_factory.getbasetemp() / "rel_published_run"
    run = PublishedRun(root / "raw", Warehouse(root / "wh"))
    done = root / "published.ok"
    if done.exists():
        return run
    generate(
        customers=CUSTOMERS,
        seed=SEED,
        out=run.raw_dir,
        fmt="csv",
        months=12,
        dirty_rate=DIRTY_RATE,
        batches="daily",
        erasure_requests=ERASURE_REQUESTS,
        progress=False,
    )
    status, output = run_quietly(run.raw_dir, run.warehouse)
    assert status == 0, output
    done.touch()
    return run


def published_tables(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> list[str]:
    """`schema.table` of every table in a connection (one schema if given)."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') "
        "and (? is null or table_schema = ?) order by 1, 2",
        [schema, schema],
    ).fetchall()
    return [f'{s}."{t}"' for s, t in rows]


def columns(con: duckdb.DuckDBPyConnection, qualified: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table."""
    return {name: kind for name, kind, *_ in con.execute(f"describe {qualified}").fetchall()}
