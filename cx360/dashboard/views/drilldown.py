"""Drill-down: the rows a KPI value rests on (survey answers for the score KPIs, tickets for
MTTR, first response and first-contact resolution, customer months for the customer counts,
churn and retention; cx360.dashboard.data.DRILLDOWNS), for the period and cut chosen, next to
the value and its n from marts.fct_kpi. Customer ids are shown hashed (sha256, first 16 hex
digits) and no contact data is read; CSV export as elsewhere.

Reached from the "rows behind it" link under a KPI card, which carries the KPI (its label:
the selector binds labels), grain, period and cut in the URL, e.g.
?kpi=Net+Promoter+Score&grain=month&period=2026-05&dimension=overall&value=all.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import OVERALL, describe_period, period_label
from cx360.dashboard.formatting import format_count, format_kpi, to_safe_csv


def render(ctx: PageContext) -> None:
    f = ctx.filters
    st.title(f"Drill-down: {describe_period(f.period, f.grain)}")
    kpis = [k for k in data.DRILLDOWNS if ctx.has(k)]
    if not kpis:
        st.info("No KPI with a drill-down has figures at this grain.")
        return
    left, middle, right = st.columns(3)
    kpi_name = (
        left.selectbox(
            "KPI",
            kpis,
            format_func=lambda k: ctx.kpi(k).label,
            key="kpi",
            bind="query-params",
        )
        or kpis[0]
    )
    dimensions = sorted(ctx.kpi_dimensions.get(kpi_name, frozenset({OVERALL})))
    dimension = (
        middle.selectbox(
            "Cut by",
            dimensions,
            index=dimensions.index(OVERALL) if OVERALL in dimensions else 0,
            key="dimension",
            bind="query-params",
        )
        or OVERALL
    )
    cuts = data.kpi_by_dimension(ctx.warehouse, kpi_name, dimension, f.period, f.grain)
    values = sorted(cuts["dimension_value"]) if not cuts.empty else ["all"]
    value = right.selectbox("Value", values, key="value", bind="query-params") or values[0]
    kpi = ctx.kpi(kpi_name)
    row = cuts[cuts["dimension_value"] == value]
    rows = data.drilldown_rows(ctx.warehouse, kpi_name, f.grain, f.period, dimension, value)
    value_shown = None if row.empty or pd.isna(row["value"].iloc[0]) else row["value"].iloc[0]
    sample = None if row.empty else row["sample_size"].iloc[0]
    a, b, c = st.columns(3)
    a.metric(kpi.label, format_kpi(value_shown, kpi.unit), help=kpi.help, border=True)
    b.metric("n in fct_kpi", format_count(sample), border=True)
    c.metric("Rows listed", f"{len(rows):,}", border=True)
    cut = "overall" if dimension == OVERALL else f"{dimension} = {value}"
    st.caption(
        f"{cut}; {describe_period(f.period, f.grain)}. Customer ids are hashed. The rows listed "
        "are the rows the value counts, except those of customers erased on request."
    )
    unlisted = 0 if sample is None else int(sample) - len(rows)
    if unlisted > 0 and data.erased_customers(ctx.warehouse) > 0:
        st.info(
            f"fct_kpi counts {int(sample):,} rows and {len(rows):,} are listed: the other "
            f"{unlisted:,} belong to customers erased on request, whose facts stay in the KPIs "
            "as an anonymous contribution and are never listed (docs/reliability.md)."
        )
    elif unlisted != 0:
        st.warning(
            f"fct_kpi counts {int(sample):,} rows but {len(rows):,} are listed: the drill-down "
            "rule and the KPI model disagree; report it to the data team."
        )
    st.download_button(
        "Export CSV",
        data=to_safe_csv(rows),
        file_name=(
            f"cx360_{kpi_name}_{period_label(f.period, f.grain)}_{dimension}_{value}_"
            f"{dt.date.today().isoformat()}.csv"
        ),
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    # Shown with readable headers; the export keeps the mart's column names.
    st.dataframe(
        rows.rename(columns=lambda c: c.replace("_", " ").capitalize()),
        hide_index=True,
    )
