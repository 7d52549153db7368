"""The refresh job, its daily schedule and the sensor on new batch files."""

from collections.abc import Iterator

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    HookContext,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    failure_hook,
    in_process_executor,
    sensor,
)

from cx360 import lease
from cx360.contract import load_contract
from cx360.landing.discovery import batch_fingerprint
from cx360.pipeline import STEPS
from orchestration.assets import WAREHOUSE_WRITE_TAG
from orchestration.resources import Cx360Resource


@failure_hook(required_resource_keys={"cx360"})
def release_lease_on_failure(context: HookContext) -> None:
    """A failed step ends the run's writing: give the warehouse lease back at once (a run
    whose process died is recognised as stale instead)."""
    lease.release(context.resources.cx360.warehouse.root, context.run_id)


refresh_job = define_asset_job(
    name="cx360_refresh",
    selection=AssetSelection.all(),
    description=" -> ".join(step.name for step in STEPS),
    tags=WAREHOUSE_WRITE_TAG,
    # All steps in the run worker's process: the warehouse lease names that pid, and the lease
    # of a run whose process died is recognised as stale (cx360/lease.py).
    executor_def=in_process_executor,
    hooks={release_lease_on_failure},
)

daily_refresh = ScheduleDefinition(
    name="cx360_daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)


@sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Start a refresh when a complete batch file appears, changes or goes in the raw "
    "folder (the files landing would land: cx360.landing.discovery).",
)
def new_batch_files(
    context: SensorEvaluationContext, cx360: Cx360Resource
) -> Iterator[RunRequest | SkipReason]:
    raw_dir = cx360.raw_path
    if not raw_dir.is_dir():
        yield SkipReason(f"raw folder {raw_dir} does not exist")
        return
    # Keyed on content hashes: a fix copied with its size and mtime kept (cp -p) still counts.
    fingerprint = batch_fingerprint(raw_dir, tuple(load_contract()))
    if fingerprint is None:
        yield SkipReason("no complete batch file")
        return
    if fingerprint == context.cursor:
        yield SkipReason("no new or changed batch file")
        return
    context.update_cursor(fingerprint)
    yield RunRequest(run_key=fingerprint)
