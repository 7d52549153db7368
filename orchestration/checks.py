"""Great Expectations suites as blocking asset checks, plus freshness checks.

Blocking: when a check fails (severity ERROR), the assets downstream of its asset do not run in
that run. Raw contract + volume checks guard dbt; the marts checks guard the publish asset.
"""

from collections.abc import Iterator
from datetime import timedelta

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    build_last_update_freshness_checks,
    build_sensor_for_freshness_checks,
    multi_asset_check,
)

from cx360.contract import load_contract
from cx360.validation import validate_marts, validate_raw
from expectations.marts import CUSTOMER_360, FCT_KPI
from expectations.results import SuiteOutcome
from orchestration.assets import published_warehouse, raw_asset_key
from orchestration.resources import Cx360Resource

RAW_CONTRACT_CHECK = "gx_raw_contract"
VOLUME_CHECK = "gx_volume_anomaly"
# The daily schedule refreshes every 24 h; allow a couple of hours for a slow run.
PUBLISH_FRESHNESS = timedelta(hours=26)


def _failed(asset_key: AssetKey, check_name: str, message: str) -> AssetCheckResult:
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description=message[:2000],
    )


def _result(outcome: SuiteOutcome | None, asset_key: AssetKey, check_name: str) -> AssetCheckResult:
    if outcome is None:
        return AssetCheckResult(
            asset_key=asset_key,
            check_name=check_name,
            passed=True,
            metadata={"note": "no batch under audit (all validated or accepted)"},
        )
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=outcome.success,
        severity=AssetCheckSeverity.ERROR,
        description=None if outcome.success else outcome.describe_failures()[:2000],
        metadata={
            "suite": outcome.suite,
            "rows_validated": outcome.rows,
            "expectations": len(outcome.expectations),
            "failed_expectations": MetadataValue.md(
                "\n".join(f"- {f.describe()}" for f in outcome.failures) or "none"
            ),
        },
    )


@multi_asset_check(
    specs=[
        spec
        for table in load_contract()
        for spec in (
            AssetCheckSpec(RAW_CONTRACT_CHECK, asset=raw_asset_key(table), blocking=True),
            AssetCheckSpec(VOLUME_CHECK, asset=raw_asset_key(table), blocking=True),
        )
    ],
    name="gx_raw_checks",
)
def gx_raw_checks(
    context: AssetCheckExecutionContext, cx360: Cx360Resource
) -> Iterator[AssetCheckResult]:
    """Contract and volume suites on every batch under audit (validated once, then recorded)."""
    report = validate_raw(cx360.warehouse, context.run.run_id)
    by_suite = {(o.suite, o.asset): o for o in report.outcomes}
    losses = {loss.table: loss.describe() for loss in report.losses}
    for table in load_contract():
        key = raw_asset_key(table)
        yield _result(by_suite.get((f"raw.{table}", f"raw.{table}")), key, RAW_CONTRACT_CHECK)
        volume = by_suite.get((f"volume.{table}", f"volume.{table}"))
        if table in losses:  # landing's loss check (cx360/landing/loss.py) fails the volume check
            suite_failures = volume.describe_failures() if volume and not volume.success else ""
            yield _failed(
                key, VOLUME_CHECK, "\n".join(filter(None, [losses[table], suite_failures]))
            )
        else:
            yield _result(volume, key, VOLUME_CHECK)


def _mart_check(table: str) -> AssetChecksDefinition:
    asset_key = AssetKey(["marts", table])

    @asset_check(asset=asset_key, name=f"gx_{table}", blocking=True)
    def _check(context: AssetCheckExecutionContext, cx360: Cx360Resource) -> AssetCheckResult:
        report = validate_marts(cx360.warehouse, context.run.run_id, tables=[table])
        if report.blocking:  # the mart guard (cx360/mart_guard.py), whatever was accepted
            return _failed(asset_key, f"gx_{table}", "\n".join(report.blocking))
        if not report.outcomes:  # spark: nothing to validate with GX
            return AssetCheckResult(passed=True, metadata={"note": "; ".join(report.notes)})
        return _result(report.outcomes[0], asset_key, f"gx_{table}")

    return _check


gx_customer_360_check = _mart_check(CUSTOMER_360)
gx_fct_kpi_check = _mart_check(FCT_KPI)

freshness_checks = build_last_update_freshness_checks(
    assets=[published_warehouse], lower_bound_delta=PUBLISH_FRESHNESS
)
freshness_sensor = build_sensor_for_freshness_checks(freshness_checks=freshness_checks)

GX_CHECKS = [gx_raw_checks, gx_customer_360_check, gx_fct_kpi_check]
