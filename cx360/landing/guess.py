"""Guess how a user's text is written (date order, separators) from example values, to say
which source setting fixes a problem. Used by the loss check's messages and `cx360 inspect`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from cx360.landing.casting import (
    EXCEL_SERIAL,
    EXCEL_SERIAL_PATTERN,
    EXCEL_SERIAL_RANGE,
    NUMBER_PATTERN,
    grouped_number_pattern,
)
from cx360.landing.settings import THOUSANDS_SEPARATORS

# day, month and year as written with a separator: 31/12/2020, 12-31-2020, 31.12.20
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(.*)$")
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(.*)$")
# SAP and mainframe extracts: 20240704, or 20240704153307 with the time
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{6})?$")
# a time after the date: 14:05, 14:05:09, or on a 12-hour clock 2:05 PM, 02:05:09pm
_TIME = re.compile(r"^[ T](\d{1,2}):(\d{2})(:\d{2})?(?:( ?)([AaPp][Mm]))?$")


def _time_format(rest: str) -> str | None:
    """strptime codes for a time part after the date ('' for none), None if not a time."""
    if not rest:
        return ""
    match = _TIME.match(rest)
    if not match:
        return None
    seconds = ":%S" if match.group(3) else ""
    if match.group(5):  # AM/PM: a 12-hour clock (US exports)
        return f"{rest[0]}%I:%M{seconds}{match.group(4)}%p"
    return f"{rest[0]}%H:%M{seconds}"


def _plausible_compact(match: re.Match[str]) -> bool:
    """Eight digits that are a date: month 01-12, day 01-31 (a year alone, 20240000, is not)."""
    return 1 <= int(match.group(2)) <= 12 and 1 <= int(match.group(3)) <= 31


def guess_date_format(values: Sequence[str]) -> tuple[str, str] | None:
    """(strptime format, how a person says it) shared by every value, or None.

    Day-first or month-first is decided by a first part above 12 (day first) or a second
    part above 12 (month first); when no value tells, day first is assumed and said."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    low, high = EXCEL_SERIAL_RANGE
    if all(re.fullmatch(EXCEL_SERIAL_PATTERN, v) and low <= float(v) <= high for v in values):
        return EXCEL_SERIAL, "a spreadsheet's day numbers (45477 = 2024-07-04)"
    compact = [_COMPACT.match(v) for v in values]
    if all(compact) and all(_plausible_compact(m) for m in compact if m):
        with_time = {m.group(4) is not None for m in compact if m}
        if with_time == {False}:
            return "%Y%m%d", "YYYYMMDD"
        if with_time == {True}:
            return "%Y%m%d%H%M%S", "YYYYMMDDhhmmss"
        return None
    ymd = [_YMD.match(v) for v in values]
    if all(ymd):
        sep = ymd[0].group(2)  # type: ignore[union-attr]
        times = {_time_format(m.group(5)) for m in ymd if m}
        if len(times) == 1 and None not in times:
            time = times.pop() or ""
            return f"%Y{sep}%m{sep}%d{time}", f"YYYY{sep}MM{sep}DD"
        return None
    matches = [_DMY.match(v) for v in values]
    if not all(matches):
        return None
    seps = {m.group(2) for m in matches if m}
    years = {len(m.group(4)) for m in matches if m}
    times = {_time_format(m.group(5)) for m in matches if m}
    if len(seps) != 1 or len(years) != 1 or len(times) != 1 or None in times:
        return None
    sep, time = seps.pop(), times.pop() or ""
    year, spoken_year = ("%Y", "YYYY") if years.pop() == 4 else ("%y", "YY")
    first_over_12 = any(int(m.group(1)) > 12 for m in matches if m)
    second_over_12 = any(int(m.group(3)) > 12 for m in matches if m)
    if second_over_12 and not first_over_12:
        return f"%m{sep}%d{sep}{year}{time}", f"MM{sep}DD{sep}{spoken_year}"
    spoken = f"DD{sep}MM{sep}{spoken_year}"
    if not first_over_12:
        spoken += f" (or MM{sep}DD: no day above 12 seen, day first assumed)"
    return f"%d{sep}%m{sep}{year}{time}", spoken


class NumberFormat(NamedTuple):
    """How numbers are written: the source settings decimal_separator and thousands_separator."""

    decimal_separator: str
    thousands_separator: str | None

    def settings(self) -> dict[str, str]:
        """The entries of cx360_sources.yml that say so (none for the contract's own)."""
        out = {}
        if self.decimal_separator != ".":
            out["decimal_separator"] = self.decimal_separator
        if self.thousands_separator:
            out["thousands_separator"] = self.thousands_separator
        return out

    def describe(self) -> str:
        return ", ".join(f'{k}: "{v}"' for k, v in self.settings().items())


CONTRACT_NUMBERS = NumberFormat(".", None)
# simplest first: a guess names no more settings than the values need
_NUMBER_FORMATS = (
    CONTRACT_NUMBERS,
    NumberFormat(",", None),
    *(NumberFormat(".", t) for t in THOUSANDS_SEPARATORS if t != "."),
    *(NumberFormat(",", t) for t in THOUSANDS_SEPARATORS if t != ","),
)


def read_number(text: str, fmt: NumberFormat) -> Decimal | None:
    """The number `text` holds when written in `fmt`, as landing reads it (casting.py), or None."""
    value = text.strip()
    if fmt.thousands_separator and re.fullmatch(
        grouped_number_pattern(fmt.decimal_separator, fmt.thousands_separator), value
    ):
        value = value.replace(fmt.thousands_separator, "")
    if fmt.decimal_separator == ",":
        value = value.replace(",", ".")
    return Decimal(value) if re.fullmatch(NUMBER_PATTERN, value) else None


def _decimal_separator_shown(value: str) -> str | None:
    """The decimal separator a value shows unmistakably, or None: the later of '.' and ',' when
    it has both (1,234.5 / 1.234,5), or its only one, once, not followed by exactly three digits
    (12,50 / 1.0834; 1,234 could be either)."""
    last_dot, last_comma = value.rfind("."), value.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        return "." if last_dot > last_comma else ","
    for separator, at in ((".", last_dot), (",", last_comma)):
        decimals = value[at + 1 :]
        if at >= 0 and value.count(separator) == 1 and decimals.isdigit() and len(decimals) != 3:
            return separator
    return None


def number_formats(values: Sequence[str]) -> list[NumberFormat]:
    """The number formats that read these values, when the contract's plain notation does not.

    The decimal separator is the one most values show (_decimal_separator_shown; both when
    none or as many show each): a stray `7,5` among thousands of `1.0834` is a defect to
    quarantine, not a decimal comma. Values no format with that separator reads are set aside
    (quarantined whatever the settings). [] when the contract's notation reads the rest, or
    nothing does; one format when every format that reads them all reads the same numbers (the
    simplest); several when they disagree, e.g. `1,234` is 1234 with thousands_separator ","
    and 1.234 with decimal_separator ",": only the user knows which."""
    values = [v.strip() for v in values if v and v.strip()]
    shown = Counter(s for s in map(_decimal_separator_shown, values) if s)
    decimals = {".", ","} if shown["."] == shown[","] else {max(shown, key=shown.__getitem__)}
    candidates = [f for f in _NUMBER_FORMATS if f.decimal_separator in decimals]
    readable = [v for v in values if any(read_number(v, f) is not None for f in candidates)]
    if all(read_number(v, CONTRACT_NUMBERS) is not None for v in readable):
        return []
    found: dict[tuple[Decimal | None, ...], NumberFormat] = {}
    for fmt in candidates:
        numbers = tuple(read_number(v, fmt) for v in readable)
        if None not in numbers:
            found.setdefault(numbers, fmt)
    return list(found.values())
