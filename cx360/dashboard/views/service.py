"""Service: resolution times, first contact resolution and complaints, from marts.fct_kpi
(period chosen in the sidebar) and marts.fct_tickets."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data, widgets
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import describe_period
from cx360.dashboard.registry import Kpi
from cx360.dashboard.widgets import GREY, LINE

SERVICE_KPIS = (
    "mttr_hours",
    "first_response_hours",
    "first_contact_resolution_rate",
    "complaint_rate",
)


def _bar(frame: pd.DataFrame, title: str, kpi: Kpi) -> alt.Chart:
    frame = frame.assign(
        sample=[
            "below minimum sample" if n < kpi.min_sample else "measured"
            for n in frame["sample_size"]
        ]
    )
    scale = alt.Scale(domain=[0, 100]) if kpi.unit == "percent" else alt.Scale(zero=True)
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=kpi.axis_title, scale=scale),
            y=alt.Y("dimension_value:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                "sample:N",
                title=None,
                scale=alt.Scale(domain=["measured", "below minimum sample"], range=[LINE, GREY]),
            ),
            tooltip=[
                alt.Tooltip("dimension_value:N", title=title),
                alt.Tooltip("value:Q", format=",.1f"),
                alt.Tooltip("sample_size:Q", title="tickets", format=","),
                alt.Tooltip("sample:N"),
            ],
        )
        .properties(height=30 * len(frame) + 30)
    )


def render(ctx: PageContext) -> None:
    f = ctx.filters
    period = f.period
    st.title(f"Service: {describe_period(period, f.grain)}")
    shown = [k for k in SERVICE_KPIS if ctx.has(k)]
    for name, column in zip(shown, st.columns(max(1, len(shown))), strict=False):
        with column:
            widgets.kpi_card(ctx, name)

    left, right = st.columns(2)
    with left:
        mttr = ctx.kpi("mttr_hours")
        st.subheader(f"{mttr.label} (hours)")
        st.caption(
            "Tickets resolved in the period; grey bars rest on fewer tickets than the "
            f"minimum of {mttr.min_sample}."
        )
        for dimension in ("category", "priority"):
            cut = data.kpi_by_dimension(ctx.warehouse, "mttr_hours", dimension, period, f.grain)
            if not cut.empty:
                st.caption(f"by {dimension}")
                st.altair_chart(_bar(cut, dimension, mttr))
    with right:
        fcr = ctx.kpi("first_contact_resolution_rate")
        st.subheader(f"{fcr.label} (%)")
        st.caption("Tickets resolved in the period (the KPI's rule, docs/kpis.md).")
        cut = data.kpi_by_dimension(
            ctx.warehouse, "first_contact_resolution_rate", "category", period, f.grain
        )
        if not cut.empty:
            st.caption("by category")
            st.altair_chart(_bar(cut, "category", fcr))

    segment, channel = f.segment, f.channel
    st.subheader("Tickets and complaints by category")
    st.caption(
        "Tickets OPENED in the period (marts.fct_tickets)"
        + "".join(
            f"; {name} = {value}"
            for name, value in (("segment", segment), ("channel", channel))
            if value != "all"
        )
        + ". Their first-contact resolution share counts tickets opened in the period, so it "
        "differs from the KPI above, which counts tickets resolved in it."
    )
    tickets = data.tickets_by_category(ctx.warehouse, f.grain, period, segment, channel)
    if tickets.empty:
        st.info("No ticket opened this period.")
        return
    chart_col, histogram_col = st.columns(2)
    chart_col.altair_chart(
        alt.Chart(tickets.melt("category", ["complaints", "tickets"], "count", "n"))
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title="tickets (count)"),
            y=alt.Y("category:N", sort="-x", title=None),
            color=alt.Color("count:N", title=None),
            yOffset="count:N",
            tooltip=["category", "count", "n"],
        )
        .properties(height=max(160, 44 * len(tickets)))
    )
    resolved = data.resolution_hours(ctx.warehouse, f.grain, period, segment, channel)
    if not resolved.empty:
        histogram_col.altair_chart(
            alt.Chart(resolved)
            .mark_bar()
            .encode(
                x=alt.X("resolution_hours:Q", bin=alt.Bin(maxbins=30), title="resolution (hours)"),
                y=alt.Y("count():Q", title="resolved tickets (count)"),
                color=alt.Color("priority:N"),
            )
            .properties(height=max(160, 44 * len(tickets)))
        )
    st.dataframe(
        tickets,
        hide_index=True,
        column_config={
            "category": st.column_config.TextColumn("Category"),
            "tickets": st.column_config.NumberColumn("Tickets opened", format="%d"),
            "complaints": st.column_config.NumberColumn("Complaints", format="%d"),
            "resolved": st.column_config.NumberColumn("Resolved", format="%d"),
            "median_resolution_hours": st.column_config.NumberColumn(
                "Median resolution (h)", format="%.1f"
            ),
            "fcr_percent": st.column_config.NumberColumn("FCR % of opened tickets", format="%.1f"),
        },
    )
