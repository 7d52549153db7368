"""Every query the dashboard runs, against the PUBLISHED marts only, on either engine.

Two sources, one interface (`frame`, `tables`, `columns`, `require`):
- `PublishedWarehouse`: `<warehouse>/cx360.duckdb`, replaced atomically by each publish
  (os.replace, cx360.publish). A connection held open would keep reading the old, unlinked
  file, so every load opens a fresh read-only connection and closes it straight away.
  Read-only connections take no write lock, so a refresh never waits on the dashboard.
  Results are cached per (file, mtime, query): a new publish changes the mtime.
- `PostgresMarts`: schema `marts` of a Postgres database, read as the read-only BI role
  (var bi_role, default cx360_bi; macros/grants.sql). That role cannot read `audit`, so the
  publish status is "not readable" there. Results are cached for POSTGRES_CACHE_SECONDS.

The SQL is written once, in the dialect both engines share, with `?` placeholders (turned into
psycopg2's `%s` for Postgres). Numbers come back as floats and dates as timestamps on both.
The build database (<warehouse>/build/) is never touched.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from cx360.errors import Cx360Error
from cx360.warehouse import PostgresSettings, Warehouse

CACHE_TTL_SECONDS = 600
CACHE_MAX_ENTRIES = 512
POSTGRES_CACHE_SECONDS = 60
BI_ROLE_DEFAULT = "cx360_bi"  # dbt_project.yml var bi_role
# Points drawn on the Pareto curve; the customers are many, the curve needs few.
PARETO_POINTS = 200
GRAINS = ("week", "month", "quarter")
Params = tuple[object, ...]


class DashboardDataError(Cx360Error):
    """The published warehouse is missing or lacks a mart the page needs."""


def _normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whatever the engine: Postgres numerics arrive as Decimal, dates as
    datetime.date objects; DuckDB gives floats and datetime64."""
    for column in frame.columns:
        values = frame[column].dropna()
        if values.empty or frame[column].dtype != object:
            continue
        first = values.iloc[0]
        if isinstance(first, decimal.Decimal):
            frame[column] = frame[column].astype(float)
        elif isinstance(first, dt.date):
            frame[column] = pd.to_datetime(frame[column])
    return frame


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _read_frame(db_path: str, version: int, sql: str, params: Params) -> pd.DataFrame:
    """One short-lived read-only connection per load. `version` (the file's mtime) is only
    part of the cache key: a new publish gives a new key."""
    del version
    with duckdb.connect(db_path, read_only=True) as con:
        return _normalise(con.execute(sql, list(params)).df())


def _postgres_sql(sql: str) -> str:
    """`?` placeholders to psycopg2's `%s` (a literal `%` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


@st.cache_data(ttl=POSTGRES_CACHE_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _read_postgres(
    connect: tuple[tuple[str, object], ...], version: int, sql: str, params: Params
) -> pd.DataFrame:
    import psycopg2  # only a Postgres deployment needs the driver loaded

    del version
    con = psycopg2.connect(**dict(connect))
    try:
        con.set_session(readonly=True, autocommit=True)
        with con.cursor() as cur:
            cur.execute(_postgres_sql(sql), list(params))
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
    finally:
        con.close()
    return _normalise(pd.DataFrame.from_records(rows, columns=names))


class _Marts:
    """What the pages need from a source of published marts."""

    engine = ""

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def tables(self) -> frozenset[str]:
        """`schema.table` names this source can read."""
        names = self.frame(
            "select table_schema || '.' || table_name as name from information_schema.tables "
            "where table_schema in ('marts', 'audit')"
        )
        return frozenset(names["name"])

    def columns(self, table: str) -> frozenset[str]:
        schema, name = table.split(".")
        rows = self.frame(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        )
        return frozenset(rows["column_name"])

    def has_rows(self, table: str, where: str = "true") -> bool:
        if table not in self.tables():
            return False
        return not self.frame(f"select 1 as x from {table} where {where} limit 1").empty

    def require(self, *tables: str) -> None:
        missing = [t for t in tables if t not in self.tables()]
        if missing:
            raise DashboardDataError(
                f"the published warehouse has no {', '.join(missing)}",
                hint="the mart is not built or not published yet: run `cx360 run` again",
            )


@dataclass(frozen=True)
class PublishedWarehouse(_Marts):
    """The published DuckDB file of a warehouse folder, read-only."""

    path: Path
    engine = "duckdb"

    @classmethod
    def of(cls, warehouse_dir: Path) -> PublishedWarehouse:
        return cls(Warehouse(warehouse_dir).published_db)

    def version(self) -> int:
        try:
            return self.path.stat().st_mtime_ns
        except FileNotFoundError:
            raise DashboardDataError(
                f"no published warehouse at {self.path}",
                hint="run `cx360 run --raw-dir <raw> --warehouse-dir <dir>` to publish one",
            ) from None

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        return _read_frame(str(self.path), self.version(), sql, tuple(params))

    def describe(self) -> str:
        return f"DuckDB file {self.path}"


@dataclass(frozen=True)
class PostgresMarts(_Marts):
    """Schema `marts` of a Postgres database, read as the read-only BI role.

    Connection: CX360_PG_HOST / PORT / DATABASE as the postgres target; the user is
    CX360_PG_BI_USER (default cx360_bi) with CX360_PG_BI_PASSWORD, never the build user."""

    settings: PostgresSettings
    engine = "postgres"

    @classmethod
    def from_env(cls) -> PostgresMarts:
        base = PostgresSettings.from_env()
        return cls(
            PostgresSettings(
                host=base.host,
                port=base.port,
                user=os.environ.get("CX360_PG_BI_USER", BI_ROLE_DEFAULT),
                password=os.environ.get("CX360_PG_BI_PASSWORD", ""),
                database=base.database,
            )
        )

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        connect = tuple(sorted(self.settings.connect_kwargs().items()))
        try:
            return _read_postgres(
                connect, int(time.time() // POSTGRES_CACHE_SECONDS), sql, tuple(params)
            )
        except Exception as err:  # psycopg2 errors: say where and as whom
            if type(err).__module__.startswith("psycopg2"):
                raise DashboardDataError(
                    f"cannot read {self.describe()}: {str(err).strip().splitlines()[0]}",
                    hint="check CX360_PG_HOST/PORT/DATABASE and that `cx360 run --target "
                    "postgres` has granted the BI role (CX360_PG_BI_USER) read access",
                ) from None
            raise

    def describe(self) -> str:
        s = self.settings
        return f"Postgres {s.host}:{s.port}/{s.database} as {s.user}"


# --- publish status ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishStatus:
    run_id: str | None
    published_at: dt.datetime | None
    validation_passed: bool | None
    checks: int
    failed_checks: int
    accepted_quarantined: int = 0  # rows quarantined in batches let through by `cx360 accept`


def publish_status(wh: _Marts) -> PublishStatus:
    """The publish this source holds, and the validation results recorded for its run (failed
    non-blocking checks are warnings: a blocking failure never gets published)."""
    if "audit.publish_log" not in wh.tables():
        return PublishStatus(None, None, None, 0, 0)
    last = wh.frame(
        """
        select run_id, max(published_at) as published_at, bool_and(validation_passed) as passed
        from audit.publish_log
        group by run_id
        order by published_at desc
        limit 1
        """
    )
    if last.empty:
        return PublishStatus(None, None, None, 0, 0)
    run_id = str(last.at[0, "run_id"])
    checks, failed = 0, 0
    if "audit.validation_results" in wh.tables():
        counts = wh.frame(
            """
            select count(*) as checks, count(*) filter (where not success) as failed
            from audit.validation_results
            where run_id = ?
            """,
            [run_id],
        )
        checks, failed = int(counts.at[0, "checks"]), int(counts.at[0, "failed"])
    accepted_quarantined = 0
    if {"audit.accepted_batches", "audit.landed_batches"} <= set(wh.tables()):
        accepted_quarantined = int(
            wh.frame(
                """
                select coalesce(sum(lb.rows_quarantined), 0) as n
                from audit.landed_batches as lb
                where exists (
                    select 1 from audit.accepted_batches as ab
                    where ab.batch_name = lb.batch_name
                      and ab.content_sha256 = lb.content_sha256)
                """
            ).at[0, "n"]
        )
    return PublishStatus(
        run_id=run_id,
        published_at=pd.Timestamp(last.at[0, "published_at"]).to_pydatetime(),
        validation_passed=bool(last.at[0, "passed"]),
        checks=checks,
        failed_checks=failed,
        accepted_quarantined=accepted_quarantined,
    )


# --- the KPI registry and targets ---------------------------------------------------------


def kpi_registry(wh: _Marts) -> pd.DataFrame:
    """marts.dim_kpi (seed kpi_registry), indexed by kpi_name: label, unit, direction, scale,
    aggregation, min_sample, description. The only source of KPI labels and directions."""
    wh.require("marts.dim_kpi")
    registry = wh.frame(
        "select kpi_name, label, unit, direction, scale_min, scale_max, aggregation, "
        "min_sample, description from marts.dim_kpi order by kpi_name"
    )
    return registry.set_index("kpi_name")


def kpi_targets(wh: _Marts) -> pd.DataFrame:
    """marts.dim_kpi_target (seed kpi_targets), indexed by kpi_name: target and its note. Empty
    when the warehouse was published before the seed existed."""
    if "marts.dim_kpi_target" not in wh.tables():
        return pd.DataFrame(columns=["target", "note"], index=pd.Index([], name="kpi_name"))
    targets = wh.frame("select kpi_name, target_value, note from marts.dim_kpi_target")
    return targets.rename(columns={"target_value": "target"}).set_index("kpi_name")


# --- fct_kpi ------------------------------------------------------------------------------


def _optional_kpi_columns(wh: _Marts) -> str:
    """ci_low, ci_high, period_complete when the published fct_kpi has them (docs/kpis.md),
    else nulls, so a warehouse published before them still shows."""
    present = wh.columns("marts.fct_kpi")
    parts = [
        name if name in present else f"cast(null as {kind}) as {name}"
        for name, kind in (
            ("ci_low", "double precision"),
            ("ci_high", "double precision"),
            ("period_complete", "boolean"),
        )
    ]
    return ", ".join(parts)


def kpi_periods(wh: _Marts, grain: str) -> list[dt.date]:
    """Period starts fct_kpi has figures for at a grain, newest first."""
    wh.require("marts.fct_kpi")
    periods = wh.frame(
        """
        select distinct period_start from marts.fct_kpi
        where period_grain = ? and period_start is not null
        order by period_start desc
        """,
        [grain],
    )
    return [pd.Timestamp(m).date() for m in periods["period_start"]]


def kpi_months(wh: _Marts) -> list[dt.date]:
    """Months fct_kpi has figures for, newest first."""
    return kpi_periods(wh, "month")


def kpi_dimension_values(wh: _Marts, dimension_name: str) -> list[str]:
    wh.require("marts.fct_kpi")
    values = wh.frame(
        """
        select distinct dimension_value from marts.fct_kpi
        where dimension_name = ?
        order by dimension_value
        """,
        [dimension_name],
    )
    return list(values["dimension_value"])


def kpi_dimensions(wh: _Marts) -> dict[str, frozenset[str]]:
    """Dimension names each KPI is cut by in fct_kpi (data-driven: no list to keep in sync)."""
    wh.require("marts.fct_kpi")
    rows = wh.frame("select distinct kpi_name, dimension_name from marts.fct_kpi")
    dims: dict[str, set[str]] = {}
    for kpi, dim in rows.itertuples(index=False):
        dims.setdefault(kpi, set()).add(dim)
    return {kpi: frozenset(d) for kpi, d in dims.items()}


def _in_list(values: Sequence[object]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")"


def kpi_series(
    wh: _Marts,
    kpi_names: Sequence[str],
    dimension_name: str,
    dimension_value: str,
    *,
    grain: str,
    first: dt.date,
    last: dt.date,
) -> pd.DataFrame:
    """Rows of the KPIs for one cut and grain between two period starts: kpi_name,
    period_start, value, numerator, denominator, sample_size, unit, ci_low, ci_high,
    period_complete."""
    wh.require("marts.fct_kpi")
    if not kpi_names:
        return pd.DataFrame()
    return wh.frame(
        f"""
        select kpi_name, period_start, value, numerator, denominator, sample_size, unit,
            {_optional_kpi_columns(wh)}
        from marts.fct_kpi
        where period_grain = ?
          and kpi_name in {_in_list(kpi_names)}
          and dimension_name = ? and dimension_value = ?
          and period_start between ? and ?
        order by kpi_name, period_start
        """,
        [grain, *kpi_names, dimension_name, dimension_value, first, last],
    )


def kpi_monthly(
    wh: _Marts,
    kpi_names: Sequence[str],
    dimension_name: str,
    dimension_value: str,
    *,
    first_month: dt.date,
    last_month: dt.date,
) -> pd.DataFrame:
    """kpi_series at month grain."""
    return kpi_series(
        wh,
        kpi_names,
        dimension_name,
        dimension_value,
        grain="month",
        first=first_month,
        last=last_month,
    )


def kpi_by_dimension(
    wh: _Marts, kpi_name: str, dimension_name: str, period: dt.date | None, grain: str = "month"
) -> pd.DataFrame:
    """One KPI cut by every value of a dimension, for a period (None: period_grain 'all')."""
    wh.require("marts.fct_kpi")
    grain_filter = (
        "period_grain = 'all'" if period is None else "period_grain = ? and period_start = ?"
    )
    params: list[object] = [kpi_name, dimension_name] + ([] if period is None else [grain, period])
    return wh.frame(
        f"""
        select dimension_value, value, numerator, denominator, sample_size, unit,
            {_optional_kpi_columns(wh)}
        from marts.fct_kpi
        where kpi_name = ? and dimension_name = ? and {grain_filter}
        order by value desc nulls last
        """,
        params,
    )


def kpis_in_period(
    wh: _Marts, grain: str, periods: Sequence[dt.date], dimension_name: str = "overall"
) -> pd.DataFrame:
    """Every KPI of a dimension at some periods of a grain (all dimension values)."""
    wh.require("marts.fct_kpi")
    if not periods:
        return pd.DataFrame()
    return wh.frame(
        f"""
        select kpi_name, period_start, dimension_value, value, numerator, denominator,
            sample_size, unit, {_optional_kpi_columns(wh)}
        from marts.fct_kpi
        where period_grain = ? and dimension_name = ?
          and period_start in {_in_list(periods)}
        order by kpi_name, dimension_value, period_start
        """,
        [grain, dimension_name, *periods],
    )


def nps_split(wh: _Marts, grain: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Promoters, passives, detractors and answers per period (marts.fct_survey_answers,
    skipped questions excluded as in fct_kpi's nps)."""
    wh.require("marts.fct_survey_answers")
    return wh.frame(
        f"""
        select
            cast(date_trunc('{_grain_sql(grain)}', answered_date) as date) as period_start,
            count(*) filter (where nps_category = 'promoter') as promoters,
            count(*) filter (where nps_category = 'passive') as passives,
            count(*) filter (where nps_category = 'detractor') as detractors,
            count(*) as answers
        from marts.fct_survey_answers
        where survey_type = 'nps' and score is not null
          and answered_date >= ? and answered_date < ?
        group by 1
        order by 1
        """,
        [first, _period_end(last, grain)],
    )


def response_counts(wh: _Marts, grain: str, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Survey answers per period and survey type (skipped questions excluded)."""
    wh.require("marts.fct_survey_answers")
    return wh.frame(
        f"""
        select
            cast(date_trunc('{_grain_sql(grain)}', answered_date) as date) as period_start,
            survey_type,
            count(*) as answers
        from marts.fct_survey_answers
        where score is not null and answered_date >= ? and answered_date < ?
        group by 1, 2
        order by 1, 2
        """,
        [first, _period_end(last, grain)],
    )


def _grain_sql(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")
    return grain


def _period_end(start: dt.date, grain: str) -> dt.date:
    """First day after the period starting at `start`."""
    if grain == "week":
        return start + dt.timedelta(days=7)
    months = 1 if grain == "month" else 3
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- drill-down: the rows behind a KPI value ---------------------------------------------

TICKET_COLUMNS = (
    "ticket_id, opened_at, first_response_at, resolved_at, channel, category, priority, "
    "segment, first_response_hours, resolution_hours, reopen_count, is_first_contact_resolution"
)
MONTHS = (
    "month_start, segment, value_tier, active_at_month_start, churned_in_month, "
    "active_at_month_end, acquired_in_month, is_complete_month"
)
# kpi_name -> (mart, date column bucketed like fct_kpi, row condition, columns shown).
# The conditions restate each KPI model's row filter; the browser test checks that the rows
# listed are exactly the value's sample_size, so a drift between the two fails a test.
DRILLDOWNS: dict[str, tuple[str, str, str, str]] = {
    **{
        kpi: (
            "marts.fct_survey_answers",
            "answered_date",
            f"survey_type = '{survey}' and score is not null",
            "answered_at, survey_type, touchpoint, channel, segment, value_tier, score, "
            "scale_min, scale_max, nps_category, is_satisfied, pillar",
        )
        for kpi, survey in (
            ("nps", "nps"),
            ("csat", "csat"),
            ("ces", "ces"),
            ("loyalty_index", "loyalty"),
            ("pillar_score", "pillar"),
        )
    },
    "mttr_hours": (
        "marts.fct_tickets",
        "cast(resolved_at as date)",
        "is_resolved and resolution_hours is not null",
        TICKET_COLUMNS,
    ),
    "first_contact_resolution_rate": (
        "marts.fct_tickets",
        "cast(resolved_at as date)",
        "is_resolved",
        TICKET_COLUMNS,
    ),
    "first_response_hours": (
        "marts.fct_tickets",
        "cast(opened_at as date)",
        "first_response_at is not null",
        TICKET_COLUMNS,
    ),
    # customer months (S, L, active at the month end, acquired): one row per customer
    "churn_rate": ("marts.fct_customer_months", "month_start", "active_at_month_start", MONTHS),
    "retention_rate": ("marts.fct_customer_months", "month_start", "active_at_month_start", MONTHS),
    "active_customers": ("marts.fct_customer_months", "month_start", "active_at_month_end", MONTHS),
    "new_customers": ("marts.fct_customer_months", "month_start", "acquired_in_month", MONTHS),
    "churned_customers": ("marts.fct_customer_months", "month_start", "churned_in_month", MONTHS),
}
DIMENSION_COLUMNS = (
    "channel",
    "touchpoint",
    "segment",
    "value_tier",
    "category",
    "priority",
    "pillar",
)


def drilldown_rows(
    wh: _Marts,
    kpi_name: str,
    grain: str,
    period: dt.date,
    dimension_name: str = "overall",
    dimension_value: str = "all",
) -> pd.DataFrame:
    """The rows a KPI value rests on, with the customer id hashed (sha256, first 16 hex) and
    no contact data. Raises DashboardDataError for a KPI without a drill-down."""
    if kpi_name not in DRILLDOWNS:
        raise DashboardDataError(
            f"no drill-down for {kpi_name}",
            hint=f"drill-downs exist for {', '.join(sorted(DRILLDOWNS))}",
        )
    table, date_column, condition, columns = DRILLDOWNS[kpi_name]
    wh.require(table)
    clauses = [condition, f"{date_column} >= ?", f"{date_column} < ?"]
    params: list[object] = [period, _period_end(period, grain)]
    if dimension_name != "overall":
        if dimension_name not in DIMENSION_COLUMNS:
            raise DashboardDataError(f"no drill-down by {dimension_name}")
        clauses.append(f"coalesce({dimension_name}, 'unknown') = ?")
        params.append(dimension_value)
    hashed = "substr(encode(sha256(convert_to(customer_id, 'UTF8')), 'hex'), 1, 16)"
    if wh.engine == "duckdb":
        hashed = "substr(sha256(customer_id), 1, 16)"
    return wh.frame(
        f"""
        select {hashed} as customer_hash, {columns}
        from {table}
        where {" and ".join(clauses)}
        order by 2
        """,
        params,
    )


# --- customer_360 and its marts -----------------------------------------------------------


def _segment_clause(segment: str, column: str = "segment") -> tuple[str, list[object]]:
    """`and <column> = ?` when a segment is chosen, for the customer-level marts."""
    if segment == "all":
        return "", []
    return f"and {column} = ?", [segment]


def segment_value_tiers(wh: _Marts, segment: str) -> pd.DataFrame:
    """Customers, revenue, value and risk per segment x value tier (customer_360)."""
    wh.require("marts.customer_360")
    clause, params = _segment_clause(segment)
    return wh.frame(
        f"""
        select
            segment,
            value_tier,
            count(*) as customers,
            count(*) filter (where is_active) as active_customers,
            cast(sum(revenue_12m) as double precision) as revenue_12m,
            cast(avg(clv_historical) as double precision) as avg_clv_historical,
            cast(avg(clv_predicted) as double precision) as avg_clv_predicted,
            cast(avg(churn_risk_score) as double precision) as avg_churn_risk_score,
            count(*) filter (where churn_risk_level = 'high') as high_risk_customers
        from marts.customer_360
        where true {clause}
        group by segment, value_tier
        order by segment, value_tier
        """,
        params,
    )


def pareto_curve(wh: _Marts, segment: str) -> pd.DataFrame:
    """Cumulative share of 12-month revenue against the share of customers ranked by it
    (marts.revenue_concentration), on about PARETO_POINTS points. Re-ranked within the segment
    when one is chosen, so the curve is the segment's own 20/80."""
    wh.require("marts.revenue_concentration")
    clause, params = _segment_clause(segment)
    return wh.frame(
        f"""
        with ranked as (
            select
                revenue_12m,
                row_number() over (order by revenue_12m desc, revenue_rank) as customer_rank,
                count(*) over () as customers,
                sum(revenue_12m) over () as revenue
            from marts.revenue_concentration
            where revenue_12m > 0 {clause}
        ),
        cumulative as (
            select
                customer_rank,
                customers,
                cast(100.0 * customer_rank / customers as double precision) as customer_share,
                cast(100.0 * sum(revenue_12m) over (order by customer_rank) / revenue
                    as double precision) as revenue_share
            from ranked
        )
        select customer_share, revenue_share
        from cumulative
        where mod(customer_rank, greatest(1, cast(floor(customers / ?) as bigint))) = 0
            or customer_rank = customers
        union all
        select 0.0, 0.0
        order by customer_share
        """,
        [*params, float(PARETO_POINTS)],
    )


def cohort_retention(wh: _Marts, first_cohort: dt.date, last_cohort: dt.date) -> pd.DataFrame:
    """Cohorts acquired from first_cohort to last_cohort, every month since acquisition."""
    wh.require("marts.cohort_retention")
    return wh.frame(
        """
        select cohort_month, months_since_acquisition, customers, retained,
            cast(retention_rate as double precision) as retention_rate, is_complete_month
        from marts.cohort_retention
        where cohort_month between ? and ?
        order by cohort_month, months_since_acquisition
        """,
        [first_cohort, last_cohort],
    )


def network_areas(wh: _Marts) -> pd.DataFrame:
    wh.require("marts.network_quality_impact")
    return wh.frame(
        """
        select postal_code, exposure_rank, customers, active_customers, incidents_30d,
            cast(qos_exposure_30d as double precision) as qos_exposure_30d, is_exposed,
            nps_answers, cast(nps as double precision) as nps,
            cast(rest_nps as double precision) as rest_nps,
            cast(nps_gap as double precision) as nps_gap, csat_answers,
            cast(csat as double precision) as csat,
            cast(rest_csat as double precision) as rest_csat,
            cast(csat_gap as double precision) as csat_gap
        from marts.network_quality_impact
        order by exposure_rank, postal_code
        """
    )


def customers_at_risk(wh: _Marts, segment: str) -> pd.DataFrame:
    """The retention targets (marts.retention_targets, ranked by value at risk there) with the
    customer_360 columns that explain their risk score (views/act.py)."""
    wh.require("marts.retention_targets", "marts.customer_360")
    clause, params = _segment_clause(segment, "t.segment")
    return wh.frame(
        f"""
        select t.target_rank, t.customer_id, t.segment, t.value_tier,
            cast(t.revenue_12m as double precision) as revenue_12m,
            cast(t.clv_predicted as double precision) as clv_predicted,
            t.lifecycle_stage, t.churn_risk_score, t.churn_risk_level, t.top_risk_factor,
            t.next_best_action, t.next_renewal_date, t.contact_channel, t.no_contact_reason,
            cast(t.churn_probability as double precision) as churn_probability,
            cast(t.value_at_risk as double precision) as value_at_risk, t.value_at_risk_basis,
            c.nps_category, c.last_nps_score, c.complaints_12m, c.open_tickets,
            cast(c.qos_exposure_30d as double precision) as qos_exposure_30d,
            c.interactions_90d, c.last_interaction_at
        from marts.retention_targets as t
        inner join marts.customer_360 as c on t.customer_id = c.customer_id
        where true {clause}
        order by t.target_rank
        """,
        params,
    )


def retention_targets(wh: _Marts, segment: str) -> pd.DataFrame:
    """The at-risk customers worth an action, most valuable first (marts.retention_targets)."""
    wh.require("marts.retention_targets")
    clause, params = _segment_clause(segment)
    return wh.frame(
        f"""
        select target_rank, customer_id, segment, value_tier,
            cast(revenue_12m as double precision) as revenue_12m,
            cast(clv_predicted as double precision) as clv_predicted,
            lifecycle_stage, churn_risk_score, churn_risk_level, top_risk_factor,
            next_best_action, next_renewal_date, contact_channel
        from marts.retention_targets
        where true {clause}
        order by target_rank
        """,
        params,
    )


def risk_weights(wh: _Marts) -> pd.DataFrame:
    """The churn risk factors and their weights, when published (seed churn_risk_weights)."""
    for table in ("marts.churn_risk_weights", "marts.dim_churn_risk_factor"):
        if table in wh.tables():
            return wh.frame(f"select * from {table}")
    return pd.DataFrame()


def reporting_month(wh: _Marts) -> dt.date | None:
    """The last full month before the build's as-of day (marts.kpi_reporting_window), the
    month `cx360 kpi` reports too; None when the mart is absent."""
    if "marts.kpi_reporting_window" not in wh.tables():
        return None
    window = wh.frame("select last_full_month_start from marts.kpi_reporting_window")
    if window.empty or pd.isna(window.iat[0, 0]):
        return None
    return pd.Timestamp(window.iat[0, 0]).date()


def erased_customers(wh: _Marts) -> int:
    """Erased customers the KPIs count as an anonymous contribution (marts.kpi_reporting_window;
    var erasure_policy anonymise): their rows are in a KPI's sample_size and in no row a
    drill-down can list. 0 when the mart or the column is absent."""
    table = "marts.kpi_reporting_window"
    if table not in wh.tables() or "erased_customers" not in wh.columns(table):
        return 0  # published before the column existed
    window = wh.frame(f"select erased_customers from {table}")
    return 0 if window.empty or pd.isna(window.iat[0, 0]) else int(window.iat[0, 0])


# --- experience marts ---------------------------------------------------------------------


def _ticket_filters(
    grain: str, period: dt.date, segment: str, channel: str
) -> tuple[str, list[object]]:
    clauses = ["opened_date >= ?", "opened_date < ?"]
    params: list[object] = [period, _period_end(period, grain)]
    for column, value in (("segment", segment), ("channel", channel)):
        if value != "all":
            clauses.append(f"{column} = ?")
            params.append(value)
    return " and ".join(clauses), params


def tickets_by_category(
    wh: _Marts, grain: str, period: dt.date, segment: str, channel: str
) -> pd.DataFrame:
    """Tickets opened in the period per category: volume, complaints, resolution, FCR."""
    wh.require("marts.fct_tickets")
    where, params = _ticket_filters(grain, period, segment, channel)
    return wh.frame(
        f"""
        select
            category,
            count(*) as tickets,
            count(*) filter (where is_complaint) as complaints,
            count(*) filter (where is_resolved) as resolved,
            cast(percentile_cont(0.5) within group (order by resolution_hours)
                as double precision) as median_resolution_hours,
            cast(100.0 * count(*) filter (where is_first_contact_resolution)
                / nullif(count(*) filter (where is_resolved), 0) as double precision)
                as fcr_percent
        from marts.fct_tickets
        where {where}
        group by category
        order by tickets desc
        """,
        params,
    )


def resolution_hours(
    wh: _Marts, grain: str, period: dt.date, segment: str, channel: str
) -> pd.DataFrame:
    """Resolution time of each resolved ticket opened in the period (for a histogram)."""
    wh.require("marts.fct_tickets")
    where, params = _ticket_filters(grain, period, segment, channel)
    return wh.frame(
        f"""
        select category, priority, cast(resolution_hours as double precision) as resolution_hours
        from marts.fct_tickets
        where {where} and is_resolved and resolution_hours is not null
        """,
        params,
    )


def touchpoint_journey(wh: _Marts) -> pd.DataFrame:
    wh.require("marts.touchpoint_journey")
    return wh.frame(
        """
        select touchpoint, channel, volume, interactions, tickets, survey_answers,
            cast(nps as double precision) as nps, nps_answers,
            cast(csat as double precision) as csat, csat_answers,
            cast(ces as double precision) as ces, ces_answers,
            negative_experiences, cast(negative_share as double precision) as negative_share,
            pain_rank
        from marts.touchpoint_journey
        order by pain_rank
        """
    )


# --- which pages the data supports --------------------------------------------------------


def available_subjects(wh: _Marts) -> frozenset[str]:
    """What the published marts hold rows for: surveys, tickets, network, contracts (cohorts),
    revenue, customers. A page is shown only when its subject is there (app.py)."""
    checks = {
        "customers": ("marts.customer_360", "true"),
        "revenue": ("marts.customer_360", "revenue_12m > 0"),
        "surveys": ("marts.fct_survey_answers", "score is not null"),
        "tickets": ("marts.fct_tickets", "true"),
        "network": ("marts.network_quality_impact", "incidents_30d > 0"),
        "cohorts": ("marts.cohort_retention", "customers > 0"),
        "journey": ("marts.touchpoint_journey", "volume > 0"),
        "targets": ("marts.retention_targets", "true"),
    }
    return frozenset(name for name, (table, where) in checks.items() if wh.has_rows(table, where))


def kpi_grains(wh: _Marts) -> dict[str, frozenset[str]]:
    """Grains each KPI has rows at (churn_rate: month only, ...)."""
    wh.require("marts.fct_kpi")
    rows = wh.frame("select distinct kpi_name, period_grain from marts.fct_kpi")
    grains: dict[str, set[str]] = {}
    for kpi, grain in rows.itertuples(index=False):
        grains.setdefault(kpi, set()).add(grain)
    return {kpi: frozenset(g) for kpi, g in grains.items()}
