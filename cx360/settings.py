"""Environment settings and their defaults, in one place.

Every CX360_* variable cx360's Python code reads is read through `setting()`, with its default
here. dbt reads the same variables in profiles.yml; cx360 passes each one it uses explicitly to
dbt (Warehouse.dbt_env), so profiles.yml's own defaults only serve dbt run by hand.
"""

from __future__ import annotations

import os

DEFAULTS: dict[str, str] = {
    "CX360_RAW_DIR": "data/sample",  # raw folder the Dagster code location lands from
    "CX360_WAREHOUSE_DIR": "warehouse",  # warehouse folder (build, published file, lease)
    "CX360_TARGET": "duckdb",  # engine dbt builds on: duckdb | postgres | spark
    # DuckDB memory_limit of every writer; unset, each process would take 80 % of the machine
    # (at 10 M customers publish did, and was killed: docs/benchmarks.md)
    "CX360_MEMORY_LIMIT": "6GB",
    "CX360_THREADS": "2",  # dbt threads on every target
    # a batch file modified less than this many seconds ago is re-checked for changes
    # (cx360/landing/discovery.py)
    "CX360_SETTLE_SECONDS": "1",
    "CX360_PG_HOST": "127.0.0.1",
    "CX360_PG_PORT": "5432",
    "CX360_PG_USER": "postgres",
    "CX360_PG_PASSWORD": "",
    "CX360_PG_DATABASE": "cx360",
    # Extra JVM options of the local Spark driver (profiles.yml and
    # cx360.landing.spark_export.spark_session read the same). The test suite sets Derby's
    # metastore log to skip fsync there (tests/conftest.py); production keeps it durable.
    "CX360_SPARK_JAVA_OPTIONS": "",
}


def setting(name: str) -> str:
    """The value of a CX360_* setting: the environment's, else the default above."""
    return os.environ.get(name, DEFAULTS[name])
