"""What every page receives: the published marts, the filters chosen in the sidebar, the KPI
registry, the targets, and what the data holds."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from cx360.dashboard.data import _Marts
from cx360.dashboard.filters import Filters
from cx360.dashboard.registry import Kpi, fallback


@dataclass(frozen=True)
class PageContext:
    warehouse: _Marts
    filters: Filters
    kpi_dimensions: dict[str, frozenset[str]]  # fct_kpi dimension names per KPI
    kpi_grains: dict[str, frozenset[str]]  # fct_kpi grains per KPI
    kpis: dict[str, Kpi]  # the registry (marts.dim_kpi)
    targets: pd.DataFrame  # marts.dim_kpi_target, indexed by kpi_name
    subjects: frozenset[str]  # data.available_subjects
    # url path -> st.Page, filled by app.py once the navigation is built (for st.page_link)
    pages: dict[str, object] = field(default_factory=dict)

    def kpi(self, name: str) -> Kpi:
        return self.kpis.get(name) or fallback(name)

    def has(self, name: str) -> bool:
        """fct_kpi has rows of this KPI at the chosen grain."""
        return self.filters.grain in self.kpi_grains.get(name, frozenset())

    def target(self, name: str) -> float | None:
        if name not in self.targets.index:
            return None
        value = self.targets.at[name, "target"]
        return None if pd.isna(value) else float(value)
