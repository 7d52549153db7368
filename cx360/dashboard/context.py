"""What every page receives: the published warehouse and the filters chosen in the sidebar."""

from __future__ import annotations

from dataclasses import dataclass

from cx360.dashboard.data import PublishedWarehouse
from cx360.dashboard.filters import Filters


@dataclass(frozen=True)
class PageContext:
    warehouse: PublishedWarehouse
    filters: Filters
    kpi_dimensions: dict[str, frozenset[str]]  # fct_kpi dimension names per KPI
