"""Touchpoint journey: a touchpoint x channel heatmap of how the journey feels and how busy
it is (marts.touchpoint_journey, all the data), the moments of truth (where negative
experiences pile up), and the month's NPS per touchpoint (marts.fct_kpi)."""

from __future__ import annotations

import altair as alt
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.formatting import format_month

MOMENTS_OF_TRUTH = 5
# measure shown in the heatmap -> (column, title, colour scheme)
MEASURES = {
    "NPS": ("nps", "NPS", "redyellowgreen"),
    "CSAT %": ("csat", "CSAT %", "redyellowgreen"),
    "CES": ("ces", "CES", "redyellowgreen"),
    "Negative experience %": ("negative_share", "negative %", "reds"),
    "Volume": ("volume", "interactions + tickets", "blues"),
}


def _heatmap(journey, column: str, title: str, scheme: str) -> alt.Chart:
    return (
        alt.Chart(journey)
        .mark_rect()
        .encode(
            x=alt.X("channel:N", title="channel", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("touchpoint:N", title="touchpoint"),
            color=alt.Color(f"{column}:Q", title=title, scale=alt.Scale(scheme=scheme)),
            tooltip=[
                "touchpoint",
                "channel",
                alt.Tooltip("volume:Q", format=","),
                alt.Tooltip("nps:Q", format=".1f"),
                alt.Tooltip("csat:Q", format=".1f"),
                alt.Tooltip("ces:Q", format=".2f"),
                alt.Tooltip("negative_share:Q", format=".1f"),
                "pain_rank",
            ],
        )
        .properties(height=36 * journey["touchpoint"].nunique() + 40)
    )


def render(ctx: PageContext) -> None:
    st.title("Touchpoint journey")
    st.caption(
        "Heatmap and moments of truth: marts.touchpoint_journey over all the data (filters do "
        "not apply). Negative experience: an NPS detractor or a CSAT / CES answer at the "
        "bottom of its scale."
    )
    journey = data.touchpoint_journey(ctx.warehouse)
    if journey.empty:
        st.info("No journey data yet.")
        return
    measure = st.segmented_control("Measure", list(MEASURES), default="NPS", key="journey_measure")
    column, title, scheme = MEASURES[measure or "NPS"]
    st.altair_chart(_heatmap(journey, column, title, scheme))

    st.subheader("Moments of truth")
    st.caption(
        "The touchpoint x channel pairs with the most negative experiences (then the highest "
        "negative share): where fixing the journey pays most."
    )
    st.dataframe(
        journey.head(MOMENTS_OF_TRUTH)[
            [
                "pain_rank",
                "touchpoint",
                "channel",
                "negative_experiences",
                "negative_share",
                "volume",
                "nps",
                "csat",
                "ces",
            ]
        ],
        hide_index=True,
        column_config={
            "pain_rank": st.column_config.NumberColumn("rank"),
            "negative_share": st.column_config.NumberColumn("negative %", format="%.1f"),
            "nps": st.column_config.NumberColumn("NPS", format="%.1f"),
            "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"),
            "ces": st.column_config.NumberColumn("CES", format="%.2f"),
        },
    )

    st.subheader(f"NPS by touchpoint, {format_month(ctx.filters.month)}")
    by_touchpoint = data.kpi_by_dimension(ctx.warehouse, "nps", "touchpoint", ctx.filters.month)
    if by_touchpoint.empty:
        st.info("No NPS answers this month.")
        return
    st.altair_chart(
        alt.Chart(by_touchpoint)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="NPS"),
            y=alt.Y("dimension_value:N", sort="-x", title=None),
            color=alt.condition("datum.value < 0", alt.value("#d62728"), alt.value("#2ca02c")),
            tooltip=[
                alt.Tooltip("dimension_value:N", title="touchpoint"),
                alt.Tooltip("value:Q", format=".1f"),
                alt.Tooltip("sample_size:Q", title="answers"),
            ],
        )
        .properties(height=28 * len(by_touchpoint) + 40)
    )
