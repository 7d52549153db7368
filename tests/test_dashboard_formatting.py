"""cx360.dashboard.formatting: number formats and the CSV export's formula neutralisation."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from cx360.dashboard.formatting import (
    format_delta,
    format_kpi,
    neutralise_cell,
    neutralise_frame,
    to_safe_csv,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+33 6 12", "'+33 6 12"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("call back", "call back"),
        ("a=b", "a=b"),  # only a leading character makes a formula
        ("", ""),
    ],
)
def test_neutralise_cell_prefixes_formula_text(text: str, expected: str) -> None:
    assert neutralise_cell(text) == expected


@pytest.mark.parametrize("value", [-3, -2.5, 0, None, True])
def test_neutralise_cell_leaves_non_text_alone(value: object) -> None:
    assert neutralise_cell(value) is value


def test_safe_csv_round_trips_as_text_with_every_formula_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["C1", "=cmd|' /C calc'!A0", "@x"],
            "next_best_action": ["+call", "-discount", "retention_offer"],
            "revenue_12m": [-10.5, 20.0, 0.0],
            "=header": ["a", "b", "c"],
        }
    )
    rows = list(csv.reader(io.StringIO(to_safe_csv(frame).decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == ["customer_id", "next_best_action", "revenue_12m", "'=header"]
    assert [r[0] for r in body] == ["C1", "'=cmd|' /C calc'!A0", "'@x"]
    assert [r[1] for r in body] == ["'+call", "'-discount", "retention_offer"]
    assert [r[2] for r in body] == ["-10.5", "20.0", "0.0"]  # numbers stay numbers
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")) or cell.startswith("'")


def test_neutralise_frame_handles_pandas_string_dtype_and_keeps_the_input() -> None:
    frame = pd.DataFrame({"note": pd.array(["=1+1", "ok", None], dtype="string")})
    safe = neutralise_frame(frame)
    assert list(safe["note"].fillna("<na>")) == ["'=1+1", "ok", "<na>"]
    assert frame.at[0, "note"] == "=1+1"


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (38.09523, "score", "38.1"),
        (-12.04, "score", "-12.0"),
        (1.58730, "percent", "1.6 %"),
        (35.38861, "hours", "35.4 h"),
        (1234.5678, "currency", "1,234.57 EUR"),
        (1500.0, "count", "1,500"),
        (11.2149, "count", "11.2"),  # a rate per 1,000 customers has unit count
        (None, "score", "n/a"),
        (float("nan"), "percent", "n/a"),
    ],
)
def test_format_kpi(value: float | None, unit: str, expected: str) -> None:
    assert format_kpi(value, unit) == expected


def test_format_delta_uses_percentage_points_and_a_sign() -> None:
    assert format_delta(-0.21, "percent") == "-0.2 pp vs previous month"
    assert format_delta(11.94, "hours") == "+11.9 h vs previous month"
    assert format_delta(None, "score") is None


def test_format_delta_writes_a_change_that_rounds_to_zero_without_a_sign() -> None:
    # st.metric reads a leading "-" as a fall (red arrow): -0.0 must not be one.
    assert format_delta(-0.04, "score") == "0.0 vs previous month"
    assert format_delta(-0.0, "percent", "year on year") == "0.0 pp year on year"
    assert format_delta(12.5, "currency") == "+12.50 EUR vs previous month"
