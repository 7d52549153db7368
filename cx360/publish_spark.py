"""Publish on Spark: the validated marts replace the published ones in one atomic rename.

dbt-spark builds the BI schemas under a suffix (`marts__build`, Warehouse.build_schema_suffix,
as on Postgres), where the marts suites and the mart guard read their parquet files. Then:

1. the build's table folders (<spark>/marts__build.db/<table>) are linked (hard links: no data
   copied) into a folder of this run, <spark>/published/<run_id>/<table>;
2. <spark>/published/current, a symlink, is pointed at that folder by renaming a new symlink
   over it (os.replace, atomic). The `marts` tables are external tables located at
   published/current/<table>: every one of them reads the new build from that instant, none
   before; a query never mixes two builds' tables;
3. a Spark child process (the Derby metastore admits one JVM at a time) (re)creates the marts
   table of a table that is new, whose columns changed, or that is still the managed table of
   the layout before this one, and drops the tables no longer built. For a changed table this
   follows the swap by a moment: the one window where a reader can see new files through the old
   column list (documented in docs/operations.md);
4. the previous run folders are deleted, after step 3: a query that listed the old files before
   the swap has the Spark child's start-up (tens of seconds) to finish, and nothing of an erased
   customer outlives the publish that removed them.

A build that failed validation never reaches step 1: `current` keeps pointing at the last
validated build. Spark caches a table's file list per session: a long-lived session (a Thrift
server) sees the new build after `REFRESH TABLE marts.<table>`, as for any file-based table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
from pathlib import Path

from cx360.errors import BuildError
from cx360.warehouse import Warehouse

CURRENT = "current"
PUBLISHED_SCHEMA = "marts"


def build_tables(warehouse: Warehouse) -> dict[str, Path]:
    """The table folders dbt built in the build schema: table -> folder."""
    folder = warehouse.spark_schema_dir(PUBLISHED_SCHEMA + warehouse.build_schema_suffix)
    if not folder.is_dir():
        raise BuildError(
            f"no Spark build schema folder {folder}: nothing to publish",
            hint="run the pipeline (cx360 run --target spark): dbt builds it",
        )
    return {table.name: table for table in sorted(folder.iterdir()) if table.is_dir()}


def link_run_folder(tables: dict[str, Path], run_folder: Path) -> None:
    """Step 1: every file of every built table hard-linked under run_folder/<table> (copied
    where the filesystem has no hard links)."""
    for table, source in tables.items():
        for path in sorted(source.rglob("*")):
            target = run_folder / table / path.relative_to(source)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


def point_current_at(published_dir: Path, run_folder: Path) -> Path | None:
    """Step 2: published/current -> run_folder, atomically; returns the folder it pointed at."""
    current = published_dir / CURRENT
    previous = current.resolve() if current.is_symlink() else None
    staged = published_dir / f".{CURRENT}.{os.getpid()}"
    staged.unlink(missing_ok=True)
    staged.symlink_to(run_folder.name)  # relative: the warehouse folder may move
    os.replace(staged, current)
    return previous


def prune_run_folders(published_dir: Path, keep: set[Path]) -> list[Path]:
    """Step 4: delete the run folders other than `keep` (the current one)."""
    removed = []
    keep = {path.resolve() for path in keep}
    for folder in sorted(published_dir.iterdir()):
        if folder.is_dir() and not folder.is_symlink() and folder.resolve() not in keep:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def publish_spark(warehouse: Warehouse, run_id: str) -> tuple[Path, dict[str, int]]:
    """Steps 1-4; returns the folder published and the rows per table (`marts.<table>`)."""
    tables = build_tables(warehouse)
    if not tables:
        raise BuildError(
            "the Spark build schema holds no table: nothing to publish",
            hint="see the dbt log of this run",
        )
    published_dir = warehouse.spark_published_dir
    published_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    run_folder = published_dir / f"{stamp}-{run_id}"
    if run_folder.exists():
        shutil.rmtree(run_folder)  # a publish of this run that died before its swap
    link_run_folder(tables, run_folder)
    point_current_at(published_dir, run_folder)
    _sync_catalog_in_child(warehouse, sorted(tables))
    prune_run_folders(published_dir, {run_folder})
    return run_folder, {f"{PUBLISHED_SCHEMA}.{t}": _rows(run_folder / t) for t in tables}


def _rows(folder: Path) -> int:
    import duckdb

    files = [str(path) for path in sorted(folder.glob("*.parquet"))]
    if not files:
        return 0
    with duckdb.connect() as con:
        return int(con.execute("select count(*) from read_parquet(?)", [files]).fetchone()[0])


def _sync_catalog_in_child(warehouse: Warehouse, tables: list[str]) -> None:
    from cx360.landing.spark_export import run_spark_child

    run_spark_child(
        "cx360.publish_spark",
        [str(warehouse.root), json.dumps(tables)],
        "publish swapped the Spark marts folders in, but updating the marts table definitions",
        BuildError,
        env=warehouse.dbt_env(),
    )


def _table_definition(spark, name: str) -> tuple[str | None, str | None]:  # noqa: ANN001
    """(location, type) of a catalog table, (None, None) when it does not exist."""
    if not spark.catalog.tableExists(name):
        return None, None
    details = {
        row["col_name"]: row["data_type"]
        for row in spark.sql(f"describe table extended {name}").collect()
    }
    return details.get("Location"), details.get("Type")


def _column_types(schema) -> list[tuple[str, str]]:  # noqa: ANN001 (pyspark StructType)
    """Names and types only: an external table's columns are all nullable."""
    return [(f.name, f.dataType.simpleString()) for f in schema.fields]


def _columns_ddl(schema) -> str:  # noqa: ANN001 (pyspark StructType)
    return ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in schema.fields)


def sync_catalog(spark, warehouse: Warehouse, tables: list[str]) -> list[str]:  # noqa: ANN001
    """Step 3 (in the Spark child): marts.<table> external at published/current/<table>, with
    the build's columns, for every built table; tables no longer built dropped. Returns what
    it changed."""
    build_schema = PUBLISHED_SCHEMA + warehouse.build_schema_suffix
    current = warehouse.spark_published_dir / CURRENT
    changed = []
    spark.sql(f"create database if not exists `{PUBLISHED_SCHEMA}`")
    for table in tables:
        name = f"`{PUBLISHED_SCHEMA}`.`{table}`"
        wanted = spark.table(f"`{build_schema}`.`{table}`").schema
        location, kind = _table_definition(spark, name)
        target = f"file:{current / table}"
        if (
            location is not None
            and kind == "EXTERNAL"
            and location.rstrip("/") == target
            and _column_types(spark.table(name).schema) == _column_types(wanted)
        ):
            continue
        spark.sql(f"drop table if exists {name}")
        spark.sql(
            f"create table {name} ({_columns_ddl(wanted)}) using parquet "
            f"location '{current / table}'"
        )
        changed.append(table)
    for row in spark.sql(f"show tables in `{PUBLISHED_SCHEMA}`").collect():
        if not row["isTemporary"] and row["tableName"] not in tables:
            spark.sql(f"drop table if exists `{PUBLISHED_SCHEMA}`.`{row['tableName']}`")
            changed.append(f"-{row['tableName']}")
    return changed


def _child_main(argv: list[str]) -> int:
    from cx360.landing.spark_export import spark_session

    warehouse = Warehouse(Path(argv[0]), "spark")
    spark = spark_session(warehouse)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        print(json.dumps(sync_catalog(spark, warehouse, json.loads(argv[1]))))
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
