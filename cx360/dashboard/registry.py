"""The KPI registry (marts.dim_kpi) as the pages use it: label, unit, direction, scale and
minimum sample of every KPI, and how each is written and drawn. No KPI label or direction is
written anywhere else in the dashboard."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cx360.dashboard.formatting import UNIT_DECIMALS, UNIT_LABEL
from cx360.dashboard.significance import Spec


@dataclass(frozen=True)
class Kpi:
    name: str
    label: str
    unit: str
    direction: str
    aggregation: str
    scale_min: float | None
    scale_max: float | None
    min_sample: int
    description: str

    @property
    def spec(self) -> Spec:
        return Spec(
            self.unit,
            self.direction,
            self.aggregation,
            self.scale_min,
            self.scale_max,
            self.min_sample,
        )

    @property
    def decimals(self) -> int:
        return UNIT_DECIMALS.get(self.unit, 1)

    @property
    def axis_title(self) -> str:
        unit = UNIT_LABEL.get(self.unit, self.unit)
        return f"{self.label} ({unit})" if unit else self.label

    @property
    def unit_title(self) -> str:
        """Short axis title (the unit only) for small charts whose title names the KPI: a
        vertical axis title longer than the plot makes Vega shrink the plot to fit it."""
        return UNIT_LABEL.get(self.unit, self.unit) or "count"

    @property
    def zero_based(self) -> bool:
        """Proportions, counts and scales starting at 0 are drawn from 0; scores on scales
        that do not include 0 (CES 1-10, review 1-5) and NPS (-100..100) are not."""
        return self.unit in ("percent", "count", "currency", "hours") or self.scale_min == 0

    @property
    def help(self) -> str:
        bounds = ""
        if self.scale_min is not None and self.scale_max is not None:
            bounds = f" Scale {self.scale_min:g} to {self.scale_max:g}."
        arrow = {
            "higher_is_better": " Higher is better.",
            "lower_is_better": " Lower is better.",
        }.get(self.direction, "")
        return f"{self.description}.{bounds}{arrow} Minimum sample {self.min_sample:,}."


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)  # type: ignore[arg-type]


def from_frame(registry: pd.DataFrame) -> dict[str, Kpi]:
    """Kpi objects from data.kpi_registry's frame (indexed by kpi_name)."""
    return {
        str(name): Kpi(
            name=str(name),
            label=str(row["label"]),
            unit=str(row["unit"]),
            direction=str(row["direction"]),
            aggregation=str(row["aggregation"]),
            scale_min=_number(row["scale_min"]),
            scale_max=_number(row["scale_max"]),
            min_sample=int(row["min_sample"]),
            description=str(row["description"]),
        )
        for name, row in registry.iterrows()
    }


def fallback(name: str, unit: str = "score") -> Kpi:
    """A KPI fct_kpi has but the registry lacks (a newer model): shown with its name, never
    coloured (neutral direction, no scale)."""
    return Kpi(
        name, name.replace("_", " ").capitalize(), unit, "neutral", "ratio", None, None, 0, name
    )
