"""cx360.pipeline on the postgres target: dbt builds in Postgres, the marts suites run through
GX's SQL datasource, results land in Postgres' audit schema; publish swaps the validated build
schema in as `marts` (tests/test_publish_postgres.py); no DuckDB file is published."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from _orch_support import generated_raw
from rich.console import Console

from cx360.pipeline import run_pipeline
from cx360.warehouse import PostgresSettings, Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    name = f"cx360_test_orch_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(**PostgresSettings.from_env().connect_kwargs("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    monkeypatch.setenv("CX360_PG_DATABASE", name)
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def test_postgres_run_validates_in_the_database(tmp_path: Path, database: str) -> None:
    raw = generated_raw(tmp_path / "raw", seed=3)
    warehouse = Warehouse(tmp_path / "wh", "postgres")
    out = io.StringIO()

    status = run_pipeline(raw, warehouse, progress=False, console=Console(file=out, width=200))

    assert status == 0, out.getvalue()
    assert "published database" in out.getvalue()
    assert not warehouse.published_db.exists()
    pg = psycopg2.connect(**PostgresSettings.from_env().connect_kwargs(database))
    try:
        with pg.cursor() as cur:
            cur.execute(
                "select suite_name, bool_and(success) from audit.validation_results"
                " where suite_name like 'marts.%' group by 1 order by 1"
            )
            assert cur.fetchall() == [("marts.customer_360", True), ("marts.fct_kpi", True)]
            cur.execute("select count(*) from marts.customer_360")
            assert cur.fetchone()[0] > 0
    finally:
        pg.close()
