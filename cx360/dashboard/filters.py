"""The dashboard's filters (grain, period, comparison, segment, channel) and how a KPI is cut.

fct_kpi holds one dimension per row (kpis.md): a KPI is cut by segment OR by channel, never by
both at once. `choose_cut` states that rule in one place, and says in a note which cut a number
shows, so a reader never takes an overall figure for a filtered one.

Periods travel in the URL as labels: `2026-05` (month), `2026-Q2` (quarter), `2026-05-04`
(week, its Monday). `period_label` and `parse_period` are the two directions of that mapping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ALL = "all"
OVERALL = "overall"
GRAINS = ("week", "month", "quarter")
# Periods drawn on trend charts per grain (about a year, two for quarters).
TREND_PERIODS = {"week": 26, "month": 12, "quarter": 8}
COMPARISONS = ("previous period", "same period last year")


@dataclass(frozen=True)
class Filters:
    period: dt.date  # period_start of the reporting period at `grain`
    grain: str = "month"
    segment: str = ALL
    channel: str = ALL
    comparison: str = COMPARISONS[0]

    @property
    def month(self) -> dt.date:
        """The reporting period's first month (customer snapshots, cohorts)."""
        return dt.date(self.period.year, self.period.month, 1)

    @property
    def trend_periods(self) -> int:
        return TREND_PERIODS[self.grain]

    @property
    def first_trend_period(self) -> dt.date:
        return shift(self.period, self.grain, -(self.trend_periods - 1))

    @property
    def compared_period(self) -> dt.date:
        """The period a change is measured against: the one before, or a year before."""
        if self.comparison == COMPARISONS[1]:
            if self.grain == "week":
                return self.period - dt.timedelta(weeks=52)  # same weekday, ISO week ~ a year
            return add_months(self.period, -12)
        return shift(self.period, self.grain, -1)

    @property
    def comparison_label(self) -> str:
        return "year on year" if self.comparison == COMPARISONS[1] else f"vs previous {self.grain}"


@dataclass(frozen=True)
class Cut:
    dimension_name: str
    dimension_value: str
    note: str


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def shift(period: dt.date, grain: str, steps: int) -> dt.date:
    """The period start `steps` periods away at a grain."""
    if grain == "week":
        return period + dt.timedelta(weeks=steps)
    return add_months(period, steps * (3 if grain == "quarter" else 1))


def period_label(period: dt.date, grain: str) -> str:
    if grain == "month":
        return period.isoformat()[:7]
    if grain == "quarter":
        return f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    return period.isoformat()


def parse_period(label: str, grain: str) -> dt.date:
    if grain == "month":
        return dt.date.fromisoformat(label + "-01")
    if grain == "quarter":
        year, quarter = label.split("-Q")
        return dt.date(int(year), 3 * (int(quarter) - 1) + 1, 1)
    return dt.date.fromisoformat(label)


def describe_period(period: dt.date, grain: str) -> str:
    """How a title names the period: `May 2026`, `2026 Q2`, `week of 4 May 2026`."""
    if grain == "month":
        return period.strftime("%b %Y")
    if grain == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return f"week of {period.day} {period.strftime('%b %Y')}"


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
