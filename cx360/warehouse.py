"""Where things live: the project, the warehouse folder and its files, the dbt environment.

One warehouse directory holds everything cx360 writes for a target:

    <warehouse>/build/cx360_build.duckdb   dbt's working database (raw, staging, intermediate,
                                           marts, audit, reference). Only the pipeline writes it.
    <warehouse>/build/tmp/                 DuckDB spill folder
    <warehouse>/landing/<target>.duckdb    landing database for postgres/spark targets, whose raw
                                           tables are then copied to the engine
    <warehouse>/cx360.duckdb               the PUBLISHED database BI reads: schemas marts + audit,
                                           replaced atomically, only after validation passed
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cx360.settings import setting

PROJECT_DIR = Path(__file__).resolve().parent.parent  # holds dbt_project.yml and profiles.yml
TARGETS = ("duckdb", "postgres", "spark")


def duckdb_memory_limit() -> str:
    """DuckDB memory_limit for every cx360 process that writes (landing, dbt via profiles.yml,
    publish): CX360_MEMORY_LIMIT, default 6GB. Unset, DuckDB would take 80 % of the machine in
    each process; at 10 M customers publish did, next to the marts validation, and the kernel
    killed it (docs/benchmarks.md)."""
    return setting("CX360_MEMORY_LIMIT")


def dbt_threads() -> int:
    """dbt threads on every target: CX360_THREADS, default 2 (profiles.yml reads the same
    variable with the same default; this is for reports that state what a run used)."""
    return int(setting("CX360_THREADS"))


@dataclass(frozen=True)
class Warehouse:
    root: Path
    target: str = "duckdb"

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; expected one of {TARGETS}")

    @property
    def build_db(self) -> Path:
        return self.root / "build" / "cx360_build.duckdb"

    @property
    def temp_dir(self) -> Path:
        return self.root / "build" / "tmp"

    @property
    def published_db(self) -> Path:
        return self.root / "cx360.duckdb"

    @property
    def landing_db(self) -> Path:
        """DuckDB file raw data is landed into. For duckdb it is the build database itself."""
        if self.target == "duckdb":
            return self.build_db
        return self.root / "landing" / f"{self.target}.duckdb"

    @property
    def spark_dir(self) -> Path:
        return self.root / "spark"

    @property
    def spark_metastore_url(self) -> str:
        """JDBC URL of the embedded Derby metastore that Spark landing and dbt-spark share.

        profiles.yml builds the same URL from CX360_SPARK_WAREHOUSE (= spark_dir)."""
        return f"jdbc:derby:;databaseName={self.spark_dir}/metastore_db;create=true"

    @property
    def spark_published_dir(self) -> Path:
        """Validated Spark marts, one folder per published run; `current` points at the one the
        marts tables read (cx360.publish_spark)."""
        return self.spark_dir / "published"

    @property
    def build_schema_suffix(self) -> str:
        """Suffix of the schemas BI reads while they are built and validated (write-audit-
        publish: dbt builds `marts__build`; on Postgres cx360.publish swaps the schema in as
        `marts`, on Spark cx360.publish_spark swaps its table folders in). DuckDB builds into
        a separate file: no suffix."""
        return "__build" if self.target in ("postgres", "spark") else ""

    def spark_schema_dir(self, schema: str) -> Path:
        """Folder of a Spark database's managed tables (dbt-spark, file_format parquet)."""
        return self.spark_dir / f"{schema}.db"

    def ensure_dirs(self) -> None:
        for folder in (self.build_db.parent, self.temp_dir, self.landing_db.parent):
            folder.mkdir(parents=True, exist_ok=True)

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt invocation against this warehouse (see profiles.yml)."""
        import os

        pg = PostgresSettings.from_env()
        env = {
            "CX360_TARGET": self.target,
            "CX360_WAREHOUSE_DIR": str(self.root),
            "CX360_SPARK_WAREHOUSE": str(self.spark_dir),
            "CX360_THREADS": str(dbt_threads()),
            "CX360_MEMORY_LIMIT": duckdb_memory_limit(),
            "CX360_PG_HOST": pg.host,
            "CX360_PG_PORT": str(pg.port),
            "CX360_PG_USER": pg.user,
            "CX360_PG_PASSWORD": pg.password,
            "CX360_PG_DATABASE": pg.database,
            "CX360_SPARK_JAVA_OPTIONS": setting("CX360_SPARK_JAVA_OPTIONS"),
            # macros/generate_schema_name.sql: where the BI-readable schemas are built
            "CX360_BUILD_SCHEMA_SUFFIX": self.build_schema_suffix,
        }
        return {**os.environ, **env}


@dataclass(frozen=True)
class PostgresSettings:
    """PostgreSQL connection of the postgres target, from CX360_PG_* (as in profiles.yml)."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def from_env(cls) -> PostgresSettings:
        return cls(
            host=setting("CX360_PG_HOST"),
            port=int(setting("CX360_PG_PORT")),
            user=setting("CX360_PG_USER"),
            password=setting("CX360_PG_PASSWORD"),
            database=setting("CX360_PG_DATABASE"),
        )

    def connect_kwargs(self, database: str | None = None) -> dict[str, str | int]:
        """Keyword arguments for psycopg2.connect (another database, e.g. `postgres`, if given)."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "dbname": database or self.database,
        }
