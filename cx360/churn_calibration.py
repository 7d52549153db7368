"""Turn the churn risk factors into a probability: `cx360 backtest --calibrate`.

The churn risk score (int_customer_churn_risk) ranks contract customers well (AUC 0.91 on the
generated data) but its weights are a guess and its levels are cut-offs on that guess: it is
not a probability, so value at risk cannot rest on it. This module fits one on the data:

- the sample: the contract customers active at the back-test's cut-off T (the warehouse built
  as it stood at T), with the risk factors present for each (int_customer_risk_factors, the one
  place their rules live) and whether they churned in the H months after T (no contract covering
  the horizon's last day, cx360.backtest.churned_in_horizon);
- the model: a logistic regression of churned on one indicator per factor of seed
  churn_risk_weights (scikit-learn, L2 penalty C=1 on the coefficients only, so a factor seen on
  a handful of customers does not get an infinite weight, and the intercept keeps the predicted
  churn total equal to the observed one on the sample);
- the output: one row per term (intercept, each factor) in table churn_model.calibration of the
  warehouse; the next refresh reads it (macros/churn_model.sql) and gives every active customer
  churn_probability = P(churn within H months), which retention_targets uses for value at risk.

Purchase-model customers are not in the sample: their probability is P(no purchase in the next
90 days) of the purchase model (BG/NBD, cx360.purchase_model.probability_of_no_purchase).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from cx360.errors import Cx360Error
from cx360.warehouse import Warehouse

SCHEMA = "churn_model"
TABLE = f"{SCHEMA}.calibration"
INTERCEPT = "intercept"
# Below these the coefficients are noise: refuse rather than publish a probability from them.
MIN_CUSTOMERS = 100
MIN_EACH_OUTCOME = 10


@dataclass(frozen=True)
class LevelFit:
    """One churn_risk_level at T: customers, how many churned, and the calibrated forecast."""

    level: str
    customers: int
    churned: int
    predicted: float  # sum of the calibrated probabilities: expected churners

    @property
    def share(self) -> float:
        return self.churned / self.customers

    @property
    def predicted_share(self) -> float:
        return self.predicted / self.customers


@dataclass(frozen=True)
class ChurnCalibration:
    cutoff: dt.date
    horizon_months: int
    customers: int
    churned: int
    intercept: float
    coefficients: dict[str, float]  # per risk factor of seed churn_risk_weights
    factor_customers: dict[str, int]  # customers the factor was present for at T
    levels: list[LevelFit]

    def rows(self) -> pd.DataFrame:
        """The table the refresh reads (source churn_model.calibration)."""
        terms = {INTERCEPT: self.intercept, **self.coefficients}
        return pd.DataFrame(
            {
                "term": list(terms),
                "coefficient": list(terms.values()),
                "horizon_months": self.horizon_months,
                "cutoff_date": self.cutoff,
                "customers": self.customers,
                "churned": self.churned,
                "fitted_at": pd.Timestamp.now(tz="UTC").tz_localize(None),
            }
        )

    def markdown(self) -> str:
        lines = [
            f"Churn calibration: {self.customers:,} contract customers active at {self.cutoff}, "
            f"{self.churned:,} churned in the {self.horizon_months} months after "
            f"({self.churned / self.customers:.1%}).",
            "",
            "| term | customers with it | coefficient (log-odds) | odds ratio |",
            "|---|---|---|---|",
            f"| {INTERCEPT} | {self.customers:,} | {self.intercept:+.3f} | |",
        ]
        for factor, coefficient in self.coefficients.items():
            lines.append(
                f"| {factor} | {self.factor_customers[factor]:,} | {coefficient:+.3f} | "
                f"{np.exp(coefficient):.2f} |"
            )
        lines += [
            "",
            "| churn_risk_level at T | customers | churned | share churned | calibrated forecast |",
            "|---|---|---|---|---|",
        ]
        for level in self.levels:
            lines.append(
                f"| {level.level} | {level.customers:,} | {level.churned:,} | {level.share:.1%} | "
                f"{level.predicted_share:.1%} |"
            )
        return "\n".join(lines)


def levels_of(level: pd.Series, churned: np.ndarray, probability: np.ndarray) -> list[LevelFit]:
    """Per churn_risk_level: customers, churned and the sum of their churn probabilities."""
    level = level.to_numpy()
    churned = np.asarray(churned, dtype=int)
    return [
        LevelFit(name, int(at.sum()), int(churned[at].sum()), float(probability[at].sum()))
        for name in ("low", "medium", "high")
        if (at := level == name).any()
    ]


FACTORS_SQL = """
select customer_id, risk_factor from intermediate.int_customer_risk_factors
"""
WEIGHTS_SQL = """
select risk_factor from reference.churn_risk_weights order by weight desc, risk_factor
"""


def fit(
    build_db: Path, frame: pd.DataFrame, churned: np.ndarray, horizon_months: int
) -> ChurnCalibration:
    """Fit on the back-test frame of a build at T (cx360.backtest.FRAME_SQL, one row per
    acquired customer) and its churn outcome; `build_db` is that build's DuckDB file."""
    from sklearn.linear_model import LogisticRegression

    con = duckdb.connect(str(build_db), read_only=True)
    try:
        (cutoff,) = con.execute("select as_of_date from intermediate.int_as_of").fetchone()
        present = con.execute(FACTORS_SQL).df()
        factors = [row[0] for row in con.execute(WEIGHTS_SQL).fetchall()]
    finally:
        con.close()

    sample = frame["follows"].eq("contract") & frame["churn_risk_level"].notna()
    customers = frame.loc[sample, ["customer_id", "churn_risk_level"]].reset_index(drop=True)
    outcome = np.asarray(churned)[sample.to_numpy()].astype(int)
    n_churned = int(outcome.sum())
    fewest_of_an_outcome = min(n_churned, len(outcome) - n_churned)
    if len(customers) < MIN_CUSTOMERS or fewest_of_an_outcome < MIN_EACH_OUTCOME:
        raise Cx360Error(
            f"too few contract customers to calibrate churn at {cutoff}: {len(customers):,} "
            f"active, {n_churned:,} churned in {horizon_months} months (need {MIN_CUSTOMERS} "
            f"customers and {MIN_EACH_OUTCOME} of each outcome)",
            "pick an earlier --as-of or a longer --horizon-months; without a calibration, value "
            "at risk uses churn_risk_score / 100 and says so (value_at_risk_basis)",
        )
    indicators = (
        present.assign(flag=1)
        .pivot_table(index="customer_id", columns="risk_factor", values="flag", fill_value=0)
        .reindex(index=customers["customer_id"], columns=factors, fill_value=0)
        .fillna(0)
        .to_numpy(float)
    )
    model = LogisticRegression(C=1.0, max_iter=1000).fit(indicators, outcome)
    probability = model.predict_proba(indicators)[:, 1]
    levels = levels_of(customers["churn_risk_level"], outcome, probability)
    return ChurnCalibration(
        cutoff=cutoff,
        horizon_months=horizon_months,
        customers=len(customers),
        churned=n_churned,
        intercept=float(model.intercept_[0]),
        coefficients={f: float(c) for f, c in zip(factors, model.coef_[0], strict=True)},
        factor_customers={f: int(n) for f, n in zip(factors, indicators.sum(axis=0), strict=True)},
        levels=levels,
    )


def store(warehouse: Warehouse, calibration: ChurnCalibration) -> None:
    """Replace churn_model.calibration in the warehouse's build database (hold its lease)."""
    con = duckdb.connect(str(warehouse.build_db))
    try:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.register("_calibration", calibration.rows())
        con.execute(f"create or replace table {TABLE} as select * from _calibration")
        con.unregister("_calibration")
    finally:
        con.close()
