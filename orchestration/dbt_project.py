"""The one DbtProject of the code location, with a manifest that is current on load.

`dagster dev` would run `dbt parse` through prepare_if_dev(); `cx360 ui` starts the webserver
and daemon directly, and tests import the definitions, so the manifest is prepared here, on
import: parsed when missing or older than any dbt source file (a cheap mtime check; dbt parse
costs seconds).
Artefacts go under the warehouse's build folder, never into the repository's target/.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from cx360.dbt_runner import dbt_executable
from cx360.warehouse import PROJECT_DIR
from orchestration.resources import resource_from_env

DBT_SOURCE_GLOBS = ("models/**/*", "macros/**/*", "seeds/**/*", "tests/dbt/**/*")
DBT_SOURCE_FILES = ("dbt_project.yml", "profiles.yml")


def _newest_dbt_source_mtime() -> float:
    files = [PROJECT_DIR / name for name in DBT_SOURCE_FILES]
    for pattern in DBT_SOURCE_GLOBS:
        files += [p for p in PROJECT_DIR.glob(pattern) if p.is_file()]
    return max(p.stat().st_mtime for p in files if p.exists())


def _manifest_is_stale(manifest: Path) -> bool:
    return not manifest.exists() or manifest.stat().st_mtime < _newest_dbt_source_mtime()


@cache
def cx360_dbt_project() -> DbtProject:
    settings = resource_from_env()
    settings.export_dbt_env()
    target_path = Path(settings.warehouse_dir) / "build" / "dagster_manifest"
    project = DbtProject(
        project_dir=PROJECT_DIR,
        profiles_dir=PROJECT_DIR,
        target_path=target_path,
        target=settings.target,
    )
    # Also under `dagster dev` (instead of prepare_if_dev): its preparer looks for `dbt` on
    # PATH, which a venv that is not activated does not provide.
    if _manifest_is_stale(project.manifest_path):
        target_path.mkdir(parents=True, exist_ok=True)
        # dbt from the project's venv: the code location may run without it on PATH.
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()
    return project
