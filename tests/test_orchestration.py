"""Dagster orchestration: the definitions load; the whole graph materialises in process on a
temporary warehouse; a blocking GX check stops publish; the web UI answers GraphQL, shows the
asset graph and runs a launched job to success."""

from __future__ import annotations

import importlib
import itertools
import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _orch_support import generated_raw, sha256, ticket_rows, write_batch
from _server_support import unused_listen_port
from dagster import AssetKey, DagsterInstance

from cx360.contract import load_contract
from cx360.pipeline import STEPS

pytestmark = pytest.mark.slow  # dbt parse + builds + a web server: minutes, not seconds

PUBLISHED = AssetKey(["published", "cx360_duckdb"])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("orchestration")


@pytest.fixture(scope="module")
def raw_dir(workdir: Path) -> Path:
    return generated_raw(workdir / "raw", seed=9)


@pytest.fixture(scope="module")
def definitions_module(workdir: Path, raw_dir: Path) -> Iterator[ModuleType]:
    """orchestration.definitions imported with the code location's env pointing at tmp
    folders (the dbt manifest is prepared on import, under the warehouse folder)."""
    saved = dict(os.environ)
    os.environ["CX360_WAREHOUSE_DIR"] = str(workdir / "wh")
    os.environ["CX360_RAW_DIR"] = str(raw_dir)
    os.environ["CX360_TARGET"] = "duckdb"
    try:
        yield importlib.import_module("orchestration.definitions")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_definitions_load(definitions_module: ModuleType) -> None:
    defs = definitions_module.defs
    graph = defs.get_repository_def().asset_graph
    keys = graph.get_all_asset_keys()
    for table in load_contract():
        assert AssetKey(["raw", table]) in keys
    assert {
        AssetKey(["staging", "stg_crm__customers"]),
        AssetKey(["marts", "customer_360"]),
        AssetKey(["marts", "fct_kpi"]),
        PUBLISHED,
    } <= keys
    assert graph.get(AssetKey(["staging", "stg_crm__customers"])).group_name == "staging"
    assert graph.get(AssetKey(["marts", "fct_kpi"])).group_name == "marts"

    checks = {(c.asset_key, c.name) for c in graph.asset_check_keys}
    assert (AssetKey(["raw", "support_tickets"]), "gx_volume_anomaly") in checks
    assert (AssetKey(["raw", "support_tickets"]), "gx_raw_contract") in checks
    assert (AssetKey(["marts", "customer_360"]), "gx_customer_360") in checks
    assert (AssetKey(["marts", "fct_kpi"]), "gx_fct_kpi") in checks
    dbt_checks = [c for c in checks if c[0].path[0] == "staging" and "not_null" in c[1]]
    assert dbt_checks, "dbt tests surface as asset checks"
    assert any("freshness" in name for key, name in checks if key == PUBLISHED)

    assert defs.resolve_schedule_def("cx360_daily_refresh").cron_schedule == "0 6 * * *"
    assert defs.resolve_sensor_def("new_batch_files") is not None
    job = defs.resolve_job_def("cx360_refresh")
    assert job.tags.get("cx360/warehouse") == "write"


@pytest.fixture(scope="module")
def in_process(definitions_module: ModuleType, workdir: Path, raw_dir: Path) -> Any:
    from orchestration.resources import Cx360Resource

    # the warehouse of the code location's environment, as `cx360 ui` runs it: the dbt asset
    # starts from the parse made on load (orchestration/dbt_project.py)
    resource = Cx360Resource(raw_dir=str(raw_dir), warehouse_dir=str(workdir / "wh"))
    return definitions_module.build_definitions(resource), resource


def test_graph_materialises_in_process(in_process: Any, definitions_module: ModuleType) -> None:
    defs, resource = in_process
    saved = dict(os.environ)
    try:
        result = defs.resolve_job_def("cx360_refresh").execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert result.success
    # the ops start in the order of cx360.pipeline.STEPS, the one the CLI runs
    starts = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    positions = [
        [starts.index(node) for node in definitions_module.STEP_NODES[step.name]] for step in STEPS
    ]
    for before, after in itertools.pairwise(positions):
        assert max(before) < min(after), f"steps out of order: {starts}"
    evaluations = result.get_asset_check_evaluations()
    gx = [e for e in evaluations if e.check_name.startswith("gx_")]
    assert len(gx) == 2 * len(load_contract()) + 2
    assert all(e.passed for e in gx)
    (published,) = [
        m for m in result.get_asset_materialization_events() if m.asset_key == PUBLISHED
    ]
    metadata = published.materialization.metadata
    assert resource.warehouse.published_db.exists()
    assert "kpi_nps" in metadata and isinstance(metadata["kpi_nps"].value, float)
    # the dbt asset's build parsed only what changed since the code location's parse, not the
    # whole project (20-30 s a refresh)
    (run_target,) = (resource.warehouse.build_db.parent / "dagster_target").iterdir()
    log = "".join(p.read_text(encoding="utf-8") for p in run_target.glob("dbt.log*"))  # rolled
    assert "Partial parsing enabled" in log and "Unable to do partial parsing" not in log


def test_blocking_check_stops_publish(in_process: Any) -> None:
    defs, resource = in_process
    warehouse = resource.warehouse
    before = sha256(warehouse.published_db)
    bad = write_batch(
        resource.raw_path, "support_tickets", "2026-07-02.csv", ticket_rows("X", 40, bad=36)
    )
    saved = dict(os.environ)
    try:
        result = defs.resolve_job_def("cx360_refresh").execute_in_process(
            instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
        (resource.raw_path / bad).unlink()
    assert not result.success
    # the run's failure says which check blocked it
    failures = " ".join(
        e.step_failure_data.error.to_string()
        for e in result.all_events
        if e.is_step_failure and e.step_failure_data.error is not None
    )
    assert "gx_volume_anomaly" in failures, failures
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [(e.asset_key, e.check_name) for e in failed] == [
        (AssetKey(["raw", "support_tickets"]), "gx_volume_anomaly")
    ]
    assert bad in (failed[0].description or "")
    materialised = {m.asset_key for m in result.get_asset_materialization_events()}
    assert PUBLISHED not in materialised
    assert AssetKey(["marts", "customer_360"]) not in materialised
    assert sha256(warehouse.published_db) == before


# ---------------------------------------------------------------------------------------------
# the web UI


def _graphql(port: int, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


def _wait_for_server(port: int, webserver: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        # Its own output (address in use, an import error) is in the captured stderr below.
        assert webserver.poll() is None, f"dagster-webserver exited with {webserver.returncode}"
        try:
            _graphql(port, "{ version }")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)  # a refused connection costs nothing: ask again soon


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
RUN_STATUS = """
query Status($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""


def test_web_ui_answers_and_runs(
    workdir: Path, raw_dir: Path, definitions_module: ModuleType
) -> None:
    from orchestration.ui import prepare_dagster_home, start_processes, ui_environment

    home = prepare_dagster_home(workdir / "dagster_home")
    env = ui_environment(
        raw_dir=raw_dir, warehouse_dir=workdir / "wh_ui", target="duckdb", dagster_home=home
    )
    port = unused_listen_port()
    daemon, webserver = start_processes(env, host="127.0.0.1", port=port)
    try:
        _wait_for_server(port, webserver, timeout=240)
        locations = _graphql(port, LOCATIONS)["workspaceOrError"]["locationEntries"]
        load_errors = [
            (entry["name"], entry["locationOrLoadError"].get("message"))
            for entry in locations
            if entry["locationOrLoadError"]["__typename"] == "PythonError"
        ]
        assert not load_errors, load_errors
        nodes = _graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
        paths = {tuple(n["assetKey"]["path"]) for n in nodes}
        assert ("published", "cx360_duckdb") in paths and ("marts", "customer_360") in paths

        repos = _graphql(
            port,
            "{ repositoriesOrError { ... on RepositoryConnection"
            " { nodes { name location { name } } } } }",
        )["repositoriesOrError"]["nodes"]
        (repo,) = repos
        # Landing + its blocking raw checks: the cheap part of the graph, through the queue.
        landing_keys = [["raw", t] for t in load_contract()] + [
            ["audit", "landed_batches"],
            ["audit", "landing_quarantine"],
        ]
        launched = _graphql(
            port,
            LAUNCH,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": repo["location"]["name"],
                        "repositoryName": repo["name"],
                        "jobName": "cx360_refresh",
                        "assetSelection": [{"path": k} for k in landing_keys],
                    },
                    "runConfigData": {},
                }
            },
        )["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]

        deadline = time.monotonic() + 600
        status = None
        while time.monotonic() < deadline:
            assert webserver.poll() is None, f"dagster-webserver exited with {webserver.returncode}"
            assert daemon.poll() is None, f"dagster-daemon exited with {daemon.returncode}"
            status = _graphql(port, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(0.5)
        assert status == "SUCCESS"
        assert (workdir / "wh_ui" / "build" / "cx360_build.duckdb").exists()
    finally:
        for process in (webserver, daemon):
            process.terminate()
        for process in (webserver, daemon):
            try:
                process.wait(timeout=30)
            except Exception:
                process.kill()


def test_instance_runs_one_warehouse_writer_at_a_time(tmp_path: Path) -> None:
    from orchestration.ui import prepare_dagster_home

    home = prepare_dagster_home(tmp_path / "home")
    instance = DagsterInstance.from_config(str(home))
    try:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    finally:
        instance.dispose()
    assert {"key": "cx360/warehouse", "value": "write", "limit": 1} in limits


def test_prepared_home_has_its_storage_before_the_daemon_and_webserver_start(
    tmp_path: Path,
) -> None:
    """CI of stop 24, second try: the daemon and the webserver, started together on a fresh
    DAGSTER_HOME, both created its SQLite storage and stamped its schema version twice; the
    code location then failed to load ("more than one head present"). The home is now
    prepared with its storage."""
    import sqlite3
    import sys

    from orchestration.ui import prepare_dagster_home

    home = prepare_dagster_home(tmp_path / "home")
    databases = sorted(home.rglob("*.db"))
    assert {d.name for d in databases} >= {"runs.db", "schedules.db"}, databases
    for database in databases:
        with sqlite3.connect(database) as connection:
            versions = connection.execute("select version_num from alembic_version").fetchall()
        assert len(versions) == 1, (database, versions)

    # Two processes opening the prepared home at once, as `cx360 ui` does, both succeed.
    open_instance = (
        "import sys; from dagster import DagsterInstance;"
        " DagsterInstance.from_config(sys.argv[1]).dispose()"
    )
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", open_instance, str(home)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    for opener in openers:
        output, _ = opener.communicate(timeout=120)
        assert opener.returncode == 0, output.decode(errors="replace")[-2000:]


def test_sensor_requests_a_run_only_for_new_batch_files(
    definitions_module: ModuleType, tmp_path: Path
) -> None:
    """The sensor reads the raw folder from its resource (tests/test_batch_discovery.py covers
    what counts as a complete batch)."""
    from dagster import build_sensor_context

    from orchestration.jobs import new_batch_files
    from orchestration.resources import Cx360Resource

    raw = tmp_path / "raw"
    write_batch(raw, "support_tickets", "2026-07-01.csv", ticket_rows("S", 2, bad=0))
    resources = {"cx360": Cx360Resource(raw_dir=str(raw), warehouse_dir=str(tmp_path / "wh"))}

    def evaluate(cursor: str | None) -> list[Any]:
        return list(new_batch_files(build_sensor_context(cursor=cursor, resources=resources)))

    first = evaluate(None)
    assert [type(r).__name__ for r in first] == ["RunRequest"]
    cursor = first[0].run_key
    assert [type(r).__name__ for r in evaluate(cursor)] == ["SkipReason"]
    write_batch(raw, "support_tickets", "2026-07-02.csv", ticket_rows("T", 2, bad=0))
    assert [type(r).__name__ for r in evaluate(cursor)] == ["RunRequest"]
