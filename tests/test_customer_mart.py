"""The customer mart on generated data: one row per CRM customer, no personal data in any marts
table, stitching match rates reported, and the predicted CLV back-tested.

One small generated set (dirty rows included) is landed and built once for the module; dbt
tests and unit tests run in `dbt build` elsewhere (make dbt-test), so the build here skips them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest

from cx360.backtest import backtest, best
from cx360.run_settings import RunSettings
from cx360.warehouse import PROJECT_DIR, Warehouse

pytestmark = pytest.mark.slow  # a dbt build, and one more for the CLV back-test

CUSTOMERS = 400
BIN = Path(sys.executable).parent
STITCHING_RULES = {"customer_id", "email", "phone", "ambiguous", "unmatched", "unknown_customer"}

# Raw columns holding personal data that must never reach a marts table, raw and normalised.
PII_QUERIES = [
    "select email from raw.crm_customers",
    "select phone from raw.crm_customers",
    "select first_name from raw.crm_customers",
    "select last_name from raw.crm_customers",
    "select cast(birth_date as varchar) from raw.crm_customers",
    "select email from staging.stg_crm__customers",
    "select phone from staging.stg_crm__customers",
    "select respondent_email from raw.survey_responses",
    "select requester_email from raw.support_tickets",
    "select requester_phone from raw.support_tickets",
    "select requester_email from staging.stg_support__tickets",
    "select requester_phone from staging.stg_support__tickets",
    "select contact_email from raw.interactions",
    "select contact_phone from raw.interactions",
    "select contact_email from staging.stg_interactions__interactions",
    "select contact_phone from staging.stg_interactions__interactions",
]


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(command[:2])} failed:\n{done.stdout[-4000:]}"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    root = tmp_path_factory.mktemp("customer_mart")
    raw_dir = root / "raw"
    wh = Warehouse(root / "wh")
    env = {**os.environ, **wh.dbt_env()}
    cx360 = str(BIN / "cx360")
    _run(
        [cx360, "generate", "--customers", str(CUSTOMERS), "--seed", "5", "--out", str(raw_dir)]
        + ["--dirty-rate", "0.03", "--batches", "single", "--erasure-requests", "3"],
        env,
    )
    _run([cx360, "land", "--raw-dir", str(raw_dir), "--warehouse-dir", str(wh.root)], env)
    _run(
        [str(BIN / "dbt"), "build", "--exclude-resource-type", "test", "unit_test"]
        + ["--target-path", str(root / "target"), "--log-path", str(root / "logs")],
        env,
    )
    yield wh


def _as_of(warehouse: Warehouse) -> date:
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        return con.execute("select as_of_date from intermediate.int_as_of").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def con(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse.build_db), read_only=True)
    yield connection
    connection.close()


def test_customer_360_has_one_row_per_known_customer(con: duckdb.DuckDBPyConnection) -> None:
    """Every CRM customer except those who asked to be forgotten, once."""
    crm = {
        r[0]
        for r in con.execute(
            "select customer_id from staging.stg_crm__customers where customer_id not in"
            " (select customer_id from staging.stg_privacy__erasure_requests)"
            # erased customers stay in staging under a surrogate (var erasure_policy anonymise)
            " and customer_id not in (select erased_key from"
            " staging.stg_privacy__erased_identities where identity_type = 'customer_id')"
        ).fetchall()
    }
    rows = [r[0] for r in con.execute("select customer_id from marts.customer_360").fetchall()]

    assert len(crm) > CUSTOMERS * 0.9, "the generated CRM should be (nearly) all there"
    assert len(rows) == len(set(rows)), "a customer appears twice in customer_360"
    assert set(rows) == crm, (
        f"missing: {sorted(crm - set(rows))[:5]}, unknown: {sorted(set(rows) - crm)[:5]}"
    )


def _pii_values(con: duckdb.DuckDBPyConnection) -> None:
    """Fill temp table pii(value) with every personal value, lower-cased and trimmed."""
    union = "\nunion\n".join(
        f"select lower(trim(cast(v as varchar))) from ({q}) as t(v)" for q in PII_QUERIES
    )
    con.execute(f"create temp table pii as select * from ({union}) as u(value) where value <> ''")


def _leaks(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """'table.column' of every column of `schema` holding a personal value or an e-mail."""
    columns = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = ? order by table_name, ordinal_position",
        [schema],
    ).fetchall()
    leaks = []
    for table, column in columns:
        value = f'lower(trim(cast("{column}" as varchar)))'
        (hits,) = con.execute(
            f'select count(*) from "{schema}"."{table}"'
            f" where {value} in (select value from pii) or {value} like '%@%'"
        ).fetchone()
        if hits:
            leaks.append(f"{table}.{column} ({hits} rows)")
    return leaks


def test_no_personal_data_in_any_marts_table(warehouse: Warehouse) -> None:
    con = duckdb.connect(str(warehouse.build_db))  # writable: the check uses a temp table
    try:
        _pii_values(con)
        (pii_count,) = con.execute("select count(*) from pii").fetchone()
        assert pii_count > CUSTOMERS, "the personal values to look for were not collected"
        tables = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()
        assert tables[0] >= 5, "expected the marts to be built"

        # the detector must see the personal data where it legitimately lives ...
        staging_leaks = _leaks(con, "staging")
        assert any(leak.startswith("stg_crm__customers.email") for leak in staging_leaks)
        assert any(leak.startswith("stg_crm__customers.last_name") for leak in staging_leaks)
        # ... and none of it in any marts table
        assert _leaks(con, "marts") == []
    finally:
        con.close()


def test_erased_customers_leave_no_trace_in_marts(con: duckdb.DuckDBPyConnection) -> None:
    erased = con.execute("select count(*) from staging.stg_privacy__erasure_requests").fetchone()
    assert erased[0] > 0, "the generated set should hold erasure requests"
    columns = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = 'marts' and data_type = 'VARCHAR'"
    ).fetchall()
    found = []
    for table, column in columns:
        (hits,) = con.execute(
            f'select count(*) from marts."{table}" where "{column}" in'
            " (select customer_id from staging.stg_privacy__erasure_requests)"
        ).fetchone()
        if hits:
            found.append(f"{table}.{column} ({hits} rows)")
    assert found == []


def test_stitching_match_rates_are_reported(con: duckdb.DuckDBPyConnection) -> None:
    rates = con.execute(
        "select source, attribution_rule, rows, share from audit.stitching_match_rates"
    ).fetchall()
    sources = {r[0] for r in rates}
    assert sources == {"survey_answers", "tickets", "interactions"}
    assert {r[1] for r in rates} <= STITCHING_RULES

    source_rows = {
        "tickets": "select count(*) from staging.stg_support__tickets",
        "interactions": "select count(*) from staging.stg_interactions__interactions",
        "survey_answers": "select count(*) from intermediate.int_survey_answers_checked"
        " where quarantine_reason is null",
    }
    for source, query in source_rows.items():
        mine = [r for r in rates if r[0] == source]
        assert sum(r[2] for r in mine) == con.execute(query).fetchone()[0], source
        assert abs(sum(r[3] for r in mine) - 1.0) < 1e-9, source
        # most rows carry their customer_id; the generator leaves some known only by e-mail
        by_rule = {r[1]: r[3] for r in mine}
        assert by_rule.get("customer_id", 0) > 0.5, source
    assert any(r[1] in ("email", "phone") for r in rates), "no row was stitched by e-mail/phone"


def test_stitched_rows_reach_customer_360(con: duckdb.DuckDBPyConnection) -> None:
    """Tickets known only by e-mail/phone count in tickets_12m of their customer."""
    (mismatches,) = con.execute(
        """
        with expected as (
            select t.customer_id, count(*) as tickets
            from intermediate.int_tickets_attributed as t
            cross join intermediate.int_as_of as a
            where t.customer_id is not null
              and t.opened_at >= a.as_of_end - interval 12 month
              and t.opened_at < a.as_of_end
            group by t.customer_id
        )
        select count(*)
        from marts.customer_360 as c
        left join expected as e using (customer_id)
        where c.tickets_12m <> coalesce(e.tickets, 0)
        """
    ).fetchone()
    assert mismatches == 0


def test_predicted_clv_backtest(warehouse: Warehouse) -> None:
    """Build a copy at T = 6 months before the data ends, compare with the next 6 months."""
    data_end = _as_of(warehouse)
    cutoff = data_end - timedelta(days=183)

    result = backtest(warehouse, RunSettings(as_of=cutoff), 6, echo=lambda _: None)

    assert result.as_of == cutoff
    assert result.customers > CUSTOMERS / 2
    model, naive = result.revenue[0], result.revenue[1]
    assert model.actual_total > 0
    assert model.correlation is not None and model.correlation > 0.5, result.markdown()
    assert model.mae < naive.mae, "no better than repeating the last 6 months"
    assert best(result.revenue) is model, result.markdown()
    assert abs(model.total_error) < 0.3, result.markdown()


def test_churn_calibration_gives_contract_customers_a_probability(warehouse: Warehouse) -> None:
    """`cx360 backtest --calibrate`: a logistic fit of churn in the horizon on the risk factors
    at T, stored in the warehouse; the next build gives every active customer a probability and
    contract targets a value at risk on it. Runs last: it changes the module's warehouse."""
    data_end = _as_of(warehouse)
    cutoff = data_end - timedelta(days=365)

    result = backtest(warehouse, RunSettings(as_of=cutoff), 6, calibrate=True, echo=lambda _: None)

    fitted = result.calibration
    assert fitted is not None and fitted.cutoff == cutoff and fitted.horizon_months == 6
    # with an unpenalised intercept the fit's forecast total equals the churners it saw
    forecast = sum(level.predicted for level in fitted.levels)
    assert forecast == pytest.approx(fitted.churned, rel=0.01), fitted.markdown()
    assert sum(level.customers for level in fitted.levels) == fitted.customers

    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        terms = dict(
            con.execute("select term, coefficient from churn_model.calibration").fetchall()
        )
        factors = con.execute("select risk_factor from reference.churn_risk_weights").fetchall()
    finally:
        con.close()
    assert set(terms) == {"intercept", *(factor for (factor,) in factors)}
    assert terms["intercept"] == pytest.approx(fitted.intercept)

    env = {**os.environ, **warehouse.dbt_env()}
    root = warehouse.root.parent
    _run(
        [str(BIN / "dbt"), "build", "--select", "int_customer_churn_risk+", "retention_targets"]
        + ["--exclude-resource-type", "unit_test"]
        + ["--target-path", str(root / "target"), "--log-path", str(root / "logs")],
        env,
    )
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        unpriced = con.execute(
            "select count(*) from intermediate.int_customer_churn_risk "
            "where churn_probability is null or calibration_horizon_months <> 6"
        ).fetchone()[0]
        # a customer with no factor present gets the intercept alone
        (bare,) = con.execute(
            """
            select distinct churn_probability from intermediate.int_customer_churn_risk
            where churn_risk_score = 0
            """
        ).fetchone()
        targets = con.execute(
            """
            select t.value_at_risk_basis, count(*),
                   max(abs(t.value_at_risk - t.clv_predicted * t.churn_probability))
            from marts.retention_targets as t
            inner join marts.customer_360 as c using (customer_id)
            where c.clv_model = 'contract'
            group by 1
            """
        ).fetchall()
    finally:
        con.close()
    assert unpriced == 0
    assert float(bare) == pytest.approx(1 / (1 + np.exp(-fitted.intercept)), abs=1e-6)
    assert [basis for basis, _, _ in targets] == ["calibrated_churn_risk"], targets
    assert all(gap < 0.01 for _, _, gap in targets), targets
    _assert_levels_rate_the_odds_against_the_average(warehouse)


def _assert_levels_rate_the_odds_against_the_average(warehouse: Warehouse) -> None:
    """With a calibration, contract customers' levels are odds ratios against the average
    calibrated probability (seed churn_risk_levels.min_odds_ratio), recomputed here."""
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        rated = con.execute(
            """
            select r.risk_probability::double as p, r.churn_risk_level
            from intermediate.int_customer_churn_risk as r
            where r.churn_risk_basis = 'calibrated_churn_risk'
            """
        ).df()
        levels = con.execute(
            "select churn_risk_level, min_odds_ratio::double as r from reference.churn_risk_levels "
            "order by min_odds_ratio"
        ).fetchall()
    finally:
        con.close()
    assert len(rated) > 100
    average = round(rated["p"].mean(), 6)
    base_odds = average / (1 - average)

    def level_of(p: float) -> str:
        reached = [
            name
            for name, ratio in levels
            if ratio == 0 or (p > average and p / (1 - p) >= ratio * base_odds * (1 - 1e-9))
        ]
        return reached[-1]

    expected = rated["p"].map(level_of)
    mismatched = rated[expected != rated["churn_risk_level"]]
    assert mismatched.empty, mismatched.head()
