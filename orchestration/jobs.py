"""The refresh job, its daily schedule and the sensor on new batch files."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from orchestration.assets import WAREHOUSE_WRITE_TAG
from orchestration.resources import resource_from_env

RAW_SUFFIXES = (".csv", ".parquet")

refresh_job = define_asset_job(
    name="cx360_refresh",
    selection=AssetSelection.all(),
    description="land -> validate raw -> purchase model -> dbt build -> validate marts -> publish",
    tags=WAREHOUSE_WRITE_TAG,
)

daily_refresh = ScheduleDefinition(
    name="cx360_daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)


def raw_fingerprint(raw_dir: Path) -> str:
    """Names, sizes and modification times of the raw folder's batch files, hashed: changes
    when a batch file is added or rewritten."""
    entries = sorted(
        f"{p.relative_to(raw_dir)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in raw_dir.rglob("*")
        if p.is_file() and p.suffix in RAW_SUFFIXES
    )
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


@sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Start a refresh when a batch file appears or changes in the raw folder.",
)
def new_batch_files(context: SensorEvaluationContext) -> Iterator[RunRequest | SkipReason]:
    raw_dir = resource_from_env().raw_path
    if not raw_dir.is_dir():
        yield SkipReason(f"raw folder {raw_dir} does not exist")
        return
    fingerprint = raw_fingerprint(raw_dir)
    if fingerprint == context.cursor:
        yield SkipReason("no new or changed batch file")
        return
    context.update_cursor(fingerprint)
    yield RunRequest(run_key=fingerprint)
