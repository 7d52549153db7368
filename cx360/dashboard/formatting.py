"""How the dashboard writes numbers and exports tables. No Streamlit here: plain functions,
unit-tested in tests/test_dashboard_formatting.py.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

# Decimals shown per fct_kpi unit (kpis.md: score, percent, hours, currency, count, points).
UNIT_DECIMALS: dict[str, int] = {
    "score": 1,
    "percent": 1,
    "hours": 1,
    "points": 1,
    "currency": 2,
    "count": 0,
}
UNIT_SUFFIX: dict[str, str] = {
    "score": "",
    "percent": " %",
    "hours": " h",
    "points": " pts",
    "count": "",
}
# How an axis title names the unit.
UNIT_LABEL: dict[str, str] = {
    "score": "score",
    "percent": "%",
    "hours": "hours",
    "points": "points, 0-100",
    "currency": "EUR",
    "count": "",
}
MISSING = "n/a"

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _decimals(value: float, unit: str) -> int:
    # A "count" KPI can be a rate per N customers (complaint_rate): keep one decimal then.
    if unit == "count" and not float(value).is_integer():
        return 1
    return UNIT_DECIMALS.get(unit, 1)


def format_kpi(value: float | None, unit: str, currency: str = "EUR") -> str:
    """A KPI value as shown on a metric card, e.g. `42.3`, `8.1 %`, `12.5 h`, `1,234.56 EUR`."""
    if _is_missing(value):
        return MISSING
    decimals = _decimals(value, unit)
    number = f"{value:,.{decimals}f}"
    if unit == "currency":
        return f"{number} {currency}"
    return number + UNIT_SUFFIX.get(unit, "")


def format_delta(
    change: float | None, unit: str, comparison: str = "vs previous month"
) -> str | None:
    """A change for st.metric: signed, same decimals as the value, or None when there is
    nothing to compare with (st.metric then shows no arrow). A change that rounds to zero is
    written without a sign ("0.0"), never "-0.0"."""
    if _is_missing(change):
        return None
    decimals = _decimals(change, unit)
    # Percent KPIs change in percentage points, not in percent.
    suffix = " pp" if unit == "percent" else UNIT_SUFFIX.get(unit, "")
    if unit == "currency":
        suffix = " EUR"
    if round(change, decimals) == 0:
        return f"{0:.{decimals}f}{suffix} {comparison}"
    return f"{change:+,.{decimals}f}{suffix} {comparison}"


def format_count(n: float | None) -> str:
    return MISSING if _is_missing(n) else f"{int(n):,}"  # type: ignore[arg-type]


def format_month(month: dt.date | pd.Timestamp | None) -> str:
    if month is None or pd.isna(month):
        return "all time"
    return pd.Timestamp(month).strftime("%b %Y")


def format_timestamp(moment: dt.datetime | pd.Timestamp | None) -> str:
    if moment is None or pd.isna(moment):
        return MISSING
    return pd.Timestamp(moment).strftime("%Y-%m-%d %H:%M UTC")


def neutralise_cell(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with an apostrophe; other values as is.

    Applied to every text cell of an export, so `=HYPERLINK(...)` in a free-text field arrives
    in Excel or LibreOffice as text. Numbers are left alone (a negative number is data, and a
    number column has no text to inject)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame whose text cells are neutralised (see neutralise_cell)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    # Column names become the header row: same rule.
    safe.columns = [neutralise_cell(str(name)) for name in safe.columns]
    return safe


def to_safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8 with BOM so Excel detects the encoding) with formulas neutralised."""
    # CRLF line ends (RFC 4180) make pandas quote every field holding a CR or LF: with "\n" it
    # leaves a bare CR unquoted, which a spreadsheet reads as a row break, so text after it
    # ("x\r=HYPERLINK(...)") would start a cell and run as a formula.
    csv_text = neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n")
    return csv_text.encode("utf-8-sig")
