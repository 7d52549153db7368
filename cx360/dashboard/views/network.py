"""Network quality: the areas most exposed to network incidents over the last 30 days and how
their customers score them against everybody else (marts.network_quality_impact)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.formatting import format_kpi

TOP_AREAS = 15


def render(ctx: PageContext) -> None:
    st.title("Network quality")
    st.caption(
        "Exposure = severity-weighted hours of network incidents in the customer's postal area "
        "over the 30 days to the as-of day. NPS / CSAT: answers of the last 12 months of the "
        "area's customers; gap = area minus all other customers. Filters do not apply."
    )
    areas = data.network_areas(ctx.warehouse)
    exposed = areas[areas["is_exposed"]]
    left, middle, right = st.columns(3)
    left.metric("Exposed areas", f"{len(exposed):,}", border=True)
    middle.metric("Customers in exposed areas", f"{int(exposed['customers'].sum()):,}", border=True)
    gap = None
    if exposed["nps_answers"].sum() > 0:
        weights = exposed["nps_answers"]
        gap = float((exposed["nps_gap"].fillna(0) * weights).sum() / weights.sum())
    right.metric(
        "NPS gap of exposed areas",
        format_kpi(gap, "score"),
        help="answer-weighted mean of nps_gap over the exposed areas",
        border=True,
    )
    if exposed.empty:
        st.success("No area had a network incident in the last 30 days.")
        return
    top = exposed.head(TOP_AREAS)
    chart = (
        alt.Chart(top)
        .mark_bar()
        .encode(
            x=alt.X(
                "qos_exposure_30d:Q",
                title="severity-weighted incident hours, 30 days (h)",
                scale=alt.Scale(zero=True),
            ),
            y=alt.Y("postal_code:N", sort="-x", title="postal area"),
            color=alt.Color(
                "nps_gap:Q", title="NPS gap", scale=alt.Scale(scheme="redblue", domainMid=0)
            ),
            tooltip=[
                "postal_code",
                "customers",
                "incidents_30d",
                alt.Tooltip("qos_exposure_30d:Q", format=",.1f"),
                alt.Tooltip("nps:Q", format=".1f"),
                alt.Tooltip("rest_nps:Q", format=".1f"),
                alt.Tooltip("csat:Q", format=".1f"),
            ],
        )
        .properties(height=28 * len(top) + 40)
    )
    st.subheader(f"Most exposed areas (top {min(TOP_AREAS, len(top))})")
    st.altair_chart(chart)
    st.dataframe(
        exposed.drop(columns=["is_exposed"]),
        hide_index=True,
        width="stretch",
        column_config={
            "postal_code": st.column_config.TextColumn("Postal area"),
            "exposure_rank": st.column_config.NumberColumn("Rank", format="%d"),
            "customers": st.column_config.NumberColumn("Customers", format="%d"),
            "active_customers": st.column_config.NumberColumn("Active", format="%d"),
            "incidents_30d": st.column_config.NumberColumn("Incidents 30d", format="%d"),
            "qos_exposure_30d": st.column_config.NumberColumn("Exposure (h)", format="%.1f"),
            "nps_answers": st.column_config.NumberColumn("NPS n", format="%d"),
            "nps": st.column_config.NumberColumn("NPS", format="%.1f"),
            "rest_nps": st.column_config.NumberColumn("NPS elsewhere", format="%.1f"),
            "nps_gap": st.column_config.NumberColumn("NPS gap", format="%.1f"),
            "csat_answers": st.column_config.NumberColumn("CSAT n", format="%d"),
            "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"),
            "rest_csat": st.column_config.NumberColumn("CSAT % elsewhere", format="%.1f"),
            "csat_gap": st.column_config.NumberColumn("CSAT gap", format="%.1f"),
        },
    )
