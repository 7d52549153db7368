"""cx360.pipeline on the postgres target: dbt builds in Postgres, the marts suites run through
GX's SQL datasource, results land in Postgres' audit schema; publish swaps the validated build
schema in as `marts` (tests/test_publish_postgres.py); no DuckDB file is published.

Reads the shared run of tests/conftest.py (postgres_run), by its run id."""

from __future__ import annotations

import psycopg2
import pytest
from conftest import PostgresRun

from cx360.warehouse import PostgresSettings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_postgres_run_validates_in_the_database(postgres_run: PostgresRun) -> None:
    assert "published database" in postgres_run.output
    assert not postgres_run.warehouse.published_db.exists()
    pg = psycopg2.connect(**PostgresSettings.from_env().connect_kwargs(postgres_run.database))
    try:
        with pg.cursor() as cur:
            cur.execute(
                "select suite_name, bool_and(success) from audit.validation_results"
                " where suite_name like 'marts.%%' and run_id = %s group by 1 order by 1",
                [postgres_run.run_id],
            )
            assert cur.fetchall() == [("marts.customer_360", True), ("marts.fct_kpi", True)]
            cur.execute("select count(*) from marts.customer_360")
            assert cur.fetchone()[0] > 0
    finally:
        pg.close()
