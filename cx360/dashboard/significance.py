"""When a change between two periods is shown as a change: the one test the dashboard uses.

A change is coloured (good / bad by the KPI's direction) only when it lies outside the 95 %
interval of the difference: |current - previous| > 1.96 x sqrt(se_current^2 + se_previous^2).
Otherwise it is grey, "no significant change". Neither value is a measurement when its
sample_size is below the registry's min_sample: the change is then not tested and not coloured.

Standard error of one value, first rule that applies:
1. fct_kpi's own 95 % interval (ci_low, ci_high): se = (ci_high - ci_low) / (2 x 1.96).
2. count KPIs (registry aggregation `count`): a census, not a sample: se = 0.
3. a KPI whose per-row values are bounded by the registry's scale [a, b] (percentages,
   NPS, CSAT, CES, loyalty, pillar, engagement, review rating): the Bhatia-Davis inequality
   bounds the variance of values in [a, b] with mean m by (b - m)(m - a); se = sqrt of that / n.
   For a proportion in percent it is exactly the binomial p(1 - p); for NPS (per answer -100,
   0 or +100) it is the worst case with no passives. Never smaller than the true error, so the
   test errs towards "no significant change".
4. otherwise (hours, currency, complaints per 1,000: unbounded, no interval): no test, grey,
   "change not tested".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Spec:
    """What the test needs from the registry (marts.dim_kpi)."""

    unit: str
    direction: str  # higher_is_better | lower_is_better | neutral
    aggregation: str  # ratio | mean | count
    scale_min: float | None
    scale_max: float | None
    min_sample: int


@dataclass(frozen=True)
class Point:
    value: float | None
    sample_size: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Verdict:
    """How a change is shown. `tone`: good | bad | neutral (coloured or, for neutral KPIs,
    a real change without a colour) | grey (not significant or not tested)."""

    change: float | None
    significant: bool
    tone: str
    reason: str


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def below_minimum(point: Point, spec: Spec) -> bool:
    if spec.min_sample <= 0:
        return False
    return _missing(point.sample_size) or float(point.sample_size or 0) < spec.min_sample


def standard_error(point: Point, spec: Spec) -> float | None:
    """Standard error of the value (rules 1-3 of the module doc), None when unknown."""
    if _missing(point.value):
        return None
    if not _missing(point.ci_low) and not _missing(point.ci_high):
        return (float(point.ci_high) - float(point.ci_low)) / (2 * Z95)  # type: ignore[arg-type]
    if spec.aggregation == "count":
        return 0.0
    if _missing(spec.scale_min) or _missing(spec.scale_max) or _missing(point.sample_size):
        return None
    n = float(point.sample_size)  # type: ignore[arg-type]
    if n <= 0:
        return None
    low, high = float(spec.scale_min), float(spec.scale_max)  # type: ignore[arg-type]
    mean = min(max(float(point.value), low), high)  # type: ignore[arg-type]
    return math.sqrt((high - mean) * (mean - low) / n)


def compare(current: Point, previous: Point, spec: Spec, decimals: int) -> Verdict:
    """The change from previous to current and how to show it. `decimals`: the precision the
    values are shown at; a change that rounds to zero is "no change", never red."""
    if _missing(current.value) or _missing(previous.value):
        return Verdict(None, False, "grey", "no value to compare with")
    change = float(current.value) - float(previous.value)  # type: ignore[arg-type]
    if round(change, decimals) == 0:
        return Verdict(0.0, False, "grey", "no change")
    for label, point in (("this period", current), ("the period compared", previous)):
        if below_minimum(point, spec):
            n = "no" if _missing(point.sample_size) else f"{int(point.sample_size):,}"  # type: ignore[arg-type]
            return Verdict(
                change,
                False,
                "grey",
                f"not tested: n = {n} in {label}, below the minimum of {spec.min_sample}",
            )
    se_now, se_before = standard_error(current, spec), standard_error(previous, spec)
    if se_now is None or se_before is None:
        return Verdict(change, False, "grey", "change not tested: no interval for this KPI")
    margin = Z95 * math.hypot(se_now, se_before)
    if abs(change) <= margin:
        return Verdict(change, False, "grey", "no significant change (within the 95 % interval)")
    if spec.direction == "neutral":
        return Verdict(change, True, "neutral", "significant change")
    better = (change > 0) == (spec.direction == "higher_is_better")
    return Verdict(change, True, "good" if better else "bad", "significant change")
