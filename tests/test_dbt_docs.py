"""`dbt docs generate` (what `make docs` serves): it runs from the repo root on an empty
warehouse, every model and every declared column has a description, and each dashboard page is
declared as a dbt exposure pointing at its URL (issue 7: dbt docs + exposures)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cx360.dashboard.app import PAGES
from cx360.dbt_runner import dbt_executable
from cx360.warehouse import PROJECT_DIR


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Target folder of one `dbt docs generate --empty-catalog` (no data needed)."""
    root = tmp_path_factory.mktemp("dbt_docs")
    warehouse = root / "wh"
    (warehouse / "build").mkdir(parents=True)
    target = root / "target"
    env = {**os.environ, "CX360_WAREHOUSE_DIR": str(warehouse), "CX360_TARGET": "duckdb"}
    completed = subprocess.run(
        [
            dbt_executable(),
            "--no-use-colors",
            "docs",
            "generate",
            "--empty-catalog",
            "--target-path",
            str(target),
            "--log-path",
            str(root / "logs"),
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    return target


def _manifest(docs: Path) -> dict:
    return json.loads((docs / "manifest.json").read_text(encoding="utf-8"))


def test_docs_site_is_generated(docs: Path) -> None:
    assert (docs / "index.html").stat().st_size > 0
    assert (docs / "catalog.json").exists()


def test_every_model_and_column_is_described(docs: Path) -> None:
    models = [n for n in _manifest(docs)["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 50  # staging, intermediate, marts and audit
    undocumented = [m["name"] for m in models if not m["description"].strip()]
    assert undocumented == []
    without_columns = [m["name"] for m in models if not m["columns"]]
    assert without_columns == []
    bare_columns = [
        f"{m['name']}.{name}"
        for m in models
        for name, column in m["columns"].items()
        if not column["description"].strip()
    ]
    assert bare_columns == []


def test_every_dashboard_page_is_an_exposure(docs: Path) -> None:
    exposures = list(_manifest(docs)["exposures"].values())
    assert all(e["type"] == "dashboard" and e["description"].strip() for e in exposures)
    assert all(e["depends_on"]["nodes"] for e in exposures), "an exposure names no model"
    urls = {e["url"].rstrip("/").rsplit("/", 1)[-1] for e in exposures}
    (_, _, default_page, _, _), *other_pages = PAGES
    # the default page is served at the root URL ("127.0.0.1:8501"), the others at their path
    expected = {"127.0.0.1:8501"} | {url for _, _, url, _, _ in other_pages}
    assert urls == expected, f"default page {default_page!r} at the root"
