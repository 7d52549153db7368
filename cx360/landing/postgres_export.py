"""Copy the landed raw and audit tables from the DuckDB landing database into PostgreSQL.

DuckDB writes each table as CSV, psycopg2 streams it with COPY. A table is copied when a batch
of it landed in this run, or when Postgres lacks it or holds another row count. All copies run
in one transaction, so dbt never sees half a landing. Existing tables are truncated rather
than dropped: dbt's staging views depend on them.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from pathlib import Path

import duckdb
import psycopg2
from psycopg2 import errors as pg_errors
from psycopg2 import sql

from cx360.contract import POSTGRES_TYPES, Table
from cx360.errors import Cx360Error
from cx360.landing.casting import quote_ident, quote_literal
from cx360.landing.duckdb_loader import AUDIT_TABLES, LINEAGE_COLUMNS
from cx360.warehouse import PostgresSettings

_DUCKDB_TO_POSTGRES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "TIMESTAMP": "timestamp",
}


def _postgres_columns(columns: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, _DUCKDB_TO_POSTGRES[kind]) for name, kind in columns]


def export_tables(contract: dict[str, Table]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(schema, table, [(column, postgres type)]) of everything landing writes."""
    tables = [
        (
            "raw",
            table.name,
            [(c.name, POSTGRES_TYPES[c.type]) for c in table.columns]
            + _postgres_columns(LINEAGE_COLUMNS),
        )
        for table in contract.values()
    ]
    tables += [("audit", name, _postgres_columns(cols)) for name, cols in AUDIT_TABLES.items()]
    return tables


def ensure_database(settings: PostgresSettings) -> None:
    """Create the target database when it does not exist yet."""
    try:
        admin = psycopg2.connect(**settings.connect_kwargs("postgres"))
    except psycopg2.OperationalError as err:
        raise Cx360Error(
            f"cannot connect to PostgreSQL at {settings.host}:{settings.port}: {err}".strip(),
            hint="start PostgreSQL or set CX360_PG_HOST / CX360_PG_PORT / CX360_PG_USER",
        ) from err
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", [settings.database])
            if cur.fetchone() is None:
                # another run may create it between our check and this statement
                with contextlib.suppress(pg_errors.DuplicateDatabase):
                    cur.execute(
                        sql.SQL("create database {}").format(sql.Identifier(settings.database))
                    )
    finally:
        admin.close()


def _postgres_columns_of(cur, schema: str, table: str) -> list[tuple[str, str]]:
    cur.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, table],
    )
    return list(cur.fetchall())


def _same_columns(existing: list[tuple[str, str]], wanted: list[tuple[str, str]]) -> bool:
    # information_schema spells types long-hand (numeric(18,4) -> numeric, timestamp ->
    # timestamp without time zone); names and order are what COPY relies on.
    return [name for name, _ in existing] == [name for name, _ in wanted]


def export_to_postgres(
    con: duckdb.DuckDBPyConnection,
    contract: dict[str, Table],
    changed_tables: Sequence[str],
    temp_dir: Path,
) -> list[str]:
    """Copy what changed to the database of CX360_PG_*; returns the tables copied."""
    settings = PostgresSettings.from_env()
    ensure_database(settings)
    pg = psycopg2.connect(**settings.connect_kwargs())
    copied: list[str] = []
    try:
        with pg.cursor() as cur, tempfile.TemporaryDirectory(dir=temp_dir) as scratch:
            for schema in ("raw", "audit"):
                cur.execute(
                    sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))
                )
            for schema, table, columns in export_tables(contract):
                changed = table in changed_tables or (schema == "audit" and bool(changed_tables))
                if not changed and _in_sync(con, cur, schema, table, columns):
                    continue
                _copy_table(con, cur, schema, table, columns, Path(scratch))
                copied.append(f"{schema}.{table}")
        pg.commit()
    except BaseException:
        pg.rollback()
        raise
    finally:
        pg.close()
    return copied


def _in_sync(con, cur, schema: str, table: str, columns: list[tuple[str, str]]) -> bool:
    if not _same_columns(_postgres_columns_of(cur, schema, table), columns):
        return False
    cur.execute(sql.SQL("select count(*) from {}.{}").format(*map(sql.Identifier, (schema, table))))
    pg_rows = cur.fetchone()[0]
    duck_rows = con.execute(f"select count(*) from {schema}.{quote_ident(table)}").fetchone()[0]
    return pg_rows == duck_rows


def _copy_table(
    con: duckdb.DuckDBPyConnection,
    cur,
    schema: str,
    table: str,
    columns: list[tuple[str, str]],
    scratch: Path,
) -> None:
    target = sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    if _same_columns(_postgres_columns_of(cur, schema, table), columns):
        cur.execute(sql.SQL("truncate table {}").format(target))
    else:  # absent, or built for another contract
        cur.execute(sql.SQL("drop table if exists {} cascade").format(target))
        body = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind)) for name, kind in columns
        )
        cur.execute(sql.SQL("create table {} ({})").format(target, body))
    csv_path = scratch / f"{schema}.{table}.csv"
    # NULL is written as an empty field, an empty string as "" (COPY ... csv reads them back so)
    con.execute(
        f"copy (select * from {schema}.{quote_ident(table)}) "
        f"to {quote_literal(str(csv_path))} (format csv, header true)"
    )
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    copy = sql.SQL("copy {} ({}) from stdin with (format csv, header true)").format(target, names)
    with csv_path.open("rb") as handle:
        cur.copy_expert(copy.as_string(cur), handle)
    csv_path.unlink()
