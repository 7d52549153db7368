"""Guess how a user's text is written (date order, separators) from example values, to say
which source setting fixes a problem. Used by the loss check's messages and `cx360 inspect`."""

from __future__ import annotations

import re
from collections.abc import Sequence

# day, month and year as written with a separator: 31/12/2020, 12-31-2020, 31.12.20
_DMY = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(.*)$")
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(.*)$")
# a time after the date: 14:05, 14:05:09, or on a 12-hour clock 2:05 PM, 02:05:09pm
_TIME = re.compile(r"^[ T](\d{1,2}):(\d{2})(:\d{2})?(?:( ?)([AaPp][Mm]))?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}(\.?\d{3})*,\d+$|^[+-]?\d+,\d+$")


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


def guess_date_format(values: Sequence[str]) -> tuple[str, str] | None:
    """(strptime format, how a person says it) shared by every value, or None.

    Day-first or month-first is decided by a first part above 12 (day first) or a second
    part above 12 (month first); when no value tells, day first is assumed and said."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
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


def looks_decimal_comma(values: Sequence[str]) -> bool:
    """Every value is a number written with a decimal comma (12,50 or 1.234,56)."""
    values = [v.strip() for v in values if v and v.strip()]
    return bool(values) and all(_DECIMAL_COMMA.match(v) for v in values)
