"""Suites for the published marts: customer_360 and fct_kpi.

They run on the build database after `dbt build` and before publish; a failure blocks publish.
Row conditions use GX's engine-neutral `Column` conditions, so the same suite runs on a pandas
frame (DuckDB) and on GX's SQL datasource (Postgres).
"""

from __future__ import annotations

import great_expectations as gx
from great_expectations.expectations.row_conditions import Column

from expectations.config import load_thresholds

CUSTOMER_360 = "customer_360"
FCT_KPI = "fct_kpi"
MART_TABLES = (CUSTOMER_360, FCT_KPI)


def customer_360_suite(expected_rows: tuple[int, int] | None = None) -> gx.ExpectationSuite:
    """One row per customer. With `expected_rows` = (customers staged minus erasure requests,
    customers staged), the row count must lie in that range: nobody lost, nobody doubled,
    whether erased customers are dropped or kept pseudonymised."""
    limits = load_thresholds()["marts"]
    suite = gx.ExpectationSuite(name="marts.customer_360")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="customer_id"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeUnique(column="customer_id"))
    low, high = expected_rows if expected_rows is not None else (1, None)
    suite.add_expectation(
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=low, max_value=high)
    )
    low, high = limits["churn_risk_range"]
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="churn_risk_score", min_value=low, max_value=high
        )
    )
    return suite


def fct_kpi_suite() -> gx.ExpectationSuite:
    limits = load_thresholds()["marts"]
    suite = gx.ExpectationSuite(name="marts.fct_kpi")
    suite.add_expectation(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
    for column in ("kpi_name", "period_grain", "dimension_name", "dimension_value", "unit"):
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    ranged = (
        (limits["score_kpis"], limits["score_range"]),
        (limits["percent_kpis"], limits["percent_range"]),
        (limits["non_negative_kpis"], (0, None)),
    )
    for kpi_names, (low, high) in ranged:
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                row_condition=Column("kpi_name").is_in(list(kpi_names)),
            )
        )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="sample_size", min_value=0)
    )
    return suite
