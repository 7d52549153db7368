"""Publish: atomically replace the published DuckDB file with the build's marts + audit.

Write-audit-publish's last step. The copy is written to a new file next to the published one,
checkpointed, closed and fsynced, then moved over it with os.replace(), which is atomic on one
filesystem: a reader opening <warehouse>/cx360.duckdb (read-only) sees the old file or the new
one, never a half-written one. If anything fails before the rename, the new file is deleted and
the published file is byte-for-byte what it was.

Postgres and Spark targets have no file to publish: dbt builds their `marts` schema in place,
so for them "published" means "dbt build and validation succeeded" (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx360.erasure import published_row_filters
from cx360.errors import BuildError
from cx360.landing.casting import quote_literal
from cx360.warehouse import Warehouse, duckdb_memory_limit

PUBLISHED_SCHEMAS = ("marts", "audit")

PUBLISH_LOG_DDL = """
    create table if not exists audit.publish_log (
        run_id varchar,
        published_at timestamp,
        validation_passed boolean,
        table_name varchar,
        row_count bigint
    )
"""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    run_id: str
    published_at: dt.datetime
    row_counts: dict[str, int]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _orphaned_staging_files(published: Path) -> list[Path]:
    """Staging files (and WALs) of publishes whose process is gone: safe to delete."""
    orphans = []
    for path in published.parent.glob(f"{published.name}.publishing-*"):
        pid_text = path.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            orphans.append(path)
        except PermissionError:  # alive, another user's
            continue
    return orphans


def _copy_schemas(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy every table and view of the published schemas from the attached `build` db as
    tables (a view would point back into the build file)."""
    row_counts: dict[str, int] = {}
    relations = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = 'build' and list_contains(?, table_schema)
        order by table_schema, table_name
        """,
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    for schema in PUBLISHED_SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    # Right to erasure: the landing quarantine is not built by dbt, so it is filtered here.
    all_tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'build'"
    ).fetchall()
    filters = published_row_filters({(s, t) for s, t in all_tables})
    for schema, table in relations:
        qualified = f"{schema}.{_quote(table)}"
        where = filters.get((schema, table))
        condition = f" as q where {where}" if where else ""
        con.execute(f"create table {qualified} as select * from build.{qualified}{condition}")
        (count,) = con.execute(f"select count(*) from {qualified}").fetchone()
        row_counts[f"{schema}.{table}"] = int(count)
    return row_counts


def publish(warehouse: Warehouse, run_id: str, *, validation_passed: bool) -> PublishResult:
    """Replace warehouse.published_db with the build's `marts` and `audit` schemas.

    Refuses when validation did not pass: the caller must not even ask, but the publish log
    then never holds a row with validation_passed = false by accident.
    """
    if warehouse.target != "duckdb":
        raise BuildError(
            f"publish copies a DuckDB build; target {warehouse.target} serves its marts schema "
            "in place",
            hint="see docs/operations.md, section Targets",
        )
    if not validation_passed:
        raise BuildError(
            "refusing to publish: validation did not pass",
            hint="fix the failing checks (see audit.validation_results), then run again",
        )
    if not warehouse.build_db.exists():
        raise BuildError(f"no build database at {warehouse.build_db}", hint="run dbt build first")

    published = warehouse.published_db
    staging_file = published.with_name(f"{published.name}.publishing-{os.getpid()}")
    leftovers = [staging_file, staging_file.with_name(staging_file.name + ".wal")]
    _remove(leftovers)  # a crashed earlier attempt by this pid
    _remove(_orphaned_staging_files(published))  # publishes killed mid-copy (SIGKILL, crash)
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        con = duckdb.connect(str(staging_file))
        try:
            # BI reads tables, not row order: lets DuckDB copy each table on every thread
            con.execute("set preserve_insertion_order = false")
            con.execute(f"set memory_limit = {quote_literal(duckdb_memory_limit())}")
            con.execute(f"set temp_directory = {quote_literal(str(warehouse.temp_dir))}")
            con.execute(f"attach {quote_literal(str(warehouse.build_db))} as build (read_only)")
            row_counts = _copy_schemas(con)
            con.execute("detach build")
            con.execute(PUBLISH_LOG_DDL)
            con.executemany(
                "insert into audit.publish_log values (?, ?, ?, ?, ?)",
                [(run_id, published_at, True, t, n) for t, n in row_counts.items()],
            )
            con.execute("checkpoint")
        finally:
            con.close()
        _fsync(staging_file)
        os.replace(staging_file, published)
        _fsync(published.parent)
    except BaseException as err:
        _remove(leftovers)
        if isinstance(err, duckdb.Error | OSError):
            raise BuildError(
                f"publish failed, {published} left unchanged: {err}",
                hint="check free disk space and that nothing holds the build file open",
            ) from err
        raise
    _remember_publish(warehouse, run_id, published_at, row_counts)
    return PublishResult(published, run_id, published_at, row_counts)


def _remember_publish(
    warehouse: Warehouse, run_id: str, published_at: dt.datetime, row_counts: dict[str, int]
) -> None:
    """Keep the publish history in the build db too, so the next publish carries it forward."""
    con = duckdb.connect(str(warehouse.build_db))
    try:
        con.execute("create schema if not exists audit")
        con.execute(PUBLISH_LOG_DDL)
        con.executemany(
            "insert into audit.publish_log values (?, ?, ?, ?, ?)",
            [(run_id, published_at, True, t, n) for t, n in row_counts.items()],
        )
    finally:
        con.close()
