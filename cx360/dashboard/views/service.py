"""Service: resolution times, first contact resolution and complaints, from marts.fct_kpi
(month chosen in the sidebar) and marts.fct_tickets."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import choose_cut
from cx360.dashboard.formatting import format_delta, format_kpi, format_month

SERVICE_KPIS = (
    ("mttr_hours", "MTTR", True),
    ("first_response_hours", "First response", True),
    ("first_contact_resolution_rate", "First contact resolution", False),
    ("complaint_rate", "Complaints per 1,000 customers", True),
)


def _headline(ctx: PageContext, kpi_name: str, label: str, lower_is_better: bool) -> None:
    cut = choose_cut(ctx.kpi_dimensions.get(kpi_name, frozenset()), ctx.filters)
    rows = data.kpi_monthly(
        ctx.warehouse,
        [kpi_name],
        cut.dimension_name,
        cut.dimension_value,
        first_month=ctx.filters.previous_month,
        last_month=ctx.filters.month,
    )
    values = dict(zip(rows["period_start"].dt.date, rows["value"], strict=True))
    unit = str(rows["unit"].iloc[0]) if not rows.empty else "hours"
    current, previous = values.get(ctx.filters.month), values.get(ctx.filters.previous_month)
    change = None if current is None or previous is None else current - previous
    st.metric(
        label,
        format_kpi(current, unit),
        delta=format_delta(change, unit),
        delta_color="inverse" if lower_is_better else "normal",
        border=True,
    )
    st.caption(cut.note)


def _bar(frame: pd.DataFrame, title: str, unit_title: str) -> alt.Chart:
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=unit_title),
            y=alt.Y("dimension_value:N", sort="-x", title=None, axis=alt.Axis(labelOverlap=False)),
            tooltip=[
                alt.Tooltip("dimension_value:N", title=title),
                alt.Tooltip("value:Q", format=",.1f"),
                alt.Tooltip("sample_size:Q", title="tickets", format=","),
            ],
        )
        .properties(height=30 * len(frame) + 30)
    )


def render(ctx: PageContext) -> None:
    month = ctx.filters.month
    st.title(f"Service: {format_month(month)}")
    for (kpi_name, label, lower), column in zip(
        SERVICE_KPIS, st.columns(len(SERVICE_KPIS)), strict=True
    ):
        with column:
            _headline(ctx, kpi_name, label, lower)

    left, right = st.columns(2)
    with left:
        st.subheader("Resolution time (MTTR, hours)")
        for dimension in ("category", "priority"):
            cut = data.kpi_by_dimension(ctx.warehouse, "mttr_hours", dimension, month)
            if not cut.empty:
                st.caption(f"by {dimension}")
                st.altair_chart(_bar(cut, dimension, "hours"))
    with right:
        st.subheader("First contact resolution (%)")
        cut = data.kpi_by_dimension(
            ctx.warehouse, "first_contact_resolution_rate", "category", month
        )
        if not cut.empty:
            st.caption("by category")
            st.altair_chart(_bar(cut, "category", "%"))

    segment, channel = ctx.filters.segment, ctx.filters.channel
    st.subheader("Tickets and complaints by category")
    st.caption(
        "Tickets opened in the month (marts.fct_tickets)"
        + "".join(
            f"; {name} = {value}"
            for name, value in (("segment", segment), ("channel", channel))
            if value != "all"
        )
    )
    tickets = data.tickets_by_category(ctx.warehouse, month, segment, channel)
    if tickets.empty:
        st.info("No ticket opened this month.")
        return
    chart_col, histogram_col = st.columns(2)
    chart_col.altair_chart(
        alt.Chart(tickets.melt("category", ["complaints", "tickets"], "count", "n"))
        .mark_bar()
        .encode(
            x=alt.X("n:Q", title="tickets"),
            y=alt.Y("category:N", sort="-x", title=None),
            color=alt.Color("count:N", title=None),
            yOffset="count:N",
            tooltip=["category", "count", "n"],
        )
        .properties(height=max(160, 44 * len(tickets)))
    )
    resolved = data.resolution_hours(ctx.warehouse, month, segment, channel)
    if not resolved.empty:
        histogram_col.altair_chart(
            alt.Chart(resolved)
            .mark_bar()
            .encode(
                x=alt.X("resolution_hours:Q", bin=alt.Bin(maxbins=30), title="resolution hours"),
                y=alt.Y("count():Q", title="resolved tickets"),
                color=alt.Color("priority:N"),
            )
            .properties(height=max(160, 44 * len(tickets)))
        )
    st.dataframe(
        tickets,
        hide_index=True,
        column_config={
            "median_resolution_hours": st.column_config.NumberColumn(format="%.1f"),
            "fcr_percent": st.column_config.NumberColumn("FCR %", format="%.1f"),
        },
    )
