"""cx360.dashboard.significance: when a change is coloured, with hand-computed cases."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from cx360.dashboard.filters import (
    COMPARISONS,
    Filters,
    parse_period,
    period_label,
    shift,
)
from cx360.dashboard.significance import Point, Spec, compare, standard_error

NPS = Spec("score", "higher_is_better", "ratio", -100.0, 100.0, 30)
CSAT = Spec("percent", "higher_is_better", "ratio", 0.0, 100.0, 30)
CHURN = Spec("percent", "lower_is_better", "ratio", 0.0, 100.0, 100)
MTTR = Spec("hours", "lower_is_better", "mean", 0.0, None, 30)
COUNT = Spec("count", "higher_is_better", "count", 0.0, None, 0)


def test_standard_error_is_binomial_for_a_percentage() -> None:
    # p = 0.74, n = 50: se = 100 * sqrt(0.74 * 0.26 / 50) = 6.2032...
    assert standard_error(Point(74.0, 50), CSAT) == pytest.approx(100 * math.sqrt(0.74 * 0.26 / 50))


def test_standard_error_of_nps_is_the_no_passive_worst_case() -> None:
    # NPS 20 on 100 answers: variance bound (100 - 20)(20 + 100) = 9,600 -> se = 9.798
    assert standard_error(Point(20.0, 100), NPS) == pytest.approx(math.sqrt(9600 / 100))


def test_the_interval_of_fct_kpi_wins_over_the_bound() -> None:
    assert standard_error(Point(20.0, 100, 10.0, 30.0), NPS) == pytest.approx(
        20 / (2 * 1.96), rel=1e-3
    )


def test_the_issue_example_minus_40_on_10_answers_is_not_coloured() -> None:
    verdict = compare(Point(-10.0, 10), Point(30.0, 12), NPS, 1)
    assert verdict.tone == "grey" and "below the minimum of 30" in verdict.reason


def test_a_large_nps_move_on_large_samples_is_coloured_by_direction() -> None:
    # se ~ sqrt(9600/2000)=2.19 and sqrt((100-35)(135)/2000)=2.09: margin 5.9 < 15
    assert compare(Point(35.0, 2000), Point(20.0, 2000), NPS, 1).tone == "good"
    assert compare(Point(20.0, 2000), Point(35.0, 2000), NPS, 1).tone == "bad"


def test_a_small_move_within_the_interval_is_grey() -> None:
    verdict = compare(Point(33.0, 200), Point(30.0, 200), NPS, 1)
    assert not verdict.significant and verdict.tone == "grey"
    assert verdict.reason.startswith("no significant change")


def test_lower_is_better_turns_a_fall_green() -> None:
    assert compare(Point(1.0, 20000), Point(2.0, 20000), CHURN, 1).tone == "good"


def test_minus_zero_is_no_change_not_red() -> None:
    verdict = compare(Point(30.01, 5000), Point(30.04, 5000), NPS, 1)
    assert verdict.change == 0.0 and verdict.tone == "grey" and verdict.reason == "no change"


def test_unbounded_kpi_without_interval_is_not_tested() -> None:
    verdict = compare(Point(30.0, 500), Point(10.0, 500), MTTR, 1)
    assert verdict.tone == "grey" and "not tested" in verdict.reason
    # ...but with fct_kpi's interval it is
    verdict = compare(Point(30.0, 500, 28.0, 32.0), Point(10.0, 500, 8.0, 12.0), MTTR, 1)
    assert verdict.tone == "bad"


def test_counts_are_a_census() -> None:
    assert compare(Point(101.0, None), Point(100.0, None), COUNT, 0).tone == "good"


def test_periods_round_trip_through_the_url_label() -> None:
    for grain, period in (
        ("week", dt.date(2026, 5, 4)),
        ("month", dt.date(2026, 5, 1)),
        ("quarter", dt.date(2026, 4, 1)),
    ):
        assert parse_period(period_label(period, grain), grain) == period
    assert period_label(dt.date(2026, 4, 1), "quarter") == "2026-Q2"
    assert shift(dt.date(2026, 1, 1), "quarter", -1) == dt.date(2025, 10, 1)
    yoy = Filters(period=dt.date(2026, 5, 1), comparison=COMPARISONS[1])
    assert yoy.compared_period == dt.date(2025, 5, 1)
    assert Filters(period=dt.date(2026, 5, 4), grain="week").compared_period == dt.date(2026, 4, 27)
