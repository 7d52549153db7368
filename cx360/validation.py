"""Validate a warehouse with the Great Expectations suites of expectations/.

Raw tables and batch volumes are read from the landing database (DuckDB for every target);
marts from the build database (DuckDB), on Postgres through GX's SQL datasource in the build
schema, on Spark from the marts tables' parquet files.

A raw batch is validated once: after it passed (or an operator accepted it with
`cx360 accept`), it is recorded in audit.validated_batches / audit.accepted_batches and is not
judged again. A batch that failed stays "under audit" and blocks every later run until it is
fixed and re-landed (new content = new sha256 = a new batch to judge) or accepted.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from great_expectations.data_context import AbstractDataContext

from cx360.contract import load_contract
from cx360.errors import Cx360Error
from cx360.landing.loss import TableLoss, field_notes, landing_loss
from cx360.mart_guard import mart_drops
from cx360.warehouse import PostgresSettings, Warehouse
from expectations.config import load_thresholds
from expectations.context import build_context, build_data_docs
from expectations.marts import (
    CUSTOMER_360,
    FCT_KPI,
    MART_TABLES,
    customer_360_suite,
    fct_kpi_suite,
)
from expectations.raw_sources import raw_checks, raw_suite
from expectations.results import SuiteOutcome, columns_read_by, run_suite, run_suite_on_frame
from expectations.volume import volume_suite

AUDIT_DDL = (
    "create schema if not exists audit",
    """create table if not exists audit.accepted_batches (
        table_name varchar, batch_name varchar, content_sha256 varchar,
        accepted_at timestamp, accepted_by varchar, reason varchar)""",
    """create table if not exists audit.validated_batches (
        table_name varchar, batch_name varchar, content_sha256 varchar,
        run_id varchar, validated_at timestamp)""",
    """create table if not exists audit.validation_results (
        run_id varchar, validated_at timestamp, suite_name varchar, asset_name varchar,
        expectation_type varchar, column_name varchar, success boolean,
        unexpected_count bigint, unexpected_percent double, observed_value varchar,
        examples varchar, rows_validated bigint)""",
)

# Batches landed but not yet judged: neither validated nor accepted with the same content.
PENDING_BATCHES_SQL = """
    select lb.batch_name, lb.content_sha256
    from audit.landed_batches as lb
    where lb.table_name = $table
      and not exists (
        select 1 from audit.validated_batches as vb
        where vb.batch_name = lb.batch_name and vb.content_sha256 = lb.content_sha256)
      and not exists (
        select 1 from audit.accepted_batches as ab
        where ab.batch_name = lb.batch_name and ab.content_sha256 = lb.content_sha256)
    order by lb.batch_name
"""

# Each batch next to the median of the batches before it (lexical order = time order).
VOLUME_SQL = """
    with batches as (
        select
            batch_name,
            rows_read,
            rows_quarantined,
            rows_quarantined / nullif(rows_read, 0)::double as quarantined_share
        from audit.landed_batches
        where table_name = $table
    ),
    with_history as (
        select
            b.*,
            (select count(*) from (
                select 1 from batches as h where h.batch_name < b.batch_name
                order by h.batch_name desc limit $history)) as history_batches,
            (select median(rows_read) from (
                select rows_read from batches as h where h.batch_name < b.batch_name
                order by h.batch_name desc limit $history)) as baseline_rows,
            (select median(quarantined_share) from (
                select quarantined_share from batches as h where h.batch_name < b.batch_name
                order by h.batch_name desc limit $history)) as baseline_share
        from batches as b
    )
    select
        $table as table_name,
        batch_name,
        rows_read,
        rows_quarantined,
        quarantined_share,
        baseline_rows,
        baseline_share,
        case when history_batches >= $min_history and baseline_rows >= $min_baseline_rows
            then rows_read / baseline_rows end as row_ratio,
        case when history_batches >= $min_history and rows_read >= $min_rows_for_share
            then quarantined_share - baseline_share end as share_increase,
        case when rows_read >= $min_rows_for_share then quarantined_share end as judged_share
    from with_history
    where batch_name in (select unnest($pending))
    order by batch_name
"""


@dataclass
class ValidationReport:
    """Everything one validation step found. `passed` is what gates publish."""

    run_id: str
    outcomes: list[SuiteOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    losses: list[TableLoss] = field(default_factory=list)  # tables over the loss limit
    blocking: list[str] = field(default_factory=list)  # other blocking findings (mart guard)

    @property
    def passed(self) -> bool:
        return not self.losses and not self.blocking and all(o.success for o in self.outcomes)

    @property
    def failed(self) -> list[SuiteOutcome]:
        return [o for o in self.outcomes if not o.success]

    def describe_failures(self) -> str:
        losses = [loss.describe() for loss in self.losses]
        return "\n".join(losses + self.blocking + [o.describe_failures() for o in self.failed])

    def extend(self, other: ValidationReport) -> None:
        self.outcomes += other.outcomes
        self.notes += other.notes
        self.losses += other.losses
        self.blocking += other.blocking


def data_docs_dir(warehouse: Warehouse) -> Path:
    return warehouse.root / "data_docs"


def new_context(warehouse: Warehouse) -> AbstractDataContext:
    return build_context(data_docs_dir(warehouse))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _connect_landing(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    if not warehouse.landing_db.exists():
        raise Cx360Error(
            f"no landed data in {warehouse.landing_db}",
            hint="land a raw folder first: cx360 land --raw-dir <folder> (or cx360 run)",
        )
    con = duckdb.connect(str(warehouse.landing_db))
    for statement in AUDIT_DDL:
        con.execute(statement)
    return con


# ---------------------------------------------------------------------------------------------
# raw tables and batch volumes


def pending_batches(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [tuple(row) for row in con.execute(PENDING_BATCHES_SQL, {"table": table}).fetchall()]


def raw_frame(
    con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], batches: Sequence[str]
) -> pd.DataFrame:
    """The rows of `batches` the raw suite reads, vocabularies normalised as staging does,
    sampled deterministically down to `raw.sample_rows`."""
    checks = raw_checks(load_contract()[table])
    selected = ", ".join(
        f'lower(trim("{c}")) as "{c}"' if c in checks.vocabularies else f'"{c}"' for c in columns
    )
    sample_rows = int(load_thresholds()["raw"]["sample_rows"])
    sql = f"""
        select * from (
            select {selected} from raw."{table}"
            where _batch_name in (select unnest($batches))
        ) using sample reservoir({sample_rows} rows) repeatable (42)
    """
    return con.execute(sql, {"batches": list(batches)}).df()


def volume_frame(
    con: duckdb.DuckDBPyConnection, table: str, batches: Sequence[str]
) -> pd.DataFrame:
    limits = load_thresholds()["volume"]
    params = {
        "table": table,
        "pending": list(batches),
        "history": int(limits["history_batches"]),
        "min_history": int(limits["min_history_batches"]),
        "min_baseline_rows": float(limits["min_baseline_rows"]),
        "min_rows_for_share": int(limits["min_rows_for_share"]),
    }
    return con.execute(VOLUME_SQL, params).df()


def _validate_raw_table(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    table: str,
    run_id: str,
    now: dt.datetime,
    report: ValidationReport,
) -> list[SuiteOutcome]:
    pending = pending_batches(con, table)
    if not pending:
        return []
    names = [name for name, _ in pending]
    # landing's loss first: it names the column, the values and the fix
    contract_table = load_contract()[table]
    loss = landing_loss(con, contract_table, names, load_thresholds()["landing"])
    if loss:
        report.losses.append(loss)
    report.notes += field_notes(con, contract_table, names)
    checks = raw_checks(load_contract()[table])
    frame = raw_frame(con, table, checks.columns, names)
    outcomes = [
        run_suite_on_frame(context, raw_suite(checks, now), frame, asset=f"raw.{table}"),
        run_suite_on_frame(
            context,
            volume_suite(table),
            volume_frame(con, table, names),
            asset=f"volume.{table}",
            index_columns=["batch_name"],
        ),
    ]
    if not loss and all(o.success for o in outcomes):
        con.executemany(
            "insert into audit.validated_batches values (?, ?, ?, ?, ?)",
            [(table, name, sha, run_id, now) for name, sha in pending],
        )
    return outcomes


def validate_raw(
    warehouse: Warehouse,
    run_id: str,
    *,
    tables: Iterable[str] | None = None,
    context: AbstractDataContext | None = None,
) -> ValidationReport:
    """Judge every batch under audit of `tables` (default: all contract tables)."""
    context = context or new_context(warehouse)
    report = ValidationReport(run_id)
    now = _now()
    con = _connect_landing(warehouse)
    try:
        for table in tables or load_contract():
            report.outcomes += _validate_raw_table(con, context, table, run_id, now, report)
        _record(con, run_id, report.outcomes, now, warehouse)
    finally:
        con.close()
    build_data_docs(context)
    return report


# ---------------------------------------------------------------------------------------------
# marts


def postgres_url() -> str:
    """SQLAlchemy URL of the Postgres database dbt builds into (same env vars as profiles.yml)."""
    pg = PostgresSettings.from_env()
    auth = f"{pg.user}:{pg.password}" if pg.password else pg.user
    return f"postgresql+psycopg2://{auth}@{pg.host}:{pg.port}/{pg.database}"


MART_SUITES = {CUSTOMER_360: customer_360_suite, FCT_KPI: fct_kpi_suite}


def _mart_frame_duckdb(warehouse: Warehouse, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """The mart's `columns` (those its suite reads) as a pandas frame; every row."""
    selected = ", ".join(f'"{c}"' for c in columns) or "1 as no_column_checked"
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        return con.execute(f"select {selected} from marts.{table}").df()
    except duckdb.CatalogException as err:
        raise Cx360Error(
            f"mart {table} is missing from {warehouse.build_db}: {err}",
            hint="dbt build must succeed before validation; see the dbt log",
        ) from err
    finally:
        con.close()


def _mart_frame_spark(warehouse: Warehouse, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """A built (not yet published) Spark mart's `columns` as a pandas frame, read from the
    table's parquet files in the build schema's folder (dbt-spark's managed tables, file_format
    parquet) with DuckDB: no second JVM, which the embedded Derby metastore would refuse while
    another holds it."""
    folder = warehouse.spark_schema_dir("marts" + warehouse.build_schema_suffix) / table
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise Cx360Error(
            f"mart {table} has no parquet files in {folder}",
            hint="dbt build must succeed before validation; see the dbt log",
        )
    selected = ", ".join(f'"{c}"' for c in columns) or "1 as no_column_checked"
    con = duckdb.connect()
    try:
        return con.execute(
            f"select {selected} from read_parquet(?)", [[str(f) for f in files]]
        ).df()
    finally:
        con.close()


def _expected_customers(warehouse: Warehouse) -> tuple[int, int]:
    """(staged customers minus erasure requests, staged customers) of the build database. An
    erased customer kept in staging as an anonymous contribution (var erasure_policy
    anonymise: their surrogate key, macros/erasure.sql cx360_erased_customer_surrogates, the
    same filter) is not a customer customer_360 shows."""
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        (staged,) = con.execute(
            "select count(distinct customer_id) from staging.stg_crm__customers "
            "where customer_id not in (select erased_key "
            "from staging.stg_privacy__erased_identities where identity_type = 'customer_id')"
        ).fetchone()
        (erased,) = con.execute(
            "select count(distinct customer_id) from staging.stg_privacy__erasure_requests"
        ).fetchone()
    finally:
        con.close()
    return max(int(staged) - int(erased), 0), int(staged)


def _validate_mart_postgres(
    context: AbstractDataContext, table: str, warehouse: Warehouse
) -> SuiteOutcome:
    """GX's own SQL datasource: the suite runs as SQL inside Postgres, on the build schema
    (`marts__build`) that publish swaps in only if this passes."""
    try:
        datasource = context.data_sources.get("cx360_postgres")
    except (KeyError, ValueError):
        datasource = context.data_sources.add_postgres(
            "cx360_postgres", connection_string=postgres_url()
        )
    asset = datasource.add_table_asset(
        name=table, table_name=table, schema_name="marts" + warehouse.build_schema_suffix
    )
    batch_definition = asset.add_batch_definition_whole_table("whole")
    return run_suite(
        context, MART_SUITES[table](), batch_definition, asset=f"marts.{table}", rows=-1
    )


def validate_marts(
    warehouse: Warehouse,
    run_id: str,
    *,
    tables: Sequence[str] = MART_TABLES,
    context: AbstractDataContext | None = None,
) -> ValidationReport:
    """Run the marts suites on the freshly built (not yet published) marts."""
    context = context or new_context(warehouse)
    report = ValidationReport(run_id)
    for table in tables:
        if warehouse.target == "duckdb":
            suite = (
                customer_360_suite(_expected_customers(warehouse))
                if table == CUSTOMER_360
                else MART_SUITES[table]()
            )
            frame = _mart_frame_duckdb(warehouse, table, columns_read_by(suite))
            outcome = run_suite_on_frame(context, suite, frame, asset=f"marts.{table}")
            report.outcomes.append(outcome)
        elif warehouse.target == "postgres":
            report.outcomes.append(_validate_mart_postgres(context, table, warehouse))
        else:
            suite = MART_SUITES[table]()
            frame = _mart_frame_spark(warehouse, table, columns_read_by(suite))
            outcome = run_suite_on_frame(context, suite, frame, asset=f"marts.{table}")
            report.outcomes.append(outcome)
    # against the last published marts, whatever batches were accepted (cx360/mart_guard.py)
    report.blocking += [drop.describe() for drop in mart_drops(warehouse)]
    con = _connect_landing(warehouse)
    try:
        _record(con, run_id, report.outcomes, _now(), warehouse)
    finally:
        con.close()
    build_data_docs(context)
    return report


# ---------------------------------------------------------------------------------------------
# results and the operator's way out


POSTGRES_RESULTS_DDL = """
    create schema if not exists audit;
    create table if not exists audit.validation_results (
        run_id text, validated_at timestamp, suite_name text, asset_name text,
        expectation_type text, column_name text, success boolean,
        unexpected_count bigint, unexpected_percent double precision, observed_value text,
        examples text, rows_validated bigint)
"""


def _mirror_to_postgres(rows: Sequence[tuple[object, ...]]) -> None:
    """On the postgres target the audit schema BI reads is in Postgres: results go there too."""
    import psycopg2

    with psycopg2.connect(**PostgresSettings.from_env().connect_kwargs()) as pg, pg.cursor() as cur:
        cur.execute(POSTGRES_RESULTS_DDL)
        cur.executemany(
            "insert into audit.validation_results values"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )


def _record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    outcomes: Sequence[SuiteOutcome],
    at: dt.datetime,
    warehouse: Warehouse,
) -> None:
    """Append outcomes to audit.validation_results (landing DuckDB; Postgres as well there)."""
    rows = [
        (
            run_id,
            at,
            o.suite,
            o.asset,
            e.expectation,
            e.column,
            e.success,
            e.unexpected_count,
            e.unexpected_percent,
            e.observed,
            "; ".join(e.examples),
            o.rows,
        )
        for o in outcomes
        for e in o.expectations
    ]
    if rows:
        con.executemany(
            "insert into audit.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if warehouse.target == "postgres":
            _mirror_to_postgres(rows)


def record_dbt_results(warehouse: Warehouse, run_id: str, outcomes: Sequence[SuiteOutcome]) -> None:
    """Store dbt test outcomes next to the GX ones, so audit.validation_results tells it all."""
    con = _connect_landing(warehouse)
    try:
        _record(con, run_id, outcomes, _now(), warehouse)
    finally:
        con.close()


def accept_batch(
    warehouse: Warehouse, batch_name: str, *, reason: str, accepted_by: str | None = None
) -> int:
    """Accept a landed batch as it is: the suites stop blocking on it. Returns batches accepted
    (a batch name is unique per table, so 0 or 1)."""
    con = _connect_landing(warehouse)
    try:
        landed = con.execute(
            "select table_name, batch_name, content_sha256 from audit.landed_batches"
            " where batch_name = ?",
            [batch_name],
        ).fetchall()
        if not landed:
            raise Cx360Error(
                f"no landed batch named {batch_name!r}",
                hint="batch names are paths relative to the raw folder, e.g. "
                "support_tickets/2026-01-03.csv; see audit.landed_batches",
            )
        who = accepted_by or os.environ.get("USER", "unknown")
        con.executemany(
            "insert into audit.accepted_batches values (?, ?, ?, ?, ?, ?)",
            [(table, name, sha, _now(), who, reason) for table, name, sha in landed],
        )
        return len(landed)
    finally:
        con.close()
