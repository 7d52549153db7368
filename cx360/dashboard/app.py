"""Streamlit entry point of the cx360 dashboard.

    streamlit run cx360/dashboard/app.py -- --warehouse-dir DIR     (what `cx360 dashboard` runs)

Streamlit reruns this script on every interaction: it draws the sidebar (publish status,
filters), then the page chosen in the navigation. Pages live in views/, one module each.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from cx360.dashboard import data, sidebar
from cx360.dashboard.context import PageContext
from cx360.dashboard.views import (
    act,
    cohorts,
    executive,
    journey,
    network,
    segments,
    service,
)

# (module, title, url path, icon); the url paths are also the dbt exposures' urls.
PAGES = (
    (executive, "Executive view", "executive", ":material/monitoring:"),
    (segments, "Segments and value", "segments", ":material/pie_chart:"),
    (journey, "Touchpoint journey", "journey", ":material/route:"),
    (cohorts, "Cohort retention", "cohorts", ":material/grid_on:"),
    (service, "Service", "service", ":material/support_agent:"),
    (network, "Network quality", "network", ":material/cell_tower:"),
    (act, "Customers to act on", "customers-to-act-on", ":material/person_alert:"),
)


def warehouse_dir_from_args() -> Path:
    parser = argparse.ArgumentParser(prog="cx360 dashboard app")
    parser.add_argument(
        "--warehouse-dir",
        type=Path,
        default=Path(os.environ.get("CX360_WAREHOUSE_DIR", "warehouse")),
    )
    args, _ = parser.parse_known_args()
    return args.warehouse_dir


def show_error(err: data.DashboardDataError) -> None:
    st.warning(err.message)
    if err.hint:
        st.caption(err.hint)


def page(render: Callable[[PageContext], None], ctx: PageContext | None) -> Callable[[], None]:
    def run() -> None:
        if ctx is None:
            return
        try:
            render(ctx)
        except data.DashboardDataError as err:
            show_error(err)

    return run


def main() -> None:
    st.set_page_config(page_title="cx360", page_icon=":material/monitoring:", layout="wide")
    st.sidebar.title("cx360")
    wh = data.PublishedWarehouse.of(warehouse_dir_from_args())
    ctx: PageContext | None = None
    try:
        sidebar.show_publish_status(wh)
        ctx = PageContext(wh, sidebar.choose_filters(wh), data.kpi_dimensions(wh))
    except data.DashboardDataError as err:
        show_error(err)
    navigation = st.navigation(
        [
            st.Page(page(module.render, ctx), title=title, url_path=url, icon=icon)
            for module, title, url, icon in PAGES
        ]
    )
    navigation.run()


main()
