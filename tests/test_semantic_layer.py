"""The MetricFlow semantic layer (models/semantic) agrees with fct_kpi.

Reads the marts of the shared clean run (tests/conftest.py) through a temporary copy of the dbt
project (so the repository's target/ is left alone; MetricFlow reads
<project>/target/semantic_manifest.json),
then runs `mf query --metrics nps --group-by metric_time__month` and compares every month, and
the ungrouped total, with marts.fct_kpi (kpi_name nps, dimension overall).
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import CleanRun

from cx360.warehouse import PROJECT_DIR

PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_DIRS = ("models", "macros", "seeds", "tests/dbt")
BIN_DIR = Path(sys.executable).parent


def _copy_project(destination: Path) -> Path:
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(PROJECT_DIR / name, destination / name)
    for name in PROJECT_DIRS:
        if (PROJECT_DIR / name).exists():
            shutil.copytree(PROJECT_DIR / name, destination / name)
    return destination


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def semantic_project(
    tmp_path_factory: pytest.TempPathFactory, clean_run: CleanRun
) -> tuple[Path, dict[str, str]]:
    """(project copy with a parsed semantic manifest, environment pointing at the warehouse of
    the shared clean run, tests/conftest.py, whose build database holds the marts)."""
    project = _copy_project(tmp_path_factory.mktemp("semantic") / "project")
    env = {**clean_run.warehouse.dbt_env(), "DBT_PROFILES_DIR": str(project)}
    _run([str(BIN_DIR / "dbt"), "parse"], project, env)  # writes target/semantic_manifest.json
    return project, env


def _mf_query(project: Path, env: dict[str, str], out: Path, *group_by: str) -> list[dict]:
    args = [str(BIN_DIR / "mf"), "query", "--metrics", "nps", "--csv", str(out)]
    if group_by:
        args += ["--group-by", ",".join(group_by)]
    _run(args, project, env)
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _fct_kpi_nps(env: dict[str, str]) -> dict[str | None, float | None]:
    build_db = Path(env["CX360_WAREHOUSE_DIR"]) / "build" / "cx360_build.duckdb"
    with duckdb.connect(str(build_db), read_only=True) as con:
        rows = con.execute(
            "select period_start, value from marts.fct_kpi where kpi_name = 'nps' "
            "and dimension_name = 'overall' and period_grain in ('month', 'all')"
        ).fetchall()
    return {(str(start) if start else None): value for start, value in rows}


@pytest.mark.slow
def test_mf_nps_by_month_matches_fct_kpi(
    semantic_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = semantic_project
    rows = _mf_query(project, env, tmp_path / "nps_month.csv", "metric_time__month")
    expected = _fct_kpi_nps(env)
    compared = 0
    for row in rows:
        month = row["metric_time__month"][:10]
        mf_value = float(row["nps"]) if row["nps"] else None
        assert month in expected, f"MetricFlow has NPS for {month}, fct_kpi does not"
        fct_value = expected[month]
        if mf_value is None or fct_value is None:
            assert mf_value is None and fct_value is None, month
            continue
        assert math.isclose(mf_value, fct_value, rel_tol=1e-9, abs_tol=1e-9), (
            f"{month}: MetricFlow {mf_value} != fct_kpi {fct_value}"
        )
        compared += 1
    assert compared >= 6, f"only {compared} months compared"


@pytest.mark.slow
def test_mf_nps_total_matches_fct_kpi_all(
    semantic_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    project, env = semantic_project
    rows = _mf_query(project, env, tmp_path / "nps_all.csv")
    assert len(rows) == 1
    assert math.isclose(float(rows[0]["nps"]), _fct_kpi_nps(env)[None], rel_tol=1e-9)


def test_semantic_yaml_defines_the_required_metrics() -> None:
    import yaml

    spec = yaml.safe_load((PROJECT_DIR / "models/semantic/_semantic__models.yml").read_text())
    metrics = {metric["name"] for metric in spec["metrics"]}
    required = {
        "nps", "csat", "ces", "churn_rate", "retention_rate", "mttr_hours",
        "clv_historical", "cac", "referral_rate",
    }  # fmt: skip
    assert required <= metrics, f"missing metrics: {sorted(required - metrics)}"
    spines = [m for m in spec["models"] if "time_spine" in m]
    assert spines, "no time spine model"
    assert os.path.exists(PROJECT_DIR / "models/semantic" / f"{spines[0]['name']}.sql")
