"""Every query the dashboard runs, against the PUBLISHED warehouse only.

Why it reads the way it does:
- `<warehouse>/cx360.duckdb` is replaced atomically by each publish (os.replace, cx360.publish).
  A connection held open would keep reading the old, unlinked file, so every load opens a fresh
  read-only connection and closes it straight away. Read-only connections take no write lock,
  so a refresh never waits on the dashboard and vice versa.
- The build database (<warehouse>/build/) is never touched: a running refresh holds its write
  lock, and its content is not validated yet.
- Results are cached per (file, mtime, query): a new publish changes the mtime, so the next
  rerun queries the new file; the TTL bounds the memory held by stale entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from cx360.errors import Cx360Error
from cx360.warehouse import Warehouse

CACHE_TTL_SECONDS = 600
CACHE_MAX_ENTRIES = 512
# Points drawn on the Pareto curve; the customers are many, the curve needs few.
PARETO_POINTS = 200
Params = tuple[object, ...]


class DashboardDataError(Cx360Error):
    """The published warehouse is missing or lacks a mart the page needs."""


@st.cache_data(ttl=CACHE_TTL_SECONDS, max_entries=CACHE_MAX_ENTRIES, show_spinner=False)
def _read_frame(db_path: str, version: int, sql: str, params: Params) -> pd.DataFrame:
    """One short-lived read-only connection per load. `version` (the file's mtime) is only
    part of the cache key: a new publish gives a new key."""
    del version
    with duckdb.connect(db_path, read_only=True) as con:
        return con.execute(sql, list(params)).df()


@dataclass(frozen=True)
class PublishedWarehouse:
    """The published DuckDB file of a warehouse folder, read-only."""

    path: Path

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

    def tables(self) -> frozenset[str]:
        """`schema.table` names present in the published file."""
        names = self.frame(
            "select table_schema || '.' || table_name as name from information_schema.tables"
        )
        return frozenset(names["name"])

    def require(self, *tables: str) -> None:
        missing = [t for t in tables if t not in self.tables()]
        if missing:
            raise DashboardDataError(
                f"the published warehouse has no {', '.join(missing)}",
                hint="the mart is not built or not published yet: run `cx360 run` again",
            )


# --- publish status ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublishStatus:
    run_id: str | None
    published_at: dt.datetime | None
    validation_passed: bool | None
    checks: int
    failed_checks: int
    accepted_quarantined: int = 0  # rows quarantined in batches let through by `cx360 accept`


def publish_status(wh: PublishedWarehouse) -> PublishStatus:
    """The publish this file holds, and the validation results recorded for its run (failed
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


# --- fct_kpi ------------------------------------------------------------------------------


def kpi_months(wh: PublishedWarehouse) -> list[dt.date]:
    """Months fct_kpi has figures for, newest first."""
    wh.require("marts.fct_kpi")
    months = wh.frame(
        """
        select distinct period_start from marts.fct_kpi
        where period_grain = 'month' and period_start is not null
        order by period_start desc
        """
    )
    return [pd.Timestamp(m).date() for m in months["period_start"]]


def kpi_dimension_values(wh: PublishedWarehouse, dimension_name: str) -> list[str]:
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


def kpi_dimensions(wh: PublishedWarehouse) -> dict[str, frozenset[str]]:
    """Dimension names each KPI is cut by in fct_kpi (data-driven: no list to keep in sync)."""
    wh.require("marts.fct_kpi")
    rows = wh.frame("select distinct kpi_name, dimension_name from marts.fct_kpi")
    dims: dict[str, set[str]] = {}
    for kpi, dim in rows.itertuples(index=False):
        dims.setdefault(kpi, set()).add(dim)
    return {kpi: frozenset(d) for kpi, d in dims.items()}


def kpi_monthly(
    wh: PublishedWarehouse,
    kpi_names: Sequence[str],
    dimension_name: str,
    dimension_value: str,
    *,
    first_month: dt.date,
    last_month: dt.date,
) -> pd.DataFrame:
    """Monthly rows of the KPIs for one cut: kpi_name, period_start, value, numerator,
    denominator, sample_size, unit."""
    wh.require("marts.fct_kpi")
    return wh.frame(
        """
        select kpi_name, period_start, value, numerator, denominator, sample_size, unit
        from marts.fct_kpi
        where period_grain = 'month'
          and list_contains(?, kpi_name)
          and dimension_name = ? and dimension_value = ?
          and period_start between ? and ?
        order by kpi_name, period_start
        """,
        [list(kpi_names), dimension_name, dimension_value, first_month, last_month],
    )


def kpi_by_dimension(
    wh: PublishedWarehouse, kpi_name: str, dimension_name: str, month: dt.date | None
) -> pd.DataFrame:
    """One KPI cut by every value of a dimension, for a month (None: period_grain 'all')."""
    wh.require("marts.fct_kpi")
    grain_filter = (
        "period_grain = 'all'" if month is None else "period_grain = 'month' and period_start = ?"
    )
    params: list[object] = [kpi_name, dimension_name] + ([] if month is None else [month])
    return wh.frame(
        f"""
        select dimension_value, value, numerator, denominator, sample_size, unit
        from marts.fct_kpi
        where kpi_name = ? and dimension_name = ? and {grain_filter}
        order by value desc nulls last
        """,
        params,
    )


def kpi_month_overview(wh: PublishedWarehouse, month: dt.date) -> pd.DataFrame:
    """Every KPI, overall, for the month next to its all-time value."""
    wh.require("marts.fct_kpi")
    return wh.frame(
        """
        select
            kpi_name,
            max(case when period_grain = 'month' then value end) as value_month,
            max(case when period_grain = 'month' then sample_size end) as sample_month,
            max(case when period_grain = 'all' then value end) as value_all_time,
            max(unit) as unit
        from marts.fct_kpi
        where dimension_name = 'overall'
          and (period_grain = 'all' or (period_grain = 'month' and period_start = ?))
        group by kpi_name
        order by kpi_name
        """,
        [month],
    )


# --- customer_360 and its marts -----------------------------------------------------------


def _segment_clause(segment: str, column: str = "segment") -> tuple[str, list[object]]:
    """`and <column> = ?` when a segment is chosen, for the customer-level marts."""
    if segment == "all":
        return "", []
    return f"and {column} = ?", [segment]


def segment_value_tiers(wh: PublishedWarehouse, segment: str) -> pd.DataFrame:
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
            sum(revenue_12m) as revenue_12m,
            avg(clv_historical) as avg_clv_historical,
            avg(clv_predicted) as avg_clv_predicted,
            avg(churn_risk_score) as avg_churn_risk_score,
            count(*) filter (where churn_risk_level = 'high') as high_risk_customers
        from marts.customer_360
        where true {clause}
        group by segment, value_tier
        order by segment, value_tier
        """,
        params,
    )


def pareto_curve(wh: PublishedWarehouse, segment: str) -> pd.DataFrame:
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
                100.0 * customer_rank / customers as customer_share,
                100.0 * sum(revenue_12m) over (order by customer_rank) / revenue as revenue_share
            from ranked
        )
        select customer_share, revenue_share
        from cumulative
        where customer_rank % greatest(1, customers // ?) = 0 or customer_rank = customers
        union all
        select 0.0, 0.0
        order by customer_share
        """,
        [*params, PARETO_POINTS],
    )


def cohort_retention(
    wh: PublishedWarehouse, first_cohort: dt.date, last_cohort: dt.date
) -> pd.DataFrame:
    """Cohorts acquired from first_cohort to last_cohort, every month since acquisition."""
    wh.require("marts.cohort_retention")
    return wh.frame(
        """
        select cohort_month, months_since_acquisition, customers, retained,
            cast(retention_rate as double) as retention_rate, is_complete_month
        from marts.cohort_retention
        where cohort_month between ? and ?
        order by cohort_month, months_since_acquisition
        """,
        [first_cohort, last_cohort],
    )


def network_areas(wh: PublishedWarehouse) -> pd.DataFrame:
    wh.require("marts.network_quality_impact")
    return wh.frame(
        """
        select postal_code, exposure_rank, customers, active_customers, incidents_30d,
            cast(qos_exposure_30d as double) as qos_exposure_30d, is_exposed,
            nps_answers, cast(nps as double) as nps, cast(rest_nps as double) as rest_nps,
            cast(nps_gap as double) as nps_gap, csat_answers, cast(csat as double) as csat,
            cast(rest_csat as double) as rest_csat, cast(csat_gap as double) as csat_gap
        from marts.network_quality_impact
        order by exposure_rank, postal_code
        """
    )


def retention_targets(wh: PublishedWarehouse, segment: str) -> pd.DataFrame:
    """The at-risk customers worth an action, most valuable first (marts.retention_targets)."""
    wh.require("marts.retention_targets")
    clause, params = _segment_clause(segment)
    return wh.frame(
        f"""
        select target_rank, customer_id, segment, value_tier,
            cast(revenue_12m as double) as revenue_12m,
            cast(clv_predicted as double) as clv_predicted,
            lifecycle_stage, churn_risk_score, churn_risk_level, top_risk_factor,
            next_best_action, next_renewal_date, contact_channel
        from marts.retention_targets
        where true {clause}
        order by target_rank
        """,
        params,
    )


def reporting_month(wh: PublishedWarehouse) -> dt.date | None:
    """The last full month before the build's as-of day (marts.kpi_reporting_window), the
    month `cx360 kpi` reports too; None when the mart is absent."""
    if "marts.kpi_reporting_window" not in wh.tables():
        return None
    window = wh.frame("select last_full_month_start from marts.kpi_reporting_window")
    if window.empty or pd.isna(window.iat[0, 0]):
        return None
    return pd.Timestamp(window.iat[0, 0]).date()


# --- experience marts ---------------------------------------------------------------------


def _ticket_filters(month: dt.date, segment: str, channel: str) -> tuple[str, list[object]]:
    clauses = ["date_trunc('month', opened_date) = ?"]
    params: list[object] = [month]
    for column, value in (("segment", segment), ("channel", channel)):
        if value != "all":
            clauses.append(f"{column} = ?")
            params.append(value)
    return " and ".join(clauses), params


def tickets_by_category(
    wh: PublishedWarehouse, month: dt.date, segment: str, channel: str
) -> pd.DataFrame:
    """Tickets opened in the month per category: volume, complaints, resolution, FCR."""
    wh.require("marts.fct_tickets")
    where, params = _ticket_filters(month, segment, channel)
    return wh.frame(
        f"""
        select
            category,
            count(*) as tickets,
            count(*) filter (where is_complaint) as complaints,
            count(*) filter (where is_resolved) as resolved,
            median(resolution_hours) as median_resolution_hours,
            100.0 * count(*) filter (where is_first_contact_resolution)
                / nullif(count(*) filter (where is_resolved), 0) as fcr_percent
        from marts.fct_tickets
        where {where}
        group by category
        order by tickets desc
        """,
        params,
    )


def resolution_hours(
    wh: PublishedWarehouse, month: dt.date, segment: str, channel: str
) -> pd.DataFrame:
    """Resolution time of each resolved ticket opened in the month (for a histogram)."""
    wh.require("marts.fct_tickets")
    where, params = _ticket_filters(month, segment, channel)
    return wh.frame(
        f"""
        select category, priority, resolution_hours
        from marts.fct_tickets
        where {where} and is_resolved and resolution_hours is not null
        """,
        params,
    )


def touchpoint_journey(wh: PublishedWarehouse) -> pd.DataFrame:
    wh.require("marts.touchpoint_journey")
    return wh.frame(
        """
        select touchpoint, channel, volume, interactions, tickets, survey_answers,
            nps, nps_answers, csat, csat_answers, ces, ces_answers,
            negative_experiences, negative_share, pain_rank
        from marts.touchpoint_journey
        order by pain_rank
        """
    )
