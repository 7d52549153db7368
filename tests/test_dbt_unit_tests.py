"""The dbt unit tests (formulas on fixed input rows, `unit_tests:` in models/**/_*.yml) on DuckDB
and on Postgres, against the suite's shared builds (tests/conftest.py clean_run and
postgres_run): a refresh leaves them out (cx360.dbt_runner.REFRESH_BUILD_ARGS), and a dbt unit
test needs its model's parents built, which those refreshes did. No build of its own: `make
test` used to build the whole project twice more for them (the dbt-test target).

Each test fails when a unit test fails, errors or is not run at all."""

from __future__ import annotations

import json

import pytest
from conftest import CleanRun, PostgresRun

from cx360.dbt_runner import DbtBuildResult, dbt_unit_tests

pytestmark = pytest.mark.slow


def _declared_unit_tests(result: DbtBuildResult) -> set[str]:
    """Every unit test of the project, from the manifest of the run just made."""
    manifest = json.loads((result.target_path / "manifest.json").read_text("utf-8"))
    return set(manifest["unit_tests"])


def _assert_every_unit_test_passed(result: DbtBuildResult, output: list[str]) -> None:
    assert result.nodes, "dbt ran nothing:\n" + "\n".join(output[-40:])
    ran = {n.unique_id: n for n in result.nodes if n.resource_type == "unit_test"}
    failed = [f"{n.unique_id}: {n.status} {n.message}" for n in ran.values() if n.status != "pass"]
    assert not failed, "\n".join(failed)
    declared = _declared_unit_tests(result)
    assert len(declared) >= 50, f"only {len(declared)} unit tests declared"
    assert set(ran) == declared, f"not run: {sorted(declared - set(ran))}"
    assert result.returncode == 0, f"dbt exited {result.returncode}:\n" + "\n".join(output[-40:])


def test_unit_tests_pass_on_duckdb(clean_run: CleanRun) -> None:
    lines: list[str] = []
    result = dbt_unit_tests(clean_run.warehouse, echo=lines.append)
    _assert_every_unit_test_passed(result, lines)


@pytest.mark.postgres
def test_unit_tests_pass_on_postgres(
    postgres_run: PostgresRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CX360_PG_DATABASE", postgres_run.database)
    lines: list[str] = []
    result = dbt_unit_tests(postgres_run.warehouse, echo=lines.append)
    _assert_every_unit_test_passed(result, lines)
