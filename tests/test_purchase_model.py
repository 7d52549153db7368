"""The purchase model (BG/NBD + Gamma-Gamma) on real data: the CDNOW sample
(tests/fixtures/cdnow, Fader, Hardie & Lee 2005), as a library fit and through `cx360 run` on
an order-only raw folder; and the back-test's scoring rules. The same fit on Postgres and Spark:
tests/test_engine_parity.py (its raw data holds the CDNOW sample's buyers)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cx360.backtest import auc, best, churn_by_level, score
from cx360.cdnow import read_cdnow, write_raw
from cx360.dbt_runner import dbt_build
from cx360.purchase_model import fit_bgnbd, probability_of_no_purchase
from cx360.run_settings import RunSettings
from cx360.warehouse import PROJECT_DIR, Warehouse

SAMPLE = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = pd.Timestamp("1997-09-30")
# Fader, Hardie & Lee (2005), BG/NBD on CDNOW, 39 weeks of calibration
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
BIN = Path(sys.executable).parent


def _within_2_percent(fitted: dict[str, float]) -> dict[str, float]:
    """Relative error per parameter that is off by more than 2 % (empty: all within)."""
    errors = {k: abs(fitted[k] / v - 1) for k, v in PUBLISHED.items()}
    return {k: e for k, e in errors.items() if e > 0.02}


def test_bgnbd_reproduces_the_published_cdnow_parameters() -> None:
    """The library fit on the calibration summary (purchase days up to 1997-09-30, weeks)."""
    purchases = read_cdnow(SAMPLE)
    days = purchases[purchases["ordered_on"] <= CALIBRATION_END].drop_duplicates(
        ["customer_id", "ordered_on"]
    )
    grouped = days.groupby("customer_id")["ordered_on"]
    first, last, count = grouped.min(), grouped.max(), grouped.count()
    fitted = fit_bgnbd(
        count - 1, (last - first).dt.days / 7.0, (CALIBRATION_END - first).dt.days / 7.0
    )
    params = {k: float(v) for k, v in fitted.params_.items()}
    assert len(first) == 2357
    assert not _within_2_percent(params), params


def _simulate_bgnbd(n: int, weeks_observed: float, weeks_after: float, seed: int) -> pd.DataFrame:
    """Customers drawn from BG/NBD with the published CDNOW parameters, all starting at 0:
    their (x, tx, T) after `weeks_observed` and whether they bought in the `weeks_after` that
    follow (purchases a Poisson process at rate lambda, a drop-out after each purchase with
    probability p)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = (PUBLISHED[k] for k in ("r", "alpha", "a", "b"))
    rows = []
    for rate, drop in zip(rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), strict=True):
        t, purchases, alive = 0.0, [], True
        while alive:
            t += rng.exponential(1 / rate)
            if t > weeks_observed + weeks_after:
                break
            purchases.append(t)
            alive = rng.random() >= drop
        before = [p for p in purchases if p <= weeks_observed]
        rows.append(
            (len(before), max(before, default=0.0), any(p > weeks_observed for p in purchases))
        )
    frame = pd.DataFrame(rows, columns=["x", "tx", "bought_after"])
    frame["T"] = weeks_observed
    return frame


def test_probability_of_no_purchase_matches_simulated_customers() -> None:
    """P(no purchase in the next 90 days) of the purchase model, on customers simulated from
    the model itself: calibrated overall and within each tenth of the prediction (so a wrong
    exponent or a P(alive) left out shows), and a new customer's equals lifetimes' own."""
    from lifetimes import BetaGeoFitter

    weeks_after = 90 / 7.0
    simulated = _simulate_bgnbd(20_000, weeks_observed=39.0, weeks_after=weeks_after, seed=3)
    model = BetaGeoFitter()
    model.params_ = pd.Series(PUBLISHED)
    p_alive = model.conditional_probability_alive(simulated["x"], simulated["tx"], simulated["T"])
    predicted = probability_of_no_purchase(
        PUBLISHED, p_alive, simulated["x"], simulated["T"], weeks_after
    )
    observed = ~simulated["bought_after"]
    assert predicted.mean() == pytest.approx(observed.mean(), abs=0.01)
    tenth = pd.qcut(predicted, 10, labels=False, duplicates="drop")
    by_tenth = pd.DataFrame({"p": predicted, "o": observed, "tenth": tenth}).groupby("tenth")
    gaps = (by_tenth["p"].mean() - by_tenth["o"].mean()).abs()
    assert (gaps < 0.03).all(), gaps

    new = probability_of_no_purchase(PUBLISHED, np.ones(1), [0], [0.0], weeks_after)
    assert new[0] == pytest.approx(
        float(model.probability_of_n_purchases_up_to_time(weeks_after, 0))
    )


def _cx360(args: list[str], warehouse: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    command = [str(BIN / "cx360"), *args, "--warehouse-dir", str(warehouse)]
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def order_only_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """crm_customers + billing_orders and nothing else (no status, no other column)."""
    raw = tmp_path_factory.mktemp("cdnow") / "raw"
    write_raw(read_cdnow(SAMPLE), raw)
    assert sorted(p.name for p in raw.iterdir()) == ["billing_orders.csv", "crm_customers.csv"]
    return raw


ORDER_ONLY_SETTINGS = RunSettings.parse(as_of="1997-09-30", reporting_currency="USD")


@pytest.fixture(scope="module")
def order_only_run(
    order_only_raw: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Warehouse]:
    warehouse = Warehouse(tmp_path_factory.mktemp("cdnow_wh"))
    settings = ORDER_ONLY_SETTINGS
    done = _cx360(
        ["run", "--raw-dir", str(order_only_raw), "--as-of", str(settings.as_of)]
        + ["--reporting-currency", str(settings.reporting_currency)],
        warehouse.root,
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    # the summary says what the data is and what is missing
    assert "business model: transactional (detected): 0 customers on the contractual" in done.stdout
    assert "no support_tickets delivered" in done.stdout
    yield warehouse


def _published(warehouse: Warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse.published_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _build(warehouse: Warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow  # a `cx360 run` on the CDNOW sample
def test_order_only_run_has_churn_retention_and_predicted_clv(order_only_run: Warehouse) -> None:
    wh = order_only_run
    # churn and retention exist for the complete months (a retailer has no contracts)
    rates = _published(
        wh,
        """select kpi_name, count(*), count(value), sum(numerator) from marts.fct_kpi
        where kpi_name in ('churn_rate', 'retention_rate') and dimension_name = 'overall'
          and period_grain = 'month' and period_start >= date '1997-03-01'
        group by kpi_name order by kpi_name""",
    )
    assert [r[0] for r in rates] == ["churn_rate", "retention_rate"]
    for _, months, with_value, numerator in rates:
        assert months == with_value == 7  # March to September 1997, none NULL
        assert numerator > 0  # customers were lost (churn) and kept (retention)

    # every repeat buyer is scored by the purchase model; clv > 0 unless P(alive) is ~0
    rows = _build(
        wh,
        """select c.customer_id, c.clv_model, c.p_alive, c.expected_purchases_12m,
            c.expected_revenue_12m, c.clv_predicted
        from marts.customer_360 as c
        join intermediate.int_customer_purchase_summary as s using (customer_id)
        where s.frequency > 0""",
    )
    assert len(rows) == 946  # CDNOW sample: repeat buyers in the 39 calibration weeks
    assert {r[1] for r in rows} == {"purchase"}
    assert all(None not in r for r in rows)
    assert all(r[5] > 0 for r in rows if r[2] > 1e-3)
    assert sum(1 for r in rows if r[2] <= 1e-3) <= 5
    # P(alive) separates customers: not everyone active, not everyone churned
    (active, total) = _published(
        wh, "select count(*) filter (where is_active), count(*) from marts.customer_360"
    )[0]
    assert 0 < active < total == 2357

    # the stored fit: as-of day, window, the published parameters
    params = dict(
        _build(wh, "select parameter, value from purchase_model.parameters where model = 'bgnbd'")
    )
    assert not _within_2_percent(params), params
    window = _build(
        wh, "select distinct as_of_date, data_window_start from purchase_model.parameters"
    )
    assert [(str(a)[:10], str(s)[:10]) for a, s in window] == [("1997-09-30", "1997-01-01")]


@pytest.mark.slow  # a `cx360 run` on the CDNOW sample
def test_order_only_run_fakes_nothing(order_only_run: Warehouse) -> None:
    wh = order_only_run
    for table in ("crm_contracts", "billing_invoices", "survey_responses", "support_tickets"):
        assert _build(wh, f"select count(*) from raw.{table}") == [(0,)]
    # no survey or ticket data: those KPIs have no value (never a 0 measured on nothing)
    measured = _published(
        wh,
        """select count(*) from marts.fct_kpi
        where kpi_name in ('nps', 'csat', 'mttr_hours') and value is not null""",
    )
    assert measured == [(0,)]
    # every order counted as a purchase (no status column: completed), nothing quarantined
    assert _build(wh, "select count(*) from intermediate.int_revenue_lines") == [(6919,)]
    assert _build(wh, "select count(*) from audit.quarantine") == [(0,)]


# A table written outside dbt, read through macros/optional_source.sql: the predictions of the
# purchase model, read by int_customer_clv. Rebuilt on a copy of the order-only run's build with
# the refresh's own dbt command and settings.
CLV_MODEL = "int_customer_clv"


def _clv_predictions(warehouse: Warehouse) -> dict[str, tuple]:
    """customer_id -> (p_no_purchase_90d, p_alive) of int_customer_clv in the build."""
    (schema,) = _build(
        warehouse,
        f"select table_schema from information_schema.tables where table_name = '{CLV_MODEL}'",
    )[0]
    rows = _build(
        warehouse, f"select customer_id, p_no_purchase_90d, p_alive from {schema}.{CLV_MODEL}"
    )
    return {customer_id: tuple(rest) for customer_id, *rest in rows}


def _rebuild_clv_model(warehouse: Warehouse) -> None:
    lines: list[str] = []
    result = dbt_build(
        warehouse,
        extra_args=[*ORDER_ONLY_SETTINGS.dbt_args(), "--select", CLV_MODEL],
        echo=lines.append,
    )
    assert result.returncode == 0, "\n".join(lines[-40:])
    built = [n for n in result.nodes if n.unique_id.endswith(f".{CLV_MODEL}")]
    assert [n.status for n in built] == ["success"], "\n".join(lines[-40:])


@pytest.mark.slow  # two one-model dbt builds on the order-only run
def test_predictions_missing_a_column_or_missing_read_as_null(
    order_only_run: Warehouse, tmp_path: Path
) -> None:
    """A column the predictions table lacks (written by an older cx360) reads as NULL and the
    rest is still read; without the table the model still builds, nobody scored (NULL, not 0)."""
    warehouse = Warehouse(tmp_path / "warehouse")
    shutil.copytree(order_only_run.root, warehouse.root)
    before = _clv_predictions(warehouse)
    assert sum(p_no_purchase is not None for p_no_purchase, _ in before.values()) > 1000
    assert sum(p_alive is not None for _, p_alive in before.values()) > 1000

    with duckdb.connect(str(warehouse.build_db)) as con:
        con.execute("alter table purchase_model.customer_predictions drop p_no_purchase_90d")
    _rebuild_clv_model(warehouse)
    without_column = _clv_predictions(warehouse)
    assert without_column.keys() == before.keys()
    assert all(p_no_purchase is None for p_no_purchase, _ in without_column.values())
    assert {c: p for c, (_, p) in without_column.items()} == {c: p for c, (_, p) in before.items()}

    with duckdb.connect(str(warehouse.build_db)) as con:
        con.execute("drop table purchase_model.customer_predictions")
    _rebuild_clv_model(warehouse)
    without_table = _clv_predictions(warehouse)
    assert without_table.keys() == before.keys()
    assert all(row == (None, None) for row in without_table.values())


@pytest.mark.slow  # a `cx360 run` on the CDNOW sample
def test_usd_orders_in_a_eur_run_block_with_the_way_out(
    order_only_raw: Path, tmp_path: Path
) -> None:
    done = _cx360(["run", "--raw-dir", str(order_only_raw), "--as-of", "1997-09-30"], tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "no fx rate USD->EUR: load fx_rates or set --reporting-currency USD" in output
    assert not Warehouse(tmp_path).published_db.exists()


def test_a_constant_prediction_is_never_the_best() -> None:
    """Zero-inflated actuals (most customers buy nothing): the all-zero and the mean
    predictions have a low RMSE, but they rank nobody, so they cannot be chosen."""
    rng = np.random.default_rng(3)
    actual = np.where(rng.uniform(size=2000) < 0.8, 0.0, rng.gamma(2.0, 50.0, 2000))
    noisy_model = np.clip(actual + rng.normal(0, 150, 2000), 0, None)  # worse RMSE, but ranks
    scores = [
        score("model", noisy_model, actual),
        score("all zero", np.zeros(2000), actual),
        score("mean", np.full(2000, actual.mean()), actual),
    ]
    assert scores[2].rmse < scores[0].rmse  # the trap the old MAE-only back-test fell into
    assert best(scores) is scores[0]
    assert best(scores[1:]) is None


def test_auc_counts_ranked_pairs() -> None:
    assert auc(np.array([0.9, 0.8, 0.2, 0.1]), np.array([True, True, False, False])) == 1.0
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([True, True, False, False])) == 0.0
    assert auc(np.full(4, 0.5), np.array([True, False, True, False])) == 0.5
    assert auc(np.ones(3), np.array([True, True, True])) is None


def test_churn_by_level_counts_each_business_model_by_its_own_rule() -> None:
    """Contract customers churn when no contract covers the horizon's end; purchase customers
    when they buy nothing in it; customers with no level (not active) are left out; each basis
    the levels are rated on is counted apart."""
    frame = pd.DataFrame(
        {
            "churn_risk_basis": ["churn_risk_score"] * 2 + ["calibrated_churn_risk"] * 4,
            "churn_risk_level": ["low", "low", "high", "high", "high", None],
            "follows": ["contract", "purchase", "contract", "contract", "purchase", "contract"],
            "covered_at_horizon_end": [True, False, False, True, False, False],
            "actual_revenue": [10.0, 0.0, 50.0, 0.0, 30.0, 0.0],
        }
    )
    levels = churn_by_level(frame)
    assert [(x.basis, x.level, x.customers, x.churned) for x in levels] == [
        ("calibrated_churn_risk", "high", 3, 1),
        ("churn_risk_score", "low", 2, 1),
    ]
    low = levels[1]
    assert low.share == 0.5
    assert 0.05 < low.ci_low < 0.5 < low.ci_high < 0.95  # Wilson: never outside 0..1
