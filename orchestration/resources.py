"""Where a Dagster run finds its raw folder and warehouse.

The code location reads CX360_RAW_DIR, CX360_WAREHOUSE_DIR and CX360_TARGET once, at load;
tests build the resource themselves with temporary paths.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource

from cx360.settings import setting
from cx360.warehouse import PROJECT_DIR, Warehouse


def _from_project(path: str) -> str:
    """Relative paths are relative to the project folder (as for `make run`)."""
    return str(Path(path) if Path(path).is_absolute() else PROJECT_DIR / path)


class Cx360Resource(ConfigurableResource):
    """The raw folder landed from and the warehouse written to."""

    raw_dir: str
    warehouse_dir: str
    target: str = "duckdb"

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
