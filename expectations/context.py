"""The one function that builds the Great Expectations context cx360 validates with."""

from __future__ import annotations

import logging
from pathlib import Path

import great_expectations as gx
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.offline_docs import make_offline

DATA_DOCS_SITE = "cx360"


def build_context(data_docs_dir: Path | None = None) -> AbstractDataContext:
    """An ephemeral context (suites live in code, nothing to keep in sync on disk).

    With `data_docs_dir`, a Data Docs site writes there when `build_data_docs()` is called,
    so every run leaves browsable HTML next to the warehouse.
    """
    # GX logs analytics/usage chatter at INFO; the pipeline has its own progress output.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if data_docs_dir is not None:
        data_docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name=DATA_DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(data_docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def build_data_docs(context: AbstractDataContext) -> None:
    """Rebuild the Data Docs site from the validations run in this context, with its assets
    local so the pages open offline (expectations/offline_docs.py)."""
    if DATA_DOCS_SITE in (context.get_site_names() or []):
        context.build_data_docs(site_names=[DATA_DOCS_SITE])
        config = context.get_config().data_docs_sites or {}
        base = config[DATA_DOCS_SITE]["store_backend"]["base_directory"]
        make_offline(Path(base))
