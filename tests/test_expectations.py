"""The GX suites of expectations/: each can pass and each can fail, on small frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import great_expectations as gx
import pandas as pd
import pytest
from great_expectations.data_context import AbstractDataContext
from great_expectations.expectations.row_conditions import Column

from cx360.contract import load_contract
from expectations.context import build_context
from expectations.marts import customer_360_suite, fct_kpi_suite
from expectations.raw_sources import raw_checks, raw_suite
from expectations.results import SuiteOutcome, columns_read_by, run_suite_on_frame
from expectations.volume import volume_suite

NOW = dt.datetime(2026, 7, 1)


@pytest.fixture(scope="module")
def context() -> AbstractDataContext:
    return build_context()


def _failed(outcome: SuiteOutcome) -> set[tuple[str, str | None]]:
    return {(f.expectation, f.column) for f in outcome.failures}


def test_vocabularies_come_from_the_contract() -> None:
    contract = load_contract()
    checks = raw_checks(contract["crm_customers"])
    assert checks.vocabularies == {
        "segment": ("consumer", "business"),
        "acquisition_channel": contract["crm_customers"].column("acquisition_channel").values,
    }
    # values_of: crm_customers.acquisition_channel
    spend = raw_checks(contract["marketing_spend"]).vocabularies
    assert spend["channel"] == checks.vocabularies["acquisition_channel"]
    assert "referral" in spend["channel"]
    assert raw_checks(contract["survey_definitions"]).vocabularies["pillar"][0] == "integrity"
    assert contract["crm_customers"].column("email").values == ()


def test_contract_value_rules_are_checked_on_load(tmp_path: Path) -> None:
    bad = tmp_path / "contract.yml"
    bad.write_text(
        "tables:\n  t:\n    key: [a]\n    columns:\n"
        "      a: {type: string, values_of: nowhere.b}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="values_of nowhere.b names no column"):
        load_contract(bad)
    bad.write_text(
        "tables:\n  t:\n    key: [a]\n    columns:\n      a: {type: int, range: [5, 1]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="range \\[5, 1\\] is empty"):
        load_contract(bad)


def _tickets(n: int, *, bad_priority: int = 0, future: int = 0) -> pd.DataFrame:
    opened = [NOW - dt.timedelta(days=i + 1) for i in range(n)]
    opened[:future] = [NOW + dt.timedelta(days=30)] * future
    priority = ["normal"] * n
    priority[:bad_priority] = ["whenever"] * bad_priority
    checks = raw_checks(load_contract()["support_tickets"])
    frame = pd.DataFrame({c: [None] * n for c in checks.columns})
    frame["ticket_id"] = [f"t{i}" for i in range(n)]
    frame["priority"] = priority
    frame["category"] = "billing"
    frame["status"] = "open"
    frame["opened_at"] = pd.to_datetime(opened)
    frame["updated_at"] = pd.to_datetime(opened)
    frame["reopen_count"] = 0
    return frame


def test_raw_suite_passes_clean_batch(context: AbstractDataContext) -> None:
    checks = raw_checks(load_contract()["support_tickets"])
    outcome = run_suite_on_frame(
        context, raw_suite(checks, NOW), _tickets(100), asset="raw.support_tickets"
    )
    assert outcome.success, outcome.describe_failures()


def test_raw_suite_tolerates_a_few_odd_values_but_not_many(context: AbstractDataContext) -> None:
    checks = raw_checks(load_contract()["support_tickets"])
    few = run_suite_on_frame(
        context, raw_suite(checks, NOW), _tickets(100, bad_priority=2), asset="raw.t1"
    )
    many = run_suite_on_frame(
        context, raw_suite(checks, NOW), _tickets(100, bad_priority=40), asset="raw.t2"
    )
    assert few.success
    assert _failed(many) == {("expect_column_values_to_be_in_set", "priority")}
    assert "whenever" in many.describe_failures()


def test_raw_suite_rejects_future_timestamps(context: AbstractDataContext) -> None:
    checks = raw_checks(load_contract()["support_tickets"])
    outcome = run_suite_on_frame(
        context, raw_suite(checks, NOW), _tickets(100, future=5), asset="raw.t3"
    )
    assert ("expect_column_values_to_be_between", "opened_at") in _failed(outcome)


def test_raw_suite_rejects_null_keys(context: AbstractDataContext) -> None:
    checks = raw_checks(load_contract()["support_tickets"])
    frame = _tickets(10)
    frame.loc[3, "ticket_id"] = None
    outcome = run_suite_on_frame(context, raw_suite(checks, NOW), frame, asset="raw.t4")
    assert _failed(outcome) == {("expect_column_values_to_not_be_null", "ticket_id")}


def _volume(judged_share: float | None, row_ratio: float | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "table_name": ["support_tickets"] * 2,
            "batch_name": ["support_tickets/2026-06-01.csv", "support_tickets/2026-06-02.csv"],
            "row_ratio": [1.0, row_ratio],
            "share_increase": [0.0, None],
            "judged_share": [0.01, judged_share],
        }
    )


def test_volume_suite_names_the_anomalous_batch(context: AbstractDataContext) -> None:
    ok = run_suite_on_frame(
        context, volume_suite("support_tickets"), _volume(0.02, 1.2), asset="volume.a"
    )
    mostly_bad = run_suite_on_frame(
        context,
        volume_suite("support_tickets"),
        _volume(0.9, 1.0),
        asset="volume.b",
        index_columns=["batch_name"],
    )
    shrunk = run_suite_on_frame(
        context, volume_suite("support_tickets"), _volume(0.0, 0.05), asset="volume.c"
    )
    assert ok.success
    assert _failed(mostly_bad) == {("expect_column_values_to_be_between", "judged_share")}
    assert "support_tickets/2026-06-02.csv" in mostly_bad.describe_failures()
    assert _failed(shrunk) == {("expect_column_values_to_be_between", "row_ratio")}


def test_volume_suite_does_not_judge_without_history(context: AbstractDataContext) -> None:
    outcome = run_suite_on_frame(
        context, volume_suite("support_tickets"), _volume(None, None), asset="volume.d"
    )
    assert outcome.success


def _kpis(**values: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kpi_name": list(values),
            "period_grain": "all",
            "period_start": None,
            "dimension_name": "overall",
            "dimension_value": "all",
            "numerator": 1.0,
            "denominator": 1.0,
            "value": list(values.values()),
            "sample_size": 10,
            "unit": "percent",
        }
    )


def test_fct_kpi_ranges(context: AbstractDataContext) -> None:
    good = _kpis(nps=-35.0, csat=74.0, churn_rate=0.8, mttr_hours=12.5, clv_historical=-3.0)
    assert run_suite_on_frame(context, fct_kpi_suite(), good, asset="marts.k1").success

    bad_nps = run_suite_on_frame(context, fct_kpi_suite(), _kpis(nps=120.0), asset="marts.k2")
    bad_rate = run_suite_on_frame(context, fct_kpi_suite(), _kpis(csat=101.0), asset="marts.k3")
    bad_hours = run_suite_on_frame(
        context, fct_kpi_suite(), _kpis(mttr_hours=-1.0), asset="marts.k4"
    )
    for outcome in (bad_nps, bad_rate, bad_hours):
        assert _failed(outcome) == {("expect_column_values_to_be_between", "value")}


def test_customer_360_one_row_per_customer(context: AbstractDataContext) -> None:
    unique = pd.DataFrame({"customer_id": ["a", "b"], "churn_risk_score": [10.0, 90.0]})
    doubled = pd.DataFrame({"customer_id": ["a", "a"], "churn_risk_score": [10.0, 90.0]})
    assert run_suite_on_frame(context, customer_360_suite(), unique, asset="marts.c1").success
    outcome = run_suite_on_frame(context, customer_360_suite(), doubled, asset="marts.c2")
    assert _failed(outcome) == {("expect_column_values_to_be_unique", "customer_id")}
    counted = run_suite_on_frame(context, customer_360_suite((3, 4)), unique, asset="marts.c3")
    assert _failed(counted) == {("expect_table_row_count_to_be_between", None)}


def test_mart_frames_hold_the_columns_their_suite_reads(context: AbstractDataContext) -> None:
    """validate_marts reads only columns_read_by(suite) from DuckDB; a column missing from that
    list would make GX fail the expectation for a column the frame lacks."""
    assert set(columns_read_by(fct_kpi_suite())) == {
        "kpi_name",
        "period_grain",
        "dimension_name",
        "dimension_value",
        "unit",
        "value",
        "sample_size",
    }
    assert columns_read_by(customer_360_suite()) == ["customer_id", "churn_risk_score"]
    wide = _kpis(nps=-35.0, csat=74.0).assign(unread_column="x")
    narrow = wide[columns_read_by(fct_kpi_suite())]
    assert run_suite_on_frame(context, fct_kpi_suite(), narrow, asset="marts.k5").success

    suite = gx.ExpectationSuite(name="nested_condition")
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value",
            min_value=0,
            row_condition=(Column("kpi_name") == "nps") & (Column("period_grain") == "month"),
        )
    )
    assert set(columns_read_by(suite)) == {"value", "kpi_name", "period_grain"}

    by_string = gx.ExpectationSuite(name="string_condition")
    by_string.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="value", min_value=0, row_condition='kpi_name=="nps"', condition_parser="pandas"
        )
    )
    with pytest.raises(ValueError, match="cannot tell which columns"):
        columns_read_by(by_string)
