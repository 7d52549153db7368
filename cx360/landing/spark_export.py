"""Copy the landed raw and audit tables from the DuckDB landing database into Spark tables.

DuckDB writes each table to parquet; a child Python process (this module's `main`) starts a
local Spark session with the same warehouse folder and Derby metastore as dbt-spark's session
method (profiles.yml), and saves the files as tables of the databases `raw` and `audit`.

Why a child process: an embedded Derby metastore admits one JVM at a time, and a JVM keeps it
open until it exits. Running Spark in its own process releases it before dbt starts.

A table is copied when a batch of it landed in this run, when Spark lacks it, or when its
DuckDB fingerprint (row count, last load time) differs from the one recorded at the last copy.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from cx360.contract import SPARK_TYPES, Table
from cx360.errors import Cx360Error
from cx360.landing.casting import quote_ident, quote_literal
from cx360.landing.duckdb_loader import AUDIT_TABLES, LINEAGE_COLUMNS
from cx360.settings import setting
from cx360.warehouse import Warehouse

STATE_FILE = "_cx360_landing_state.json"  # in the Spark warehouse folder
_DUCKDB_TO_SPARK = {"VARCHAR": "string", "BIGINT": "bigint", "TIMESTAMP": "timestamp"}
_LOAD_TIME_COLUMN = {
    "landed_batches": "landed_at",
    "landing_quarantine": "quarantined_at",
    "landing_field_issues": "recorded_at",
}


def _spark_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, _DUCKDB_TO_SPARK[kind]) for name, kind in columns]


def export_tables(contract: dict[str, Table]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(database, table, [(column, spark type)]) of everything landing writes."""
    tables = [
        (
            "raw",
            table.name,
            [(c.name, SPARK_TYPES[c.type]) for c in table.columns]
            + _spark_columns(list(LINEAGE_COLUMNS)),
        )
        for table in contract.values()
    ]
    tables += [("audit", name, _spark_columns(list(cols))) for name, cols in AUDIT_TABLES.items()]
    return tables


def _fingerprint(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    load_time = _LOAD_TIME_COLUMN.get(table, "_loaded_at")
    rows, last = con.execute(
        f"select count(*), cast(max({load_time}) as varchar) from {schema}.{quote_ident(table)}"
    ).fetchone()
    return f"{rows}@{last}"


def export_to_spark(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    contract: dict[str, Table],
    changed_tables: list[str],
) -> list[str]:
    """Copy what changed into the Spark warehouse of `warehouse`; returns the tables copied."""
    spark_dir = warehouse.spark_dir
    spark_dir.mkdir(parents=True, exist_ok=True)
    state_path = spark_dir / STATE_FILE
    state: dict[str, str] = json.loads(state_path.read_text()) if state_path.exists() else {}
    staging = warehouse.root / "landing" / "spark_export"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    jobs = []
    fingerprints: dict[str, str] = {}
    for schema, table, columns in export_tables(contract):
        qualified = f"{schema}.{table}"
        fingerprints[qualified] = _fingerprint(con, schema, table)
        changed = table in changed_tables or (schema == "audit" and bool(changed_tables))
        present = (spark_dir / f"{schema}.db" / table).is_dir()
        if not changed and present and state.get(qualified) == fingerprints[qualified]:
            continue
        parquet = staging / f"{qualified}.parquet"
        con.execute(
            f"copy (select * from {schema}.{quote_ident(table)}) "
            f"to {quote_literal(str(parquet))} (format parquet)"
        )
        jobs.append({"database": schema, "table": table, "path": str(parquet), "columns": columns})
    if jobs:
        spec = staging / "jobs.json"
        spec.write_text(json.dumps({"warehouse_root": str(warehouse.root), "jobs": jobs}))
        _run_child(spec)
        for job in jobs:
            state[f"{job['database']}.{job['table']}"] = fingerprints[
                f"{job['database']}.{job['table']}"
            ]
        state_path.write_text(json.dumps(state, indent=2, sort_keys=True))
    shutil.rmtree(staging, ignore_errors=True)
    return [f"{job['database']}.{job['table']}" for job in jobs]


def _run_child(spec: Path) -> None:
    run_spark_child(
        "cx360.landing.spark_export", [str(spec)], "copying the landed tables to Spark", Cx360Error
    )


def run_spark_child(
    module: str,
    args: list[str],
    what: str,
    error: type[Cx360Error],
    env: dict[str, str] | None = None,
) -> str:
    """`python -m module args` in a child process, which starts its own Spark session, and its
    standard output. Spark work runs in a child because the embedded Derby metastore admits one
    JVM at a time and a JVM holds it until it exits, so dbt-spark can open it afterwards. A
    failure raises `error` saying `what` failed, with the last lines the child printed."""
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env={**(env or os.environ), "PYSPARK_PYTHON": sys.executable},
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise error(
            f"{what} failed:\n{tail}",
            hint="check Java (java -version) and that no other Spark/dbt process holds the "
            "Derby metastore of this warehouse (one process at a time)",
        )
    return result.stdout


def spark_session(warehouse: Warehouse):  # -> pyspark.sql.SparkSession (imported lazily)
    """A local Spark session configured like dbt-spark's session target (profiles.yml)."""
    from pyspark.sql import SparkSession

    spark_dir = warehouse.spark_dir
    java_options = f"-Dderby.system.home={spark_dir} {setting('CX360_SPARK_JAVA_OPTIONS')}"
    return (
        SparkSession.builder.appName("cx360-landing")
        .master("local[2]")
        .config("spark.sql.warehouse.dir", str(spark_dir))
        .config("spark.hadoop.javax.jdo.option.ConnectionURL", warehouse.spark_metastore_url)
        .config("spark.driver.extraJavaOptions", java_options.strip())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .enableHiveSupport()
        .getOrCreate()
    )


def main(argv: list[str] | None = None) -> int:
    """Child process: save the parquet files listed in a jobs file as Spark tables."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("spec", type=Path, help="jobs.json written by export_to_spark")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text())
    warehouse = Warehouse(Path(spec["warehouse_root"]), "spark")
    spark = spark_session(warehouse)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        from pyspark.sql import functions as F  # noqa: N812

        for database in sorted({job["database"] for job in spec["jobs"]}):
            spark.sql(f"create database if not exists `{database}`")
        for job in spec["jobs"]:
            frame = spark.read.parquet(job["path"])
            # DuckDB's TIMESTAMP reads back as TIMESTAMP_NTZ: cast to the contract's Spark types
            typed = frame.select(
                *[F.col(f"`{name}`").cast(kind).alias(name) for name, kind in job["columns"]]
            )
            typed.write.mode("overwrite").format("parquet").saveAsTable(
                f"`{job['database']}`.`{job['table']}`"
            )
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
