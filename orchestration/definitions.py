"""Everything Dagster loads: `dagster-webserver -m orchestration.definitions`."""

from __future__ import annotations

from dagster import Definitions
from dagster_dbt import DbtCliResource

from cx360.dbt_runner import dbt_executable
from orchestration.assets import (
    cx360_dbt_models,
    fit_purchase_model,
    land_raw_batches,
    published_warehouse,
)
from orchestration.checks import GX_CHECKS, freshness_checks, freshness_sensor
from orchestration.dbt_project import cx360_dbt_project
from orchestration.jobs import daily_refresh, new_batch_files, refresh_job
from orchestration.resources import Cx360Resource, resource_from_env


def build_definitions(cx360: Cx360Resource | None = None) -> Definitions:
    """The code location; tests pass their own resource (temporary raw folder and warehouse)."""
    cx360 = cx360 or resource_from_env()
    return Definitions(
        assets=[land_raw_batches, fit_purchase_model, cx360_dbt_models, published_warehouse],
        asset_checks=[*GX_CHECKS, *freshness_checks],
        jobs=[refresh_job],
        schedules=[daily_refresh],
        sensors=[new_batch_files, freshness_sensor],
        resources={
            "cx360": cx360,
            "dbt": DbtCliResource(
                project_dir=cx360_dbt_project(),
                target=cx360.target,
                dbt_executable=dbt_executable(),
            ),
        },
    )


defs = build_definitions()
