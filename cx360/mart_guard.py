"""Mart guard: a refresh may not publish marts that fell far below the last published ones.

Accepting a batch (`cx360 accept`) lets a batch through raw validation; it must not let a
broken mart through. Before publish, a few headline measures of the freshly built marts are
compared with the published file's; a drop larger than `marts_guard.max_drop_share` (10 %) of
any of them blocks the run, whatever was accepted. Measures with no published value (first
publish) are not judged.

DuckDB compares the build file with the published file; Postgres the schema dbt just built
(`marts__build`) with the published `marts` it will replace (write-audit-publish, cx360.publish).
Spark the parquet files of the build schema's tables (`marts__build.db/<table>`) with those of
the published ones (`published/current/<table>`, cx360.publish_spark), read with DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from cx360.warehouse import Warehouse
from expectations.config import load_thresholds

# measure -> SQL giving one number from the marts
MEASURES: dict[str, str] = {
    "active customers": "select count(*) from marts.customer_360 where is_active",
    "revenue (lifetime, all customers)": (
        "select coalesce(sum(revenue_lifetime), 0) from marts.customer_360"
    ),
    # KPIs that have an overall value in the last three months: what a broken import loses.
    # Not every row of fct_kpi: erasing the only customer of a shop's first years removes those
    # months (seen: 150 -> 105 monthly active_customers values on 60 customers), and a cut by
    # channel x week may rest on one customer's answers.
    "KPI coverage (KPIs with an overall value in the last 3 months)": (
        "select count(distinct kpi_name) from marts.fct_kpi where value is not null "
        "and dimension_name = 'overall' and period_grain = 'month' and period_start >= "
        "(select max(period_start) from marts.fct_kpi where period_grain = 'month') - 62"
    ),
}


@dataclass(frozen=True)
class Drop:
    measure: str
    published: float
    built: float
    limit: float

    @property
    def share(self) -> float:
        return 1 - self.built / self.published

    def describe(self) -> str:
        return (
            f"{self.measure} fell from {self.published:,.0f} (last published) to "
            f"{self.built:,.0f} ({self.share:.0%} drop), more than the {self.limit:.0%} a refresh "
            "may drop (marts_guard.max_drop_share in expectations/thresholds.yml); accepted "
            "batches do not lift this check: read the landing summary above and fix the data "
            "(e.g. a date format in cx360_sources.yml), or raise the limit if the drop is real"
        )


def _measured(con: duckdb.DuckDBPyConnection) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, sql in MEASURES.items():
        try:
            row = con.execute(sql).fetchone()
        except duckdb.CatalogException:  # a mart that is not there (first publish)
            row = None
        out[name] = float(row[0]) if row and row[0] is not None else None
    return out


def _measures(db: Path) -> dict[str, float | None]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return _measured(con)
    finally:
        con.close()


def _parquet_measures(folder: Path) -> dict[str, float | None]:
    """The measures over Spark table folders (<folder>/<table>/*.parquet), read with DuckDB."""
    con = duckdb.connect()
    try:
        con.execute("create schema marts")
        for table in sorted({_table_of(sql) for sql in MEASURES.values()}):
            files = sorted(str(p) for p in (folder / table).glob("*.parquet"))
            if files:
                listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
                con.execute(f"create view marts.{table} as select * from read_parquet([{listed}])")
        return _measured(con)
    finally:
        con.close()


def _postgres_measures(schema: str) -> dict[str, float | None]:
    import psycopg2

    from cx360.warehouse import PostgresSettings

    out: dict[str, float | None] = {}
    with psycopg2.connect(**PostgresSettings.from_env().connect_kwargs()) as con:
        cur = con.cursor()
        for name, sql in MEASURES.items():
            cur.execute("select to_regclass(%s)", [f"{schema}.{_table_of(sql)}"])
            if cur.fetchone()[0] is None:  # a mart the schema does not hold (first publish)
                out[name] = None
                continue
            cur.execute(sql.replace("marts.", f"{schema}."))
            row = cur.fetchone()
            out[name] = float(row[0]) if row and row[0] is not None else None
    return out


def _table_of(sql: str) -> str:
    return sql.split("from marts.", 1)[1].split()[0]


def mart_drops(warehouse: Warehouse) -> list[Drop]:
    """Measures of the built marts that fell more than allowed below the published ones."""
    if warehouse.target == "duckdb":
        if not warehouse.published_db.exists():
            return []
        published = _measures(warehouse.published_db)
        built = _measures(warehouse.build_db)
    elif warehouse.target == "postgres":
        published = _postgres_measures("marts")
        built = _postgres_measures("marts" + warehouse.build_schema_suffix)
    else:  # spark
        current = warehouse.spark_published_dir / "current"
        if not current.is_dir():
            return []
        published = _parquet_measures(current)
        build_schema = "marts" + warehouse.build_schema_suffix
        built = _parquet_measures(warehouse.spark_schema_dir(build_schema))
    limit = float(load_thresholds()["marts_guard"]["max_drop_share"])
    drops = []
    for name in MEASURES:
        before, after = published[name], built[name]
        if before is None or before <= 0:
            continue
        after = after or 0.0
        if after < before * (1 - limit):
            drops.append(Drop(name, before, after, limit))
    return drops
