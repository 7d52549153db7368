"""Everything Dagster loads: `dagster-webserver -m orchestration.definitions`."""

from __future__ import annotations

from dagster import Definitions
from dagster_dbt import DbtCliResource

from cx360.dbt_runner import dbt_executable
from cx360.pipeline import STEPS
from orchestration.assets import (
    cx360_dbt_models,
    fit_purchase_model,
    land_raw_batches,
    published_warehouse,
)
from orchestration.checks import (
    GX_CHECKS,
    freshness_checks,
    freshness_sensor,
    gx_customer_360_check,
    gx_fct_kpi_check,
    gx_raw_checks,
)
from orchestration.dbt_project import cx360_dbt_project
from orchestration.jobs import daily_refresh, new_batch_files, refresh_job
from orchestration.resources import Cx360Resource, resource_from_env

# The Dagster ops that carry each step of cx360.pipeline.STEPS, the refresh's one step order
# (`cx360 run` executes that list; here the asset graph and its blocking checks do).
# tests/test_orchestration.py runs the job and checks that every step has its ops here and
# that they start in STEPS' order: a step added to the pipeline and not to Dagster fails it.
STEP_NODES: dict[str, tuple[str, ...]] = {
    "land": (land_raw_batches.node_def.name,),
    "raw validation": (gx_raw_checks.node_def.name,),
    "purchase model": (fit_purchase_model.node_def.name,),
    "dbt build": (cx360_dbt_models.node_def.name,),
    "marts validation": (gx_customer_360_check.node_def.name, gx_fct_kpi_check.node_def.name),
    "publish": (published_warehouse.node_def.name,),
}
if list(STEP_NODES) != [step.name for step in STEPS]:  # a programming error: fail at load
    raise RuntimeError(
        f"orchestration STEP_NODES {list(STEP_NODES)} do not follow cx360.pipeline.STEPS "
        f"{[step.name for step in STEPS]}"
    )


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
