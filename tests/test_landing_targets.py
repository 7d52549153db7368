"""Landing for the postgres and spark targets: parsed in DuckDB, then copied to the engine."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import psycopg2
import pytest

from cx360.contract import load_contract
from cx360.landing import duckdb_loader, land
from cx360.warehouse import PostgresSettings, Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import write_valid_raw  # noqa: E402

CONTRACT = load_contract()


def _raw_with_one_bad_row(raw: Path) -> None:
    write_valid_raw(raw, as_folders=True)
    path = raw / "crm_customers" / "2026-01-01.csv"
    text = path.read_text().replace("2026-01-02T10:00:00Z", "2026-01-02T12:00:00+02:00")
    path.write_text(text + "customer_id_9,not,enough\n")


def _duckdb_counts(warehouse: Warehouse) -> dict[str, int]:
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        counts = {
            f"raw.{t}": con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in CONTRACT
        }
        for t in duckdb_loader.AUDIT_TABLES:
            counts[f"audit.{t}"] = con.execute(f"select count(*) from audit.{t}").fetchone()[0]
        return counts
    finally:
        con.close()


@pytest.fixture
def postgres_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresSettings]:
    """A database of its own (created by landing), dropped afterwards."""
    monkeypatch.setenv("CX360_PG_DATABASE", f"cx360_land_test_{uuid.uuid4().hex[:10]}")
    settings = PostgresSettings.from_env()
    yield settings
    admin = psycopg2.connect(**settings.connect_kwargs("postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'drop database if exists "{settings.database}" with (force)')
    admin.close()


@pytest.mark.postgres
def test_postgres_target_lands_into_postgres(
    tmp_path: Path, postgres_database: PostgresSettings
) -> None:
    raw = tmp_path / "raw"
    _raw_with_one_bad_row(raw)
    warehouse = Warehouse(tmp_path / "wh", "postgres")
    report = land(raw, warehouse, progress=False)

    assert warehouse.landing_db.exists() and not warehouse.build_db.exists()
    assert report.table("crm_customers").rows_quarantined == 1
    expected = _duckdb_counts(warehouse)
    assert set(report.exported_tables) == set(expected)  # first landing copies everything
    pg = psycopg2.connect(**postgres_database.connect_kwargs())
    try:
        with pg.cursor() as cur:
            for table, rows in expected.items():
                cur.execute(f"select count(*) from {table}")
                assert cur.fetchone()[0] == rows, table
            cur.execute(
                "select customer_id, created_at, marketing_consent, _source_row, _batch_name "
                "from raw.crm_customers where _source_row = 2"
            )
            assert cur.fetchone() == (
                "customer_id_2",
                datetime(2026, 1, 2, 10, 0),  # +02:00 applied
                False,
                2,
                "crm_customers/2026-01-01.csv",
            )
            cur.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = 'billing_invoices' "
                "and column_name in ('amount', 'issued_at', 'paid_at', '_source_row')"
            )
            assert dict(cur.fetchall()) == {
                "amount": "numeric",
                "issued_at": "date",
                "paid_at": "timestamp without time zone",
                "_source_row": "bigint",
            }
            cur.execute("select reason_code, source_line from audit.landing_quarantine")
            assert cur.fetchall() == [("unparseable_line", 5)]
    finally:
        pg.close()

    again = land(raw, warehouse, progress=False)
    assert again.exported_tables == []  # nothing changed, nothing copied


@pytest.mark.spark
def test_spark_target_lands_spark_tables(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _raw_with_one_bad_row(raw)
    warehouse = Warehouse(tmp_path / "wh", "spark")
    report = land(raw, warehouse, progress=False)
    expected = _duckdb_counts(warehouse)
    assert set(report.exported_tables) == set(expected)

    # Read back in a separate process, as dbt-spark would: same warehouse and metastore.
    script = textwrap.dedent(
        f"""
        import json
        from pathlib import Path
        from cx360.landing.spark_export import spark_session
        from cx360.warehouse import Warehouse
        spark = spark_session(Warehouse(Path({str(warehouse.root)!r}), "spark"))
        tables = {sorted(expected)!r}
        out = {{t: spark.table(t).count() for t in tables}}
        row = spark.sql(
            "select cast(created_at as string), marketing_consent from raw.crm_customers "
            "where _source_row = 2"
        ).collect()[0]
        out["row"] = [row[0], row[1]]
        out["types"] = dict(spark.table("raw.billing_invoices").dtypes)
        spark.stop()
        print("RESULT" + json.dumps(out))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    result = json.loads(done.stdout.split("RESULT", 1)[1])
    for table, rows in expected.items():
        assert result[table] == rows, table
    assert result["row"] == ["2026-01-02 10:00:00", False]
    types = result["types"]
    assert (types["amount"], types["issued_at"], types["paid_at"]) == (
        "decimal(18,4)",
        "date",
        "timestamp",
    )
