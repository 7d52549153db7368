"""The dashboard's filters (period, segment, channel) and how a KPI is cut by them.

fct_kpi holds one dimension per row (kpis.md): a KPI is cut by segment OR by channel, never by
both at once. `choose_cut` states that rule in one place, and says in a note which cut a number
shows, so a reader never takes an overall figure for a filtered one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ALL = "all"
OVERALL = "overall"


@dataclass(frozen=True)
class Filters:
    month: dt.date  # the reporting month (period_grain month, period_start)
    segment: str = ALL
    channel: str = ALL
    trend_months: int = 12

    @property
    def first_trend_month(self) -> dt.date:
        return add_months(self.month, -(self.trend_months - 1))

    @property
    def previous_month(self) -> dt.date:
        return add_months(self.month, -1)


@dataclass(frozen=True)
class Cut:
    dimension_name: str
    dimension_value: str
    note: str


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def choose_cut(dimensions: frozenset[str], filters: Filters) -> Cut:
    """The fct_kpi slice a KPI is shown for: segment when a segment is chosen and the KPI has
    that dimension, else channel likewise, else overall. The note says which filters did not
    apply, and why."""
    chosen = [
        (name, value)
        for name, value in (("segment", filters.segment), ("channel", filters.channel))
        if value != ALL
    ]
    applicable = [(name, value) for name, value in chosen if name in dimensions]
    remarks = [f"no {name} cut for this KPI" for name, _ in chosen if name not in dimensions]
    if not applicable:
        return Cut(OVERALL, ALL, "; ".join(["overall", *remarks]))
    (name, value), *dropped = applicable
    remarks += [f"{other} filter not combined with {name}" for other, _ in dropped]
    return Cut(name, value, "; ".join([f"{name} = {value}", *remarks]))
