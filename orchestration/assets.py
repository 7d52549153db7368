"""Assets: landing (one per raw table), the dbt models, and the published warehouse.

Each asset calls the step functions of cx360.pipeline / cx360.publish, so `cx360 run` and a
Dagster run do the same work. What runs between them is decided by the blocking asset checks
in checks.py: a failed raw check stops dbt, a failed marts check or dbt test stops publish.

The warehouse lease (cx360/lease.py) is taken by landing with the Dagster run id, checked by
the dbt build and publish, and given back after publish; a run that stopped earlier leaves it,
and the next run takes it over once Dagster reports that run finished.
"""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
    multi_asset,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from cx360 import lease
from cx360.contract import load_contract
from cx360.dbt_runner import (
    REFRESH_BUILD_ARGS,
    SAVED_PARSE,
    DbtBuildResult,
    read_run_results,
    start_from_saved_parse,
)
from cx360.errors import resource_errors
from cx360.pipeline import land_step, record_build
from cx360.publish import publish
from cx360.purchase_model import fit_purchase_model_step
from orchestration.dbt_project import cx360_dbt_project
from orchestration.resources import Cx360Resource

# Landing and publish touch files only: a retry after a transient failure (lock, disk) is safe.
FILE_STEP_RETRIES = RetryPolicy(max_retries=2, delay=10, backoff=Backoff.EXPONENTIAL)
# A dbt build that failed on data fails again; retry once for transient engine errors only.
DBT_RETRIES = RetryPolicy(max_retries=1, delay=10)
# Runs carrying this tag are limited to one at a time by the run queue (orchestration/dagster.yaml).
WAREHOUSE_WRITE_TAG = {"cx360/warehouse": "write"}

LANDING_AUDIT_TABLES = ("landed_batches", "landing_quarantine")
PUBLISHED_SCHEMAS = ("marts", "audit")


def hold_lease(context: AssetExecutionContext, cx360: Cx360Resource) -> None:
    """Take (or confirm) the warehouse lease for this Dagster run; WarehouseBusy fails the step."""
    instance = context.instance

    def finished(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and run.is_finished

    lease.acquire(cx360.warehouse.root, context.run.run_id, holder_finished=finished)


def raw_asset_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


class Cx360DbtTranslator(DagsterDbtTranslator):
    """Asset keys [schema, name] (raw sources meet the landing assets), groups by dbt folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        folder = self._folder(dbt_resource_props)
        return AssetKey([folder, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return self._folder(dbt_resource_props)

    @staticmethod
    def _folder(dbt_resource_props: Mapping[str, Any]) -> str:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props["resource_type"] == "source":
            return "raw" if dbt_resource_props["schema"] == "raw" else "landing"
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, folder, ..., name]; models sit in staging/intermediate/marts/audit.
        return fqn[1] if len(fqn) > 2 else "default"


translator = Cx360DbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@multi_asset(
    specs=[
        *(
            AssetSpec(raw_asset_key(t.name), group_name="raw", description=t.description or None)
            for t in load_contract().values()
        ),
        *(AssetSpec(AssetKey(["audit", t]), group_name="landing") for t in LANDING_AUDIT_TABLES),
    ],
    name="land_raw_batches",
    retry_policy=FILE_STEP_RETRIES,
    op_tags=WAREHOUSE_WRITE_TAG,
)
def land_raw_batches(
    context: AssetExecutionContext, cx360: Cx360Resource
) -> Iterator[MaterializeResult]:
    """Land new batch files of the raw folder (landing lands all tables in one pass)."""
    hold_lease(context, cx360)
    with resource_errors("land", cx360.warehouse.root):
        report = land_step(cx360.raw_path, cx360.warehouse, progress=False)
    context.log.info(
        f"landed {report.total.rows_read} rows read, {report.total.rows_quarantined} quarantined"
    )
    for warning in report.warnings:
        context.log.warning(warning)
    for table in report.tables:
        yield MaterializeResult(
            asset_key=raw_asset_key(table.table),
            metadata={
                "batches_loaded": table.batches_loaded,
                "batches_skipped": table.batches_skipped,
                "rows_read": table.rows_read,
                "rows_accepted": table.rows_accepted,
                "rows_quarantined": table.rows_quarantined,
            },
        )
    total = report.total
    yield MaterializeResult(
        asset_key=AssetKey(["audit", "landed_batches"]),
        metadata={"batches_loaded": total.batches_loaded, "rows_read": total.rows_read},
    )
    yield MaterializeResult(
        asset_key=AssetKey(["audit", "landing_quarantine"]),
        metadata={"rows_quarantined": total.rows_quarantined},
    )


@multi_asset(
    specs=[
        AssetSpec(
            AssetKey(["purchase_model", name]),
            group_name="purchase_model",
            deps=[raw_asset_key(t) for t in ("crm_customers", "crm_contracts", "billing_orders")],
        )
        for name in ("parameters", "customer_predictions")
    ],
    name="fit_purchase_model",
    retry_policy=DBT_RETRIES,
    op_tags=WAREHOUSE_WRITE_TAG,
)
def fit_purchase_model(
    context: AssetExecutionContext, cx360: Cx360Resource
) -> Iterator[MaterializeResult]:
    """BG/NBD + Gamma-Gamma on the purchase summary (the step of `cx360 run`, docs/clv.md)."""
    hold_lease(context, cx360)
    cx360.export_dbt_env()
    fit = fit_purchase_model_step(
        cx360.warehouse, cx360.settings.dbt_vars(), echo=lambda line: context.log.debug(line)
    )
    context.log.info(fit.describe())
    metadata: dict[str, Any] = {"customers": fit.customers, "repeat_buyers": fit.repeat_buyers}
    metadata.update({k: MetadataValue.float(v) for k, v in fit.parameters.items()})
    yield MaterializeResult(asset_key=AssetKey(["purchase_model", "parameters"]), metadata=metadata)
    yield MaterializeResult(asset_key=AssetKey(["purchase_model", "customer_predictions"]))


@dbt_assets(
    manifest=cx360_dbt_project().manifest_path,
    project=cx360_dbt_project(),
    dagster_dbt_translator=translator,
    retry_policy=DBT_RETRIES,
    op_tags=WAREHOUSE_WRITE_TAG,
)
def cx360_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, cx360: Cx360Resource
) -> Iterator[Any]:
    """One `dbt build` for the selected models: seeds, models and data tests in dependency
    order (unit tests run in CI, not on every refresh: cx360.dbt_runner.REFRESH_BUILD_ARGS)."""
    hold_lease(context, cx360)
    cx360.export_dbt_env()
    target_path = cx360.warehouse.build_db.parent / "dagster_target" / context.run.run_id[:8]
    # A run's own target folder would make dbt parse the whole project (20-30 s) on every
    # refresh: start from the parse the code location saved on load, same project, profile
    # and environment (orchestration/dbt_project.py); dbt parses again whatever differs.
    start_from_saved_parse(target_path, Path(cx360_dbt_project().target_path) / SAVED_PARSE)
    invocation = dbt.cli(
        ["build", *REFRESH_BUILD_ARGS, *cx360.settings.dbt_args()],
        context=context,
        target_path=target_path,
        raise_on_error=False,
    )
    yield from invocation.stream()
    # As `cx360 run` does: test outcomes into audit.validation_results, a failure named.
    build = DbtBuildResult(
        invocation.process.wait(),
        read_run_results(target_path),
        target_path / "dbt.log",
        target_path,
    )
    record_build(cx360.warehouse, context.run.run_id, build)


PUBLISH_DEPS = [key for key in cx360_dbt_models.keys if key.path[0] in PUBLISHED_SCHEMAS]


def headline_kpis(published_db: str) -> dict[str, float]:
    """Overall, all-time value of every KPI in the published fct_kpi."""
    con = duckdb.connect(published_db, read_only=True)
    try:
        rows = con.execute(
            """
            select kpi_name, value from marts.fct_kpi
            where period_grain = 'all' and dimension_name = 'overall' and value is not null
            order by kpi_name
            """
        ).fetchall()
    finally:
        con.close()
    return {name: float(value) for name, value in rows}


@asset(
    key=AssetKey(["published", "cx360_duckdb"]),
    group_name="publish",
    deps=PUBLISH_DEPS,
    retry_policy=FILE_STEP_RETRIES,
    op_tags=WAREHOUSE_WRITE_TAG,
    description="The published DuckDB file BI reads (<warehouse>/cx360.duckdb): schemas marts "
    "and audit, replaced atomically only when every blocking check upstream passed.",
)
def published_warehouse(context: AssetExecutionContext, cx360: Cx360Resource) -> MaterializeResult:
    warehouse = cx360.warehouse
    hold_lease(context, cx360)
    if warehouse.target != "duckdb":  # swaps the validated build schema in (cx360.publish)
        try:
            with resource_errors("publish", warehouse.root):
                swapped = publish(warehouse, context.run.run_id, validation_passed=True)
        finally:
            lease.release(warehouse.root, context.run.run_id)
        return MaterializeResult(
            metadata={"target": warehouse.target, "tables": len(swapped.row_counts)}
        )
    try:
        with resource_errors("publish", warehouse.root):
            result = publish(warehouse, context.run.run_id, validation_passed=True)
    finally:
        lease.release(warehouse.root, context.run.run_id)
    metadata: dict[str, Any] = {
        "path": MetadataValue.path(str(result.path)),
        "tables": len(result.row_counts),
        "customer_360_rows": result.row_counts.get("marts.customer_360", 0),
        "fct_kpi_rows": result.row_counts.get("marts.fct_kpi", 0),
    }
    # One float per KPI: the asset's Plots tab charts each across materialisations.
    for kpi, value in headline_kpis(str(result.path)).items():
        metadata[f"kpi_{kpi}"] = MetadataValue.float(value)
    return MaterializeResult(metadata=metadata)
