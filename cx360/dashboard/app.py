"""Streamlit entry point of the cx360 dashboard.

    streamlit run cx360/dashboard/app.py -- --warehouse-dir DIR [--target duckdb|postgres]
    (what `cx360 dashboard` runs)

Streamlit reruns this script on every interaction: it draws the sidebar (publish status,
filters), then the page chosen in the navigation. Pages live in views/, one module each.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from cx360.dashboard import data, registry, sidebar
from cx360.dashboard.context import PageContext
from cx360.dashboard.views import (
    act,
    cohorts,
    drilldown,
    executive,
    experience,
    journey,
    network,
    segments,
    service,
)

# (module, title, url path, icon, subject the page needs or None); the url paths are also the
# dbt exposures' urls. A page whose subject the published marts hold no rows for is not shown
# (data.available_subjects): a retailer without tickets gets no service page.
PAGES = (
    (executive, "Executive view", "executive", ":material/monitoring:", None),
    (experience, "Voice of the customer", "experience", ":material/reviews:", "surveys"),
    (segments, "Segments and value", "segments", ":material/pie_chart:", "customers"),
    (journey, "Touchpoint journey", "journey", ":material/route:", "journey"),
    (cohorts, "Cohort retention", "cohorts", ":material/grid_on:", "cohorts"),
    (service, "Service", "service", ":material/support_agent:", "tickets"),
    (network, "Network quality", "network", ":material/cell_tower:", "network"),
    (act, "Customers to act on", "customers-to-act-on", ":material/person_alert:", "targets"),
    (drilldown, "Drill-down", "drilldown", ":material/table_rows:", "drilldown"),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cx360 dashboard app")
    parser.add_argument(
        "--warehouse-dir",
        type=Path,
        default=Path(os.environ.get("CX360_WAREHOUSE_DIR", "warehouse")),
    )
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    args, _ = parser.parse_known_args()
    return args


def marts_source(args: argparse.Namespace) -> data._Marts:
    if args.target == "postgres":
        return data.PostgresMarts.from_env()
    return data.PublishedWarehouse.of(args.warehouse_dir)


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


def build_context(wh: data._Marts) -> PageContext:
    sidebar.show_publish_status(wh)
    subjects = data.available_subjects(wh)
    if subjects & {"surveys", "tickets", "customers"}:  # answers, tickets, customer months
        subjects |= {"drilldown"}
    return PageContext(
        warehouse=wh,
        filters=sidebar.choose_filters(wh),
        kpi_dimensions=data.kpi_dimensions(wh),
        kpi_grains=data.kpi_grains(wh),
        kpis=registry.from_frame(data.kpi_registry(wh)),
        targets=data.kpi_targets(wh),
        subjects=frozenset(subjects),
    )


def main() -> None:
    st.set_page_config(page_title="cx360", page_icon=":material/monitoring:", layout="wide")
    st.sidebar.title("cx360")
    wh = marts_source(parse_args())
    ctx: PageContext | None = None
    try:
        ctx = build_context(wh)
    except data.DashboardDataError as err:
        show_error(err)
    shown = [
        (module, title, url, icon)
        for module, title, url, icon, subject in PAGES
        if subject is None or (ctx is not None and subject in ctx.subjects)
    ]
    pages = {
        url: st.Page(page(module.render, ctx), title=title, url_path=url, icon=icon)
        for module, title, url, icon in shown
    }
    if ctx is not None:
        ctx.pages.update(pages)
    navigation = st.navigation(list(pages.values()))
    navigation.run()


main()
