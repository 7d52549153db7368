"""`cx360 backtest --as-of T --horizon-months H`: predicted vs actual, per customer.

On a copy of a landed (or built) DuckDB warehouse, the refresh's purchase model step and the
models behind int_customer_clv are built with the as-of day pinned to T, so they know nothing
after T; int_revenue_lines still holds every revenue line, which gives what really happened in
the H months after T. Per acquired customer:

- purchases (customers who follow the purchase model): BG/NBD's expected purchases in the
  horizon vs purchase days in it;
- revenue (every customer): expected revenue in the horizon (purchase model: purchases x
  Gamma-Gamma spend; contractual model: monthly value x sum of retention^t) vs revenue paid;
- alive: AUC of P(alive) for "bought again in the horizon" (purchase customers), and AUC of
  the churn risk score for "no revenue in the horizon" (every customer);
- churn per churn_risk_level at T, and with --calibrate a churn probability fitted on the risk
  factors at T (cx360/churn_calibration.py), stored in the warehouse for the next refresh.

Each prediction is scored next to two baselines: naive (the H months before T repeated) and a
constant (the population mean). A prediction that does not rank customers (no variance: a
constant, all zeros) cannot be the best, whatever its error: `best` is the lowest RMSE among
the predictions with a correlation.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import rankdata

from cx360.churn_calibration import ChurnCalibration, LevelFit, levels_of
from cx360.errors import Cx360Error
from cx360.lease import new_run_id, warehouse_lease
from cx360.run_settings import RunSettings
from cx360.warehouse import Warehouse

WEEKS_PER_MONTH = 52.0 / 12.0
NAIVE = "naive (the H months before T repeated)"
CONSTANT = "constant (population mean of naive)"


@dataclass(frozen=True)
class LevelChurn:
    """Active customers of one churn_risk_level at the cut-off, rated on one churn_risk_basis,
    and how many churned in the horizon: what the level means on the data (Wilson 95 %
    interval). A level means something else on each basis, so they are counted apart."""

    basis: str
    level: str
    customers: int
    churned: int

    @property
    def share(self) -> float:
        return self.churned / self.customers

    def _wilson(self, sign: int) -> float:
        n, p, z = self.customers, self.share, 1.959964
        centre = p + z * z / (2 * n)
        spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        return (centre + sign * spread) / (1 + z * z / n)

    @property
    def ci_low(self) -> float:
        return self._wilson(-1)

    @property
    def ci_high(self) -> float:
        return self._wilson(+1)


@dataclass(frozen=True)
class Score:
    """One prediction of one quantity against the actual values."""

    name: str
    predicted_total: float
    actual_total: float
    rmse: float
    mae: float
    correlation: float | None  # None: the prediction does not vary

    @property
    def total_error(self) -> float:
        if self.actual_total == 0:
            return math.nan
        return self.predicted_total / self.actual_total - 1


def score(name: str, predicted: np.ndarray, actual: np.ndarray) -> Score:
    predicted = np.asarray(predicted, dtype=float)
    actual = np.asarray(actual, dtype=float)
    # exact comparison: a constant array can show a std of 1e-14 from rounding
    varies = np.ptp(predicted) > 0 and np.ptp(actual) > 0
    return Score(
        name=name,
        predicted_total=float(predicted.sum()),
        actual_total=float(actual.sum()),
        rmse=float(np.sqrt(np.mean((predicted - actual) ** 2))),
        mae=float(np.mean(np.abs(predicted - actual))),
        correlation=float(np.corrcoef(predicted, actual)[0, 1]) if varies else None,
    )


def best(scores: list[Score]) -> Score | None:
    """Lowest RMSE among the predictions that rank customers (a correlation exists)."""
    ranked = [s for s in scores if s.correlation is not None]
    return min(ranked, key=lambda s: s.rmse) if ranked else None


def auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney), None when one class is empty."""
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(np.asarray(scores, dtype=float))
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


@dataclass
class BacktestResult:
    as_of: dt.date
    horizon_months: int
    customers: int
    purchase_customers: int
    purchases: list[Score] = field(default_factory=list)
    revenue: list[Score] = field(default_factory=list)
    auc_p_alive: float | None = None
    auc_p_alive_repeat: float | None = None
    auc_expected_purchases: float | None = None
    auc_churn_risk: float | None = None
    auc_no_purchase_90d: float | None = None
    churn_by_level: list[LevelChurn] = field(default_factory=list)
    calibration: ChurnCalibration | None = None
    # the calibration stored before the back-test, scored on the customers at T (out of sample
    # when it was fitted at an earlier cut-off): per level, forecast vs churned
    stored_calibration: list[LevelFit] = field(default_factory=list)

    def markdown(self) -> str:
        lines = [
            f"cut-off {self.as_of}, horizon {self.horizon_months} months, "
            f"{self.customers:,} customers ({self.purchase_customers:,} on the purchase model)",
            "",
            "| quantity | prediction | predicted total | actual total | total error | RMSE | "
            "MAE | correlation |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for quantity, scores in (("purchases", self.purchases), ("revenue", self.revenue)):
            winner = best(scores)
            for s in scores:
                mark = " (best)" if winner is s else ""
                corr = "n/a (constant)" if s.correlation is None else f"{s.correlation:.3f}"
                lines.append(
                    f"| {quantity} | {s.name}{mark} | {s.predicted_total:,.0f} | "
                    f"{s.actual_total:,.0f} | {s.total_error:+.1%} | {s.rmse:,.2f} | "
                    f"{s.mae:,.2f} | {corr} |"
                )
        lines.append("")
        for label, value in (
            ("AUC of P(alive) for 'bought again in the horizon'", self.auc_p_alive),
            ("the same, repeat buyers only (x > 0)", self.auc_p_alive_repeat),
            ("AUC of expected purchases for 'bought again in the horizon'",
             self.auc_expected_purchases),
            ("AUC of P(no purchase in 90 days) for 'bought nothing in the horizon'",
             self.auc_no_purchase_90d),
            ("AUC of churn_risk_score (active customers) for 'no revenue in the horizon'",
             self.auc_churn_risk),
        ):  # fmt: skip
            lines.append(f"- {label}: {'n/a' if value is None else f'{value:.3f}'}")
        if self.churn_by_level:
            lines += [
                "",
                f"Churn risk levels at the cut-off against churn in the {self.horizon_months} "
                "months after (contract customers: no contract covering the horizon's last day; "
                "purchase customers: no revenue in the horizon):",
                "",
                "| churn_risk_basis | churn_risk_level | customers | churned | share churned "
                "| 95 % interval |",
                "|---|---|---|---|---|---|",
            ]
            for level in self.churn_by_level:
                lines.append(
                    f"| {level.basis} | {level.level} | {level.customers:,} | {level.churned:,} | "
                    f"{level.share:.1%} | {level.ci_low:.1%} - {level.ci_high:.1%} |"
                )
        if self.stored_calibration:
            lines += [
                "",
                "The stored churn calibration on the contract customers at the cut-off "
                "(churn_probability, a forecast made without the horizon):",
                "",
                "| churn_risk_level | customers | churned | share churned | forecast |",
                "|---|---|---|---|---|",
            ]
            for level in self.stored_calibration:
                lines.append(
                    f"| {level.level} | {level.customers:,} | {level.churned:,} | "
                    f"{level.share:.1%} | {level.predicted_share:.1%} |"
                )
        if self.calibration is not None:
            lines += ["", self.calibration.markdown()]
        return "\n".join(lines)


def _scratch_copy(warehouse: Warehouse) -> Warehouse:
    if warehouse.target != "duckdb":
        raise Cx360Error(
            f"cx360 backtest runs on a DuckDB warehouse, not {warehouse.target}",
            "land the same raw folder into a DuckDB warehouse (cx360 land) and back-test there",
        )
    if not warehouse.build_db.exists():
        raise Cx360Error(
            f"no landed warehouse at {warehouse.root} (no {warehouse.build_db.name})",
            f"land a raw folder first: cx360 land --raw-dir <raw> --warehouse-dir {warehouse.root}",
        )
    scratch = Warehouse(warehouse.root / "backtest")
    if scratch.root.exists():
        shutil.rmtree(scratch.root)
    scratch.ensure_dirs()
    shutil.copy(warehouse.build_db, scratch.build_db)
    return scratch


def build_at(warehouse: Warehouse, settings: RunSettings, *, echo=print) -> None:
    """The purchase model step, then dbt builds what int_customer_clv needs, at settings.as_of."""
    from cx360.dbt_runner import dbt_build
    from cx360.pipeline import check_build
    from cx360.purchase_model import fit_purchase_model_step

    fit = fit_purchase_model_step(warehouse, settings.dbt_vars(), echo=echo)
    echo(f"purchase model: {fit.describe()}")
    selection = [
        "+int_customer_clv",
        "+int_revenue_lines",
        "+int_customer_churn_risk",
        "+int_customer_risk_factors",
    ]
    args = ["--select", *selection, "--exclude-resource-type", "test", *settings.dbt_args()]
    check_build(dbt_build(warehouse, extra_args=args, echo=echo), warehouse)


FRAME_SQL = """
with as_of as (select as_of_date, as_of_end from intermediate.int_as_of),
window_revenue as (
    select
        lines.customer_id,
        sum(case when lines.revenue_at >= a.as_of_end
                  and lines.revenue_at < a.as_of_end + to_months($h)
                 then lines.amount_reporting else 0 end) as actual_revenue,
        sum(case when lines.revenue_at < a.as_of_end
                  and lines.revenue_at >= a.as_of_end - to_months($h)
                 then lines.amount_reporting else 0 end) as naive_revenue,
        count(distinct case when lines.source = 'order' and lines.revenue_at >= a.as_of_end
                  and lines.revenue_at < a.as_of_end + to_months($h)
                 then cast(lines.revenue_at as date) end) as actual_purchases,
        count(distinct case when lines.source = 'order' and lines.revenue_at < a.as_of_end
                  and lines.revenue_at >= a.as_of_end - to_months($h)
                 then cast(lines.revenue_at as date) end) as naive_purchases
    from intermediate.int_revenue_lines as lines
    cross join as_of as a
    group by lines.customer_id
)
select
    clv.customer_id,
    clv.follows,
    clv.monthly_value,
    clv.monthly_retention,
    clv.p_alive,
    clv.p_no_purchase_90d,
    summary.frequency,
    summary.recency_weeks,
    summary.t_weeks,
    predictions.expected_spend_per_purchase,
    risk.churn_risk_score,
    risk.churn_risk_level,
    risk.churn_risk_basis,
    risk.churn_probability,
    exists (
        select 1 from staging.stg_crm__contracts as k cross join as_of as a
        where k.customer_id = clv.customer_id
          and k.started_at <= cast(a.as_of_end + to_months($h) as date)
          and (k.ended_at is null or k.ended_at > cast(a.as_of_end + to_months($h) as date))
    ) as covered_at_horizon_end,
    coalesce(w.actual_revenue, 0) as actual_revenue,
    coalesce(w.naive_revenue, 0) as naive_revenue,
    coalesce(w.actual_purchases, 0) as actual_purchases,
    coalesce(w.naive_purchases, 0) as naive_purchases
from intermediate.int_customer_clv as clv
left join intermediate.int_customer_purchase_summary as summary using (customer_id)
left join purchase_model.customer_predictions as predictions using (customer_id)
left join intermediate.int_customer_churn_risk as risk using (customer_id)
left join window_revenue as w using (customer_id)
"""


def _bgnbd(con: duckdb.DuckDBPyConnection):
    from lifetimes import BetaGeoFitter

    rows = con.execute(
        "select parameter, value from purchase_model.parameters "
        "where model = 'bgnbd' and value is not null"
    ).fetchall()
    if len(rows) != 4:
        return None
    model = BetaGeoFitter()
    model.params_ = pd.Series(dict(rows))[["r", "alpha", "a", "b"]]
    return model


def measure(build_db: Path, horizon_months: int, *, calibrate: bool = False) -> BacktestResult:
    """Score int_customer_clv of a build at T against the H months after T; with `calibrate`,
    fit the churn probability on the risk factors at T too (result.calibration)."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        (as_of,) = con.execute("select as_of_date from intermediate.int_as_of").fetchone()
        frame = con.execute(FRAME_SQL, {"h": horizon_months}).df()
        model = _bgnbd(con)
    finally:
        con.close()
    if frame.empty:
        raise Cx360Error(
            f"no acquired customer at {as_of}", "pick a later --as-of (customers with revenue)"
        )
    weeks = horizon_months * WEEKS_PER_MONTH
    purchase = frame["follows"].eq("purchase") & frame["frequency"].notna()
    expected = np.zeros(len(frame))
    if model is not None and purchase.any():
        rows = frame[purchase]
        expected[purchase.to_numpy()] = model.conditional_expected_number_of_purchases_up_to_time(
            weeks, rows["frequency"], rows["recency_weeks"], rows["t_weeks"]
        )
    contract = frame["follows"].eq("contract")
    retention = frame["monthly_retention"].fillna(0).to_numpy()
    months_billed = sum(retention**t for t in range(1, horizon_months + 1))
    active = frame["p_alive"].fillna(0).to_numpy() > 0
    revenue = np.where(
        contract,
        np.where(active, frame["monthly_value"].fillna(0) * months_billed, 0.0),
        expected * frame["expected_spend_per_purchase"].fillna(0).to_numpy(),
    )
    result = BacktestResult(
        as_of=as_of,
        horizon_months=horizon_months,
        customers=len(frame),
        purchase_customers=int(purchase.sum()),
    )
    if purchase.any() and model is not None:
        p_actual = frame.loc[purchase, "actual_purchases"].to_numpy(float)
        p_model = expected[purchase.to_numpy()]
        p_naive = frame.loc[purchase, "naive_purchases"].to_numpy(float)
        result.purchases = [
            score("cx360 (BG/NBD)", p_model, p_actual),
            score(NAIVE, p_naive, p_actual),
            score(CONSTANT, np.full(len(p_actual), p_naive.mean()), p_actual),
        ]
        p_alive = frame.loc[purchase, "p_alive"].to_numpy(float)
        result.auc_p_alive = auc(p_alive, p_actual > 0)
        # BG/NBD holds every customer without a repeat purchase alive (P = 1): rank those apart
        repeat = frame.loc[purchase, "frequency"].to_numpy(float) > 0
        result.auc_p_alive_repeat = auc(p_alive[repeat], p_actual[repeat] > 0)
        result.auc_expected_purchases = auc(p_model, p_actual > 0)
        quiet = frame.loc[purchase, "p_no_purchase_90d"].to_numpy(float)
        known = ~np.isnan(quiet)
        result.auc_no_purchase_90d = auc(quiet[known], p_actual[known] == 0)
    r_actual = frame["actual_revenue"].to_numpy(float)
    r_naive = frame["naive_revenue"].to_numpy(float)
    result.revenue = [
        score("cx360", revenue, r_actual),
        score(NAIVE, r_naive, r_actual),
        score(CONSTANT, np.full(len(r_actual), r_naive.mean()), r_actual),
        score("all zero", np.zeros(len(r_actual)), r_actual),
    ]
    # the score exists for active customers only: rank those (a missing score is not "low")
    scored = frame["churn_risk_score"].notna().to_numpy()
    if scored.any():
        result.auc_churn_risk = auc(
            frame.loc[scored, "churn_risk_score"].to_numpy(float), r_actual[scored] <= 0
        )
    result.churn_by_level = churn_by_level(frame)
    calibrated = frame["follows"].eq("contract") & frame["churn_probability"].notna()
    if calibrated.any():
        result.stored_calibration = levels_of(
            frame.loc[calibrated, "churn_risk_level"],
            churned_in_horizon(frame)[calibrated.to_numpy()],
            frame.loc[calibrated, "churn_probability"].to_numpy(float),
        )
    if calibrate:
        from cx360 import churn_calibration

        result.calibration = churn_calibration.fit(
            build_db, frame, churned_in_horizon(frame), horizon_months
        )
    return result


def churned_in_horizon(frame: pd.DataFrame) -> np.ndarray:
    """Per row: churned in the horizon (contract customers: no contract covering its last day;
    purchase customers: no revenue in it)."""
    return np.where(
        frame["follows"].eq("contract"),
        ~frame["covered_at_horizon_end"].astype(bool),
        frame["actual_revenue"].to_numpy(float) <= 0,
    )


def churn_by_level(frame: pd.DataFrame) -> list[LevelChurn]:
    """Per churn_risk_basis and churn_risk_level of the active customers at the cut-off: how
    many churned in the horizon (churned_in_horizon)."""
    scored = frame[frame["churn_risk_level"].notna()]
    churned = churned_in_horizon(scored)
    counts = pd.DataFrame(
        {
            "basis": scored["churn_risk_basis"].to_numpy(),
            "level": scored["churn_risk_level"].to_numpy(),
            "churned": churned,
        }
    )
    order = {"low": 0, "medium": 1, "high": 2}
    return [
        LevelChurn(str(basis), str(level), len(group), int(group["churned"].sum()))
        for (basis, level), group in sorted(
            counts.groupby(["basis", "level"]),
            key=lambda item: (str(item[0][0]), order.get(str(item[0][1]), 99)),
        )
    ]


def backtest(
    warehouse: Warehouse,
    settings: RunSettings,
    horizon_months: int,
    *,
    calibrate: bool = False,
    echo=print,
) -> BacktestResult:
    """Build a copy of `warehouse` at settings.as_of and measure it (`cx360 backtest`); pass
    the reporting currency and business model the refresh uses. With `calibrate`, the churn
    calibration fitted at T replaces churn_model.calibration in `warehouse` (the next refresh
    applies it). Holds the warehouse lease: a refresh must not write while it is copied."""
    if settings.as_of is None:
        raise Cx360Error("the back-test needs a cut-off day", "pass --as-of YYYY-MM-DD")
    if horizon_months < 1:
        raise Cx360Error("--horizon-months must be at least 1", "e.g. --horizon-months 6")
    with warehouse_lease(warehouse.root, new_run_id()):
        scratch = _scratch_copy(warehouse)
        build_at(scratch, settings, echo=echo)
        result = measure(scratch.build_db, horizon_months, calibrate=calibrate)
        if result.calibration is not None:
            from cx360 import churn_calibration

            churn_calibration.store(warehouse, result.calibration)
    return result
