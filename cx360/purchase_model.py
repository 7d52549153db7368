"""The purchase model of transactional customers: BG/NBD (repeat purchases) and Gamma-Gamma
(spend per purchase), fitted with lifetimes (Fader, Hardie & Lee 2005; choice in docs/clv.md).

The refresh runs it as its own step, `fit_purchase_model_step`, between landing and the dbt build:

1. dbt builds `int_customer_purchase_summary` (and what it needs), so the cleaning rules of
   staging and the as-of day apply: one row per customer with completed orders before the
   as-of day (frequency = repeat purchase days, recency and T in weeks, mean repeat spend);
2. this module fits both models on it and writes two tables in schema `purchase_model`:
   `parameters` (one row per parameter, with the as-of day and data window) and
   `customer_predictions` (p_alive, P(no purchase in 90 days), expected purchases and revenue
   in 12 months, clv);
3. the dbt build reads them (sources, through macros/purchase_model.sql) into int_customer_clv.

Too little data to fit (fewer than MIN_REPEAT_BUYERS repeat buyers) writes no predictions:
the columns are NULL and the summary says why. A customer with less than
`purchase_model_min_history_days` of history gets the population's values, flagged.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cx360.errors import BuildError, Cx360Error
from cx360.warehouse import PROJECT_DIR, PostgresSettings, Warehouse

if TYPE_CHECKING:
    from cx360.dbt_runner import DbtBuildResult

SCHEMA = "purchase_model"
SUMMARY_MODEL = "int_customer_purchase_summary"
# The nodes the purchase model step builds and tests before the fit: the summary, its
# ancestors, and (cautious) only the tests whose parents are all among them. The refresh's main
# build excludes the same nodes (`--exclude` with the same selection mode), so each node is
# built and tested once: the two selections partition the project (tests/test_pipeline.py).
SUMMARY_SELECTION = ("--indirect-selection", "cautious")
SUMMARY_BUILD_ARGS = ("--select", f"+{SUMMARY_MODEL}", *SUMMARY_SELECTION)
SUMMARY_BUILT = ("--exclude", f"+{SUMMARY_MODEL}", *SUMMARY_SELECTION)
# Spark: the fit runs in a child process with its own Spark session (_fit_in_spark_child)
# Below this many repeat buyers the four BG/NBD parameters are not identified well enough.
MIN_REPEAT_BUYERS = 20
WEEKS_PER_MONTH = 52.0 / 12.0
HORIZON_12M_WEEKS = 52.0
# The churn risk horizon of a purchase customer: P(no purchase in the next 90 days) rates and
# prices them (int_customer_churn_risk), and is what `cx360 backtest --horizon-months 3` checks.
NO_PURCHASE_HORIZON_WEEKS = 90 / 7.0


@dataclass(frozen=True)
class ModelSettings:
    """dbt vars the fit reads (dbt_project.yml), overridden by the run's --vars."""

    clv_horizon_months: int = 36
    clv_annual_discount_rate: float = 0.10
    clv_gross_margin: float = 1.0
    purchase_model_min_history_days: int = 28

    @classmethod
    def from_project(cls, overrides: dict[str, object] | None = None) -> ModelSettings:
        import yaml

        project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
        values = {**project.get("vars", {}), **(overrides or {})}
        fields = [k for k in cls.__dataclass_fields__ if k in values]
        return cls(**{k: type(getattr(cls, k))(values[k]) for k in fields})

    @property
    def monthly_discount(self) -> float:
        return (1 + self.clv_annual_discount_rate) ** (1 / 12) - 1


@dataclass(frozen=True)
class FitResult:
    as_of_date: dt.date | None
    customers: int
    repeat_buyers: int
    parameters: dict[str, float] = field(default_factory=dict)
    note: str = ""  # why nothing was fitted, when nothing was
    # The refresh step's dbt build of the purchase summary and what it needs, tests included
    # (fit_purchase_model_step): the refresh's main build skips those nodes, SUMMARY_BUILT.
    upstream_build: DbtBuildResult | None = None

    @property
    def fitted(self) -> bool:
        return bool(self.parameters)

    def describe(self) -> str:
        if not self.fitted:
            return self.note or "not fitted"
        shown = ", ".join(f"{k.split('_')[-1]} {v:.3f}" for k, v in self.parameters.items())
        return (
            f"fitted at {self.as_of_date} on {self.customers:,} customers "
            f"({self.repeat_buyers:,} repeat buyers): {shown}"
        )


def fit_bgnbd(frequency: pd.Series, recency: pd.Series, T: pd.Series):  # noqa: N803 (model's name)
    """BG/NBD fitted by maximum likelihood (lifetimes.BetaGeoFitter, no penalty)."""
    from lifetimes import BetaGeoFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes' pandas deprecation notices
        return BetaGeoFitter(penalizer_coef=0.0).fit(frequency, recency, T)


def fit_gamma_gamma(frequency: pd.Series, monetary_value: pd.Series):
    """Gamma-Gamma spend model on repeat buyers with a positive mean spend."""
    from lifetimes import GammaGammaFitter

    keep = (frequency > 0) & (monetary_value > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GammaGammaFitter(penalizer_coef=0.0).fit(frequency[keep], monetary_value[keep])


def probability_of_no_purchase(
    params: pd.Series | dict,
    p_alive: np.ndarray,
    x: pd.Series,
    T: pd.Series,  # noqa: N803 (model's name)
    weeks: float,
) -> np.ndarray:
    """BG/NBD: P(no purchase in the `weeks` after T | P(alive) at T, x repeat purchases, T
    weeks of history). A customer drops out only right after a purchase, so one who is alive at
    T buys nothing in the window when the next purchase falls after it, probability
    E[exp(-lambda t)] under lambda's posterior given alive, Gamma(r + x, alpha + T):
    ((alpha + T) / (alpha + T + t)) ** (r + x); a customer already gone buys nothing:
    P = (1 - P(alive)) + P(alive) * ((alpha + T) / (alpha + T + t)) ** (r + x).
    lifetimes has it only for a new customer (probability_of_n_purchases_up_to_time)."""
    r, alpha = float(params["r"]), float(params["alpha"])
    x, T, p_alive = (np.asarray(v, dtype=float) for v in (x, T, p_alive))  # noqa: N806
    stays_quiet = ((alpha + T) / (alpha + T + weeks)) ** (r + x)
    return (1.0 - p_alive) + p_alive * stays_quiet


def predict(
    summary: pd.DataFrame, settings: ModelSettings
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Fit both models on a purchase summary (columns customer_id, frequency, recency_weeks,
    t_weeks, monetary_value) and return per-customer predictions and the parameters."""
    bg = fit_bgnbd(summary["frequency"], summary["recency_weeks"], summary["t_weeks"])
    gg = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    x, tx, T = summary["frequency"], summary["recency_weeks"], summary["t_weeks"]  # noqa: N806
    # too little history: the population's values (a new customer of the fitted population)
    young = summary["t_weeks"] < settings.purchase_model_min_history_days / 7.0
    p, q, v = (gg.params_[k] for k in ("p", "q", "v"))
    population_spend = p * v / (q - 1) if q > 1 else np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p_alive = bg.conditional_probability_alive(x, tx, T)
        spend = gg.conditional_expected_average_profit(x, summary["monetary_value"].where(x > 0, 0))
    spend = np.where(x > 0, spend, population_spend)
    spend = np.where(young, population_spend, spend)

    def expected(weeks: float) -> np.ndarray:
        own = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(weeks, x, tx, T))
        return np.where(young, float(bg.expected_number_of_purchases_up_to_time(weeks)), own)

    purchases_12m = expected(HORIZON_12M_WEEKS)
    no_purchase_90d = np.where(
        young,
        float(bg.probability_of_n_purchases_up_to_time(NO_PURCHASE_HORIZON_WEEKS, 0)),
        probability_of_no_purchase(bg.params_, p_alive, x, T, NO_PURCHASE_HORIZON_WEEKS),
    )
    # discounted value over the horizon, month by month (as lifetimes' customer_lifetime_value)
    clv = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for month in range(1, settings.clv_horizon_months + 1):
        cumulative = expected(month * WEEKS_PER_MONTH)
        clv += (cumulative - previous) * spend / (1 + settings.monthly_discount) ** month
        previous = cumulative
    predictions = pd.DataFrame(
        {
            "customer_id": summary["customer_id"],
            "p_alive": np.where(young, 1.0, p_alive),
            "p_no_purchase_90d": no_purchase_90d,
            "expected_purchases_12m": purchases_12m,
            "expected_spend_per_purchase": spend,
            "expected_revenue_12m": purchases_12m * spend,
            "clv_predicted": settings.clv_gross_margin * clv,
            "is_population_value": young,
        }
    )
    parameters = {**{f"bgnbd_{k}": float(v) for k, v in bg.params_.items()}}
    parameters.update({f"gamma_gamma_{k}": float(v) for k, v in gg.params_.items()})
    return predictions, parameters


# -- the warehouse side ---------------------------------------------------------------------

PARAMETER_COLUMNS = (
    "model", "parameter", "value", "as_of_date", "data_window_start", "data_window_end",
    "customers", "repeat_buyers", "fitted_at", "note",
)  # fmt: skip


def _read_summary(warehouse: Warehouse) -> pd.DataFrame:
    query = f"select * from intermediate.{SUMMARY_MODEL}"
    if warehouse.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(warehouse.build_db), read_only=True)
        try:
            return con.execute(query).df()
        finally:
            con.close()
    if warehouse.target == "postgres":
        import psycopg2

        with psycopg2.connect(**PostgresSettings.from_env().connect_kwargs()) as con:
            return pd.read_sql_query(query, con)
    return _spark().sql(query).toPandas()


def _write(warehouse: Warehouse, params: pd.DataFrame, predictions: pd.DataFrame) -> None:
    if warehouse.target == "duckdb":
        import duckdb

        con = duckdb.connect(str(warehouse.build_db))
        try:
            con.execute(f"create schema if not exists {SCHEMA}")
            for name, frame in (("parameters", params), ("customer_predictions", predictions)):
                con.register("_frame", frame)
                con.execute(f"create or replace table {SCHEMA}.{name} as select * from _frame")
                con.unregister("_frame")
        finally:
            con.close()
        return
    if warehouse.target == "spark":
        _write_spark(params, predictions)
        return
    import psycopg2
    import psycopg2.extras

    with psycopg2.connect(**PostgresSettings.from_env().connect_kwargs()) as con:
        cur = con.cursor()
        cur.execute(f"create schema if not exists {SCHEMA}")
        for name, frame in (("parameters", params), ("customer_predictions", predictions)):
            columns = ", ".join(f"{c} {_postgres_type(c, str(t))}" for c, t in frame.dtypes.items())
            cur.execute(f"drop table if exists {SCHEMA}.{name}")
            cur.execute(f"create table {SCHEMA}.{name} ({columns})")
            rows = [tuple(_python_value(v) for v in row) for row in frame.itertuples(index=False)]
            psycopg2.extras.execute_values(cur, f"insert into {SCHEMA}.{name} values %s", rows)


def _write_spark(params: pd.DataFrame, predictions: pd.DataFrame) -> None:
    spark = _spark()
    spark.sql(f"create database if not exists {SCHEMA}")
    for name, frame in (("parameters", params), ("customer_predictions", predictions)):
        columns = ", ".join(f"{c} {_spark_type(c, str(t))}" for c, t in frame.dtypes.items())
        rows = [tuple(_python_value(v) for v in row) for row in frame.itertuples(index=False)]
        spark.createDataFrame(rows, schema=columns).write.mode("overwrite").format(
            "parquet"
        ).saveAsTable(f"{SCHEMA}.{name}")


def _python_value(value: object) -> object:
    """A plain Python value for a driver (psycopg2, Spark's createDataFrame): neither adapts
    numpy scalars or pandas Timestamps."""
    if value is None or (not isinstance(value, str | bytes) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def _spark_type(column: str, dtype: str) -> str:
    postgres = _postgres_type(column, dtype)
    return {"double precision": "double", "text": "string"}.get(postgres, postgres)


# The Spark session of the child process (set by _spark_child_main); None in the parent.
_SPARK_SESSION = None


def _spark():  # -> pyspark.sql.SparkSession
    if _SPARK_SESSION is None:
        raise Cx360Error(
            "the purchase model reads Spark tables only inside its child process",
            "call fit_purchase_model_step, which starts it",
        )
    return _SPARK_SESSION


def _fit_in_spark_child(warehouse: Warehouse, dbt_vars: dict[str, object] | None) -> FitResult:
    """fit_and_store in a child process: the embedded Derby metastore admits one JVM at a time
    and a JVM holds it until it exits (as landing's Spark copy, cx360/landing/spark_export.py),
    so dbt-spark can open it again afterwards."""
    from cx360.landing.spark_export import run_spark_child

    output = run_spark_child(
        "cx360.purchase_model",
        [str(warehouse.root), json.dumps(dbt_vars)],
        "the purchase model fit on Spark",
        BuildError,
        env=warehouse.dbt_env(),
    )
    lines = output.strip().splitlines()
    if not lines:
        raise BuildError(
            "the purchase model fit on Spark printed no result",
            hint="run it again; if it persists, see the Spark log in the warehouse folder",
        )
    found = json.loads(lines[-1])
    as_of = dt.date.fromisoformat(found["as_of_date"]) if found["as_of_date"] else None
    return FitResult(
        as_of, found["customers"], found["repeat_buyers"], found["parameters"], found["note"]
    )


def _spark_child_main(argv: list[str]) -> int:
    """Child process: start Spark like dbt-spark's session target, fit and store, print the
    FitResult as one JSON line."""
    global _SPARK_SESSION
    from cx360.landing.spark_export import spark_session

    root, dbt_vars = Path(argv[0]), json.loads(argv[1])
    warehouse = Warehouse(root, "spark")
    _SPARK_SESSION = spark_session(warehouse)
    _SPARK_SESSION.sparkContext.setLogLevel("ERROR")
    try:
        fit = fit_and_store(warehouse, dbt_vars)
    finally:
        _SPARK_SESSION.stop()
    as_of = fit.as_of_date
    print(
        json.dumps(
            {
                "as_of_date": str(as_of)[:10] if as_of is not None and not pd.isna(as_of) else None,
                "customers": fit.customers,
                "repeat_buyers": fit.repeat_buyers,
                "parameters": {k: float(v) for k, v in fit.parameters.items()},
                "note": fit.note,
            }
        )
    )
    return 0


def _postgres_type(column: str, dtype: str) -> str:
    if column == "fitted_at":
        return "timestamp"
    if column.endswith(("_date", "_start", "_end")):
        return "date"
    return {"float64": "double precision", "int64": "bigint", "bool": "boolean"}.get(dtype, "text")


def fit_and_store(warehouse: Warehouse, dbt_vars: dict[str, object] | None = None) -> FitResult:
    """Read the purchase summary, fit, write parameters and predictions (steps 2-3 above)."""
    settings = ModelSettings.from_project(dbt_vars)
    summary = _read_summary(warehouse)
    fitted_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    as_of = summary["as_of_date"].iloc[0] if len(summary) else None
    window_start = summary["first_purchase_on"].min() if len(summary) else None
    repeat_buyers = int((summary["frequency"] > 0).sum()) if len(summary) else 0
    base = {
        "as_of_date": as_of, "data_window_start": window_start, "data_window_end": as_of,
        "customers": len(summary), "repeat_buyers": repeat_buyers, "fitted_at": fitted_at,
    }  # fmt: skip
    predictions = pd.DataFrame(
        columns=["customer_id", "p_alive", "p_no_purchase_90d", "expected_purchases_12m",
                 "expected_spend_per_purchase", "expected_revenue_12m", "clv_predicted",
                 "is_population_value"]
    ).astype({"customer_id": "object", "is_population_value": "bool"} | {
        c: "float64" for c in ("p_alive", "p_no_purchase_90d", "expected_purchases_12m",
                               "expected_spend_per_purchase", "expected_revenue_12m",
                               "clv_predicted")})  # fmt: skip
    note = None
    if repeat_buyers < MIN_REPEAT_BUYERS:
        note = (
            f"not fitted: {repeat_buyers} repeat buyer(s) among {len(summary)} customers with "
            f"purchases, {MIN_REPEAT_BUYERS} needed; purchase predictions are NULL"
        )
    else:
        from lifetimes.utils import ConvergenceError

        try:
            predictions_fitted, parameters = predict(summary, settings)
        except ConvergenceError as err:
            # a data set the model cannot describe (e.g. purchases too few or too regular) is
            # a missing prediction, said so, not a failed refresh
            note = (
                f"not fitted: BG/NBD / Gamma-Gamma did not converge on {repeat_buyers} repeat "
                f"buyers ({str(err).splitlines()[0]}); purchase predictions are NULL"
            )
    if note is not None:
        params = pd.DataFrame(
            [{"model": "bgnbd", "parameter": None, "value": None, **base, "note": note}]
        )
        _write(warehouse, params[list(PARAMETER_COLUMNS)], predictions)
        return FitResult(as_of, len(summary), repeat_buyers, note=note)
    predictions = predictions_fitted
    params = pd.DataFrame(
        [
            {"model": name.split("_")[0] if name.startswith("bgnbd") else "gamma_gamma",
             "parameter": name.rsplit("_", 1)[1], "value": value, **base, "note": None}
            for name, value in parameters.items()
        ]
    )  # fmt: skip
    _write(warehouse, params[list(PARAMETER_COLUMNS)], predictions)
    return FitResult(as_of, len(summary), repeat_buyers, parameters)


def describe_business_model(warehouse: Warehouse, setting: str | None) -> str:
    """One line for the run summary: the business model the data shows (or the setting)."""
    import duckdb

    con = duckdb.connect(str(warehouse.build_db), read_only=True)
    try:
        counts = dict(
            con.execute(
                "select follows, count(*) from intermediate.int_customer_business_model group by 1"
            ).fetchall()
        )
    finally:
        con.close()
    contract, purchase = counts.get("contract", 0), counts.get("purchase", 0)
    detected = "mixed" if contract and purchase else "subscription" if contract else "transactional"
    source = f"--business-model {setting}" if setting and setting != "auto" else "detected"
    return (
        f"business model: {setting if source != 'detected' else detected} ({source}): "
        f"{contract:,} customers on the contractual model, {purchase:,} on the purchase model"
    )


def fit_purchase_model_step(
    warehouse: Warehouse, dbt_vars: dict[str, object] | None = None, *, echo=print
) -> FitResult:
    """The refresh step: dbt builds the purchase summary, then fit_and_store() (on Spark in
    a child process with its own Spark session)."""
    from cx360.dbt_runner import dbt_build

    args = list(SUMMARY_BUILD_ARGS)
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    build = dbt_build(warehouse, extra_args=args, echo=echo)
    if not build.success:
        from cx360.pipeline import check_build

        check_build(build, warehouse)
    if warehouse.target == "spark":
        fit = _fit_in_spark_child(warehouse, dbt_vars)
    else:
        fit = fit_and_store(warehouse, dbt_vars)
    return replace(fit, upstream_build=build)


if __name__ == "__main__":
    import sys

    sys.exit(_spark_child_main(sys.argv[1:]))
