"""fct_kpi against an independent computation from the raw files.

On a small clean dataset (`cx360 generate --dirty-rate 0`) run through the whole pipeline
(land -> dbt build -> validate -> publish; clean_run in tests/conftest.py), recomputes NPS,
CSAT, CES, churn_rate, mttr_hours, referral_rate and clv_historical straight from the raw
parquet files with plain DuckDB SQL — none of the dbt code — and requires the published
marts.fct_kpi to hold the same values (grain all, and every month where both have a value).
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest
from conftest import CLEAN_MONTHS as MONTHS
from conftest import CleanRun

REL_TOL = 1e-9
ABS_TOL = 1e-6


@pytest.fixture(scope="module")
def published(clean_run: CleanRun) -> tuple[Path, Path]:
    """(raw folder, published database) of one clean pipeline run, shared with the semantic
    layer test (tests/conftest.py)."""
    assert clean_run.warehouse.published_db.exists()
    return clean_run.raw_dir, clean_run.warehouse.published_db


@pytest.fixture(scope="module")
def raw(published: tuple[Path, Path]) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with one view per raw table, read from the generated files."""
    raw_dir, _ = published
    con = duckdb.connect()
    for path in sorted(raw_dir.iterdir()):
        name = path.name.split(".")[0]
        source = f"{path}/*.parquet" if path.is_dir() else str(path)
        con.execute(f"create view {name} as select * from read_parquet('{source}')")
    return con


@pytest.fixture(scope="module")
def fct_kpi(published: tuple[Path, Path]) -> dict[tuple[str, str, object], float | None]:
    """Overall fct_kpi values by (kpi_name, period_grain, period_start)."""
    _, published_db = published
    with duckdb.connect(str(published_db), read_only=True) as con:
        rows = con.execute(
            "select kpi_name, period_grain, period_start, value from marts.fct_kpi "
            "where dimension_name = 'overall'"
        ).fetchall()
    return {(name, grain, start): value for name, grain, start, value in rows}


# --- independent formulas (kpis.md), over the raw contract tables --------------------------

SURVEY_ANSWERS = """
    select r.answered_at, r.score, d.survey_type, d.scale_min, d.scale_max
    from survey_responses as r
    join survey_definitions as d using (survey_id, question_id)
    where r.score is not null
"""

INDEPENDENT_SQL: dict[str, str] = {
    "nps": f"""
        select date_trunc('month', answered_at)::date as month,
               100.0 * (count(*) filter (where score >= 9) - count(*) filter (where score <= 6))
                   / count(*) as value
        from ({SURVEY_ANSWERS}) where survey_type = 'nps' group by rollup (1)
    """,
    "csat": f"""
        select date_trunc('month', answered_at)::date as month,
               100.0 * count(*) filter (where score >= scale_max - 1) / count(*) as value
        from ({SURVEY_ANSWERS}) where survey_type = 'csat' group by rollup (1)
    """,
    "ces": f"""
        select date_trunc('month', answered_at)::date as month,
               -- each answer rescaled from its survey's scale to the KPI's 1-10 scale
               avg(1 + 9 * (score - scale_min) / (scale_max - scale_min)) as value
        from ({SURVEY_ANSWERS}) where survey_type = 'ces' group by rollup (1)
    """,
    "mttr_hours": """
        select date_trunc('month', resolved_at)::date as month,
               avg(epoch(resolved_at - opened_at) / 3600.0) as value
        from support_tickets where resolved_at is not null group by rollup (1)
    """,
    "referral_rate": """
        select date_trunc('month', ordered_at)::date as month,
               100.0 * count(referral_id) / count(*) as value
        from billing_orders where status = 'completed' group by rollup (1)
    """,
}

# churn: S = customers with a contract covering the month's first day, L = of S none covering
# the next month's first day (a contract whose last covered day is the month's last day churns
# in that month); a contract covers day d when started_at <= d < ended_at (or ended_at null).
CHURN_SQL = """
    with months as (
        select distinct date_trunc('month', d)::date as month
        from (select unnest(range(min(started_at)::timestamp, max(started_at)::timestamp
                                  + interval 1 month, interval 1 month)) as d from crm_contracts)
    ),
    covered as (
        select m.month, c.customer_id,
               bool_or(c.started_at <= m.month
                       and (c.ended_at is null or c.ended_at > m.month)) as at_start,
               bool_or(c.started_at <= m.month + interval 1 month
                       and (c.ended_at is null
                            or c.ended_at > m.month + interval 1 month)) as at_end
        from months as m cross join crm_contracts as c
        group by m.month, c.customer_id
    )
    select month, 100.0 * count(*) filter (where not at_end) / count(*) as value
    from covered where at_start group by month
"""

# clv_historical (grain all): paid invoices + completed orders in the reporting currency (EUR,
# rate of the day or the latest before) / customers with any revenue.
CLV_SQL = """
    with lines as (
        select customer_id, paid_at as revenue_at, amount, currency
        from billing_invoices where status = 'paid' and paid_at is not null
        union all
        select customer_id, ordered_at, amount, currency
        from billing_orders where status = 'completed'
    ),
    converted as (
        select l.customer_id,
               l.amount * case when l.currency = 'EUR' then 1 else f.rate_to_reporting end
                   as amount_eur
        from lines as l
        asof left join fx_rates as f
            on l.currency = f.currency and l.revenue_at::date >= f.rate_date
    )
    select sum(amount_eur) / count(distinct customer_id) as value,
           count(*) filter (where amount_eur is null) as unconverted
    from converted
"""


def _matches(expected: float | None, actual: float | None) -> bool:
    if expected is None or actual is None:
        return expected is actual
    return math.isclose(expected, actual, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _by_month(con: duckdb.DuckDBPyConnection, sql: str) -> dict[object, float]:
    return {month: value for month, value in con.execute(sql).fetchall()}


@pytest.mark.slow
@pytest.mark.parametrize("kpi_name", sorted(INDEPENDENT_SQL))
def test_kpi_matches_raw_computation(
    kpi_name: str, raw: duckdb.DuckDBPyConnection, fct_kpi: dict
) -> None:
    expected = _by_month(raw, INDEPENDENT_SQL[kpi_name])
    assert None in expected, f"{kpi_name}: the generated data has no rows for it"
    assert _matches(expected.pop(None), fct_kpi.get((kpi_name, "all", None))), kpi_name
    assert len(expected) >= 3, f"{kpi_name}: too few months of data to compare"
    for month, value in expected.items():
        actual = fct_kpi.get((kpi_name, "month", month))
        assert _matches(value, actual), f"{kpi_name} {month}: raw {value} != fct_kpi {actual}"


@pytest.mark.slow
def test_churn_rate_matches_raw_computation(raw: duckdb.DuckDBPyConnection, fct_kpi: dict) -> None:
    expected = _by_month(raw, CHURN_SQL)
    compared = 0
    for month, value in expected.items():
        key = ("churn_rate", "month", month)
        if key not in fct_kpi:  # months after the as-of day are not reported
            continue
        assert _matches(value, fct_kpi[key]), f"churn {month}: raw {value} != {fct_kpi[key]}"
        compared += 1
    assert compared >= MONTHS, f"only {compared} months of churn compared"
    assert not any(k[0] == "churn_rate" and k[1] == "all" for k in fct_kpi), "churn is monthly"


@pytest.mark.slow
def test_clv_historical_matches_raw_computation(
    raw: duckdb.DuckDBPyConnection, fct_kpi: dict
) -> None:
    value, unconverted = raw.execute(CLV_SQL).fetchone()
    assert unconverted == 0, "clean data should convert every amount"
    actual = fct_kpi.get(("clv_historical", "all", None))
    assert _matches(value, actual), f"clv_historical: raw {value} != fct_kpi {actual}"


@pytest.mark.slow
def test_every_kpi_of_the_spec_is_published(fct_kpi: dict) -> None:
    spec_kpis = {
        "nps", "csat", "ces", "loyalty_index", "pillar_score", "employee_engagement",
        "churn_rate", "retention_rate", "referral_rate", "cac", "clv_historical", "mttr_hours",
        "first_response_hours", "first_contact_resolution_rate", "complaint_rate",
        "revenue_share_top20", "active_customers", "new_customers", "churned_customers",
        "review_rating", "revenue_per_customer",
    }  # fmt: skip
    published_kpis = {name for name, _, _ in fct_kpi}
    assert spec_kpis <= published_kpis, f"missing: {sorted(spec_kpis - published_kpis)}"
