"""Touchpoint journey: a touchpoint x channel heatmap of how the journey feels and how busy
it is (marts.touchpoint_journey, all the data), the moments of truth (where negative
experiences pile up), and the period's NPS per touchpoint (marts.fct_kpi).

Every cell carries its value and its n; a cell resting on fewer answers than the KPI's
minimum sample (registry) is drawn grey, without a colour that would read as good or bad."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import describe_period
from cx360.dashboard.widgets import GREY, LINE

MOMENTS_OF_TRUTH = 5
# measure -> (column, n column, registry KPI for scale and minimum sample or None, scheme)
MEASURES = {
    "NPS": ("nps", "nps_answers", "nps", "redyellowgreen"),
    "CSAT %": ("csat", "csat_answers", "csat", "redyellowgreen"),
    "CES": ("ces", "ces_answers", "ces", "redyellowgreen"),
    "Negative experience %": ("negative_share", "survey_answers", None, "oranges"),
    "Volume": ("volume", "volume", None, "blues"),
}


def _heatmap(ctx: PageContext, journey: pd.DataFrame, measure: str) -> alt.LayerChart:
    column, n_column, kpi_name, scheme = MEASURES[measure]
    kpi = ctx.kpi(kpi_name) if kpi_name else None
    minimum = kpi.min_sample if kpi else 0
    frame = journey.assign(
        n=journey[n_column],
        shown=journey[column],
        enough=journey[n_column].fillna(0) >= minimum,
    )
    frame["label"] = [
        ""
        if pd.isna(v)
        else (f"{v:,.0f}" if column == "volume" else f"{v:.1f}") + f"\nn={int(n):,}"
        for v, n in zip(frame["shown"], frame["n"].fillna(0), strict=True)
    ]
    domain = None
    if kpi and kpi.scale_min is not None and kpi.scale_max is not None:
        domain = [kpi.scale_min, kpi.scale_max]
    colour_scale = alt.Scale(scheme=scheme, domain=domain) if domain else alt.Scale(scheme=scheme)
    title = kpi.axis_title if kpi else measure
    base = alt.Chart(frame).encode(
        x=alt.X("channel:N", title="channel", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("touchpoint:N", title="touchpoint"),
    )
    rects = base.mark_rect().encode(
        color=alt.condition(
            "datum.enough && isValid(datum.shown)",
            alt.Color("shown:Q", title=title, scale=colour_scale),
            alt.value("#e9ecef"),
        ),
        tooltip=[
            "touchpoint",
            "channel",
            alt.Tooltip("shown:Q", title=measure, format=",.1f"),
            alt.Tooltip("n:Q", title="n", format=","),
            alt.Tooltip("volume:Q", format=","),
            "pain_rank",
        ],
    )
    text = base.mark_text(fontSize=11, lineBreak="\n").encode(
        text="label:N",
        color=alt.condition("datum.enough", alt.value("#212529"), alt.value(GREY)),
    )
    return (rects + text).properties(height=46 * journey["touchpoint"].nunique() + 40)


def render(ctx: PageContext) -> None:
    st.title("Touchpoint journey")
    st.caption(
        "Heatmap and moments of truth: marts.touchpoint_journey over all the data (filters do "
        "not apply). Cells show the value and n; grey cells rest on fewer answers than the "
        "KPI's minimum sample. Negative experience: an NPS detractor or a CSAT / CES answer "
        "at the bottom of its scale."
    )
    journey = data.touchpoint_journey(ctx.warehouse)
    if journey.empty:
        st.info("No journey data yet.")
        return
    measure = st.segmented_control("Measure", list(MEASURES), default="NPS", key="journey_measure")
    st.altair_chart(_heatmap(ctx, journey, measure or "NPS"))

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
                "nps_answers",
                "csat",
                "ces",
            ]
        ],
        hide_index=True,
        column_config={
            "pain_rank": st.column_config.NumberColumn("Rank"),
            "touchpoint": st.column_config.TextColumn("Touchpoint"),
            "channel": st.column_config.TextColumn("Channel"),
            "negative_experiences": st.column_config.NumberColumn("Negative experiences"),
            "negative_share": st.column_config.NumberColumn("Negative %", format="%.1f"),
            "volume": st.column_config.NumberColumn("Volume", format="%d"),
            "nps": st.column_config.NumberColumn("NPS", format="%.1f"),
            "nps_answers": st.column_config.NumberColumn("NPS answers", format="%d"),
            "csat": st.column_config.NumberColumn("CSAT %", format="%.1f"),
            "ces": st.column_config.NumberColumn("CES", format="%.2f"),
        },
    )

    f = ctx.filters
    nps = ctx.kpi("nps")
    st.subheader(f"{nps.label} by touchpoint, {describe_period(f.period, f.grain)}")
    by_touchpoint = data.kpi_by_dimension(ctx.warehouse, "nps", "touchpoint", f.period, f.grain)
    if by_touchpoint.empty:
        st.info("No NPS answers this period.")
        return
    by_touchpoint = by_touchpoint.assign(
        sample=[
            "below minimum sample" if n < nps.min_sample else "measured"
            for n in by_touchpoint["sample_size"]
        ],
        label=[
            f"{v:.1f} (n = {int(n):,})"
            for v, n in zip(by_touchpoint["value"], by_touchpoint["sample_size"], strict=True)
        ],
    )
    st.caption(
        f"Grey bars rest on fewer than {nps.min_sample} answers: not a measurement, "
        "do not compare them."
    )
    bars = (
        alt.Chart(by_touchpoint)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=nps.axis_title, scale=alt.Scale(domain=[-100, 100])),
            y=alt.Y("dimension_value:N", sort="-x", title=None),
            color=alt.Color(
                "sample:N",
                title=None,
                scale=alt.Scale(domain=["measured", "below minimum sample"], range=[LINE, GREY]),
            ),
            tooltip=[
                alt.Tooltip("dimension_value:N", title="touchpoint"),
                alt.Tooltip("value:Q", title=nps.label, format=".1f"),
                alt.Tooltip("sample_size:Q", title="answers", format=","),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=4, color="#333").encode(text="label:N")
    st.altair_chart((bars + labels).properties(height=28 * len(by_touchpoint) + 40))
