"""Where a Dagster run finds its raw folder and warehouse.

The code location reads CX360_RAW_DIR, CX360_WAREHOUSE_DIR and CX360_TARGET once, at load;
tests build the resource themselves with temporary paths.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from cx360.run_settings import RunSettings
from cx360.settings import setting
from cx360.warehouse import PROJECT_DIR, Warehouse


def _from_project(path: str) -> str:
    """Relative paths are relative to the project folder (as for `make run`)."""
    return str(Path(path) if Path(path).is_absolute() else PROJECT_DIR / path)


class Cx360Resource(ConfigurableResource):
    """The raw folder landed from, the warehouse written to, and the run settings of
    `cx360 run --as-of --reporting-currency --business-model --revenue-quarantine-max-share`
    (empty = project default; set
    them in a run's config under resources.cx360.config)."""

    raw_dir: str
    warehouse_dir: str
    target: str = "duckdb"
    as_of_date: str = ""
    reporting_currency: str = ""
    business_model: str = ""
    revenue_quarantine_max_share: str = ""

    @property
    def settings(self) -> RunSettings:
        return RunSettings.parse(
            self.as_of_date,
            self.reporting_currency,
            self.business_model,
            self.revenue_quarantine_max_share,
        )

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(Path(self.warehouse_dir), self.target)

    @property
    def raw_path(self) -> Path:
        return Path(self.raw_dir)

    def export_dbt_env(self) -> None:
        """profiles.yml reads the warehouse from the environment; dagster-dbt passes the
        process environment to dbt, so set it here (the run worker is our own process)."""
        os.environ.update(self.warehouse.dbt_env())


def resource_from_env() -> Cx360Resource:
    return Cx360Resource(
        raw_dir=_from_project(setting("CX360_RAW_DIR")),
        warehouse_dir=_from_project(setting("CX360_WAREHOUSE_DIR")),
        target=setting("CX360_TARGET"),
    )
