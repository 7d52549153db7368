"""Publish: atomically replace the published DuckDB file with the build's marts + audit.

Write-audit-publish's last step. The copy is written to a new file next to the published one,
checkpointed, closed and fsynced, then moved over it with os.replace(), which is atomic on one
filesystem: a reader opening <warehouse>/cx360.duckdb (read-only) sees the old file or the new
one, never a half-written one. If anything fails before the rename, the new file is deleted and
the published file is byte-for-byte what it was.

Postgres has no file to publish: dbt builds the schemas BI reads under a suffix (`marts__build`,
Warehouse.build_schema_suffix), the marts suites validate them there, and publish_postgres()
swaps them in with ALTER SCHEMA ... RENAME in one transaction that also grants BI usage, so a
BI query sees the whole old marts or the whole new ones, never a mix and never a denial. A
build that failed validation is never swapped in. Spark: dbt builds `marts__build` too and
cx360.publish_spark swaps its table folders in behind one symlink (see docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx360.erasure import published_row_filters
from cx360.errors import BuildError
from cx360.landing.casting import quote_literal
from cx360.warehouse import PROJECT_DIR, PostgresSettings, Warehouse, duckdb_memory_limit

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
    path: Path | str  # the published file (DuckDB) or the database (Postgres)
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
    """Replace warehouse.published_db with the build's `marts` and `audit` schemas (DuckDB), or
    swap the validated build schemas in (Postgres, publish_postgres).

    Refuses when validation did not pass: the caller must not even ask, but the publish log
    then never holds a row with validation_passed = false by accident.
    """
    if not validation_passed:
        raise BuildError(
            "refusing to publish: validation did not pass",
            hint="fix the failing checks (see audit.validation_results), then run again",
        )
    if warehouse.target == "postgres":
        return publish_postgres(warehouse, run_id)
    if warehouse.target == "spark":
        from cx360.publish_spark import publish_spark

        folder, files = publish_spark(warehouse, run_id)
        return PublishResult(folder, run_id, dt.datetime.now(dt.UTC).replace(tzinfo=None), files)
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


# ---------------------------------------------------------------------------------------------
# Postgres: swap the validated build schemas in

# The schema a swap moves the old published one to; dropped right after the swap.
PREVIOUS_SUFFIX = "__previous"
# The swap locks every published table (ACCESS EXCLUSIVE) so no BI statement can have read one
# old table and then read a new one. Each attempt waits at most this long, below Postgres'
# deadlock_timeout (1 s): a BI query that holds one table and waits for another is never
# aborted as a deadlock victim; the publish retries instead.
SWAP_LOCK_TIMEOUT = "200ms"
# How long publish keeps retrying while BI queries hold the published tables.
SWAP_PATIENCE_SECONDS = 120.0


def _project_var(name: str) -> object:
    """A var declared in dbt_project.yml (the one place bi_role and the BI schemas are set)."""
    import yaml

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"][name]


def _pg_relations(cur, schema: str) -> list[str]:  # noqa: ANN001 (psycopg2 cursor)
    cur.execute(
        "select c.relname from pg_class as c join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relkind in ('r', 'v', 'm', 'p') order by c.relname",
        [schema],
    )
    return [name for (name,) in cur.fetchall()]


def _pg_schema_exists(cur, schema: str) -> bool:  # noqa: ANN001
    cur.execute("select exists (select from pg_namespace where nspname = %s)", [schema])
    return bool(cur.fetchone()[0])


def publish_postgres(warehouse: Warehouse, run_id: str) -> PublishResult:
    """Swap the validated `<schema>__build` schemas in as the schemas BI reads.

    One transaction: lock the published tables, grant BI usage on the build schemas (their
    tables' select grants come from the dbt hook), rename published -> `<schema>__previous`
    and build -> published, log the publish. Then the previous schemas are dropped. On any
    failure the transaction rolls back and BI keeps reading what it read.
    """
    import psycopg2
    from psycopg2 import errors as pg_errors
    from psycopg2 import sql

    suffix = warehouse.build_schema_suffix
    role = str(_project_var("bi_role"))
    schemas = [str(s) for s in _project_var("bi_readable_schemas")]  # type: ignore[union-attr]
    settings = PostgresSettings.from_env()
    published_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    where = f"database {settings.database} on {settings.host}:{settings.port}"
    try:
        con = psycopg2.connect(**settings.connect_kwargs())
    except psycopg2.Error as err:
        raise BuildError(f"publish cannot reach {where}: {err}", hint="is Postgres up?") from err
    try:
        with con.cursor() as cur:
            row_counts: dict[str, int] = {}
            for schema in schemas:
                built = schema + suffix
                if not _pg_schema_exists(cur, built):
                    raise BuildError(
                        f"no build schema {built} in {where}: nothing to publish",
                        hint="run the pipeline (cx360 run --target postgres): dbt builds it",
                    )
                for table in _pg_relations(cur, built):
                    cur.execute(
                        sql.SQL("select count(*) from {}.{}").format(
                            sql.Identifier(built), sql.Identifier(table)
                        )
                    )
                    row_counts[f"{schema}.{table}"] = int(cur.fetchone()[0])
                # a publish that died between its swap and this drop
                cur.execute(
                    sql.SQL("drop schema if exists {} cascade").format(
                        sql.Identifier(schema + PREVIOUS_SUFFIX)
                    )
                )
            con.commit()
            _swap(con, schemas, suffix, role, run_id, published_at, row_counts)
            with con.cursor() as drop:
                for schema in schemas:
                    drop.execute(
                        sql.SQL("drop schema if exists {} cascade").format(
                            sql.Identifier(schema + PREVIOUS_SUFFIX)
                        )
                    )
            con.commit()
    except pg_errors.Error as err:
        con.rollback()
        raise BuildError(
            f"publish failed, the published schemas in {where} are unchanged: {err}",
            hint="check the Postgres log; run again once the cause is fixed",
        ) from err
    finally:
        con.close()
    return PublishResult(where, run_id, published_at, row_counts)


def _swap(  # noqa: PLR0913 (one transaction, its inputs)
    con,  # noqa: ANN001 (psycopg2 connection)
    schemas: Sequence[str],
    suffix: str,
    role: str,
    run_id: str,
    published_at: dt.datetime,
    row_counts: dict[str, int],
) -> None:
    from psycopg2 import errors as pg_errors
    from psycopg2 import sql

    deadline = time.monotonic() + SWAP_PATIENCE_SECONDS
    while True:
        try:
            with con.cursor() as cur:
                cur.execute(f"set local lock_timeout = '{SWAP_LOCK_TIMEOUT}'")
                published = [
                    sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                    for schema in schemas
                    for table in _pg_relations(cur, schema)
                ]
                if published:
                    cur.execute(
                        sql.SQL("lock table {} in access exclusive mode").format(
                            sql.SQL(", ").join(published)
                        )
                    )
                for schema in schemas:
                    built = sql.Identifier(schema + suffix)
                    cur.execute(
                        sql.SQL("grant usage on schema {} to {}").format(
                            built, sql.Identifier(role)
                        )
                    )
                    if _pg_schema_exists(cur, schema):
                        cur.execute(
                            sql.SQL("alter schema {} rename to {}").format(
                                sql.Identifier(schema), sql.Identifier(schema + PREVIOUS_SUFFIX)
                            )
                        )
                    cur.execute(
                        sql.SQL("alter schema {} rename to {}").format(
                            built, sql.Identifier(schema)
                        )
                    )
                cur.execute("create schema if not exists audit")
                cur.execute(PUBLISH_LOG_DDL)
                cur.executemany(
                    "insert into audit.publish_log values (%s, %s, %s, %s, %s)",
                    [(run_id, published_at, True, t, n) for t, n in row_counts.items()],
                )
            con.commit()
            return
        except pg_errors.LockNotAvailable as err:
            con.rollback()
            if time.monotonic() > deadline:
                raise BuildError(
                    f"publish waited {SWAP_PATIENCE_SECONDS:.0f} s for BI queries to release "
                    "the published tables; nothing was swapped",
                    hint="run again when the long BI queries are done",
                ) from err
            time.sleep(0.05)
