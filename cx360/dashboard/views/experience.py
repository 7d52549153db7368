"""Voice of the customer: every survey KPI (NPS with its promoter / passive / detractor split,
CSAT, CES, loyalty, CX pillars, employee engagement, reviews) and referrals, with response
counts per period (marts.fct_kpi, marts.fct_survey_answers)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data, widgets
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import describe_period
from cx360.dashboard.formatting import format_kpi

CARDS = (
    "nps",
    "csat",
    "ces",
    "loyalty_index",
    "employee_engagement",
    "review_rating",
    "referral_rate",
)
CARDS_PER_ROW = 4
SPLIT_COLOURS = {"promoters": "#2b8a3e", "passives": "#adb5bd", "detractors": "#e8590c"}


def _nps_split(ctx: PageContext) -> None:
    f = ctx.filters
    split = data.nps_split(ctx.warehouse, f.grain, f.first_trend_period, f.period)
    st.subheader("NPS answers: promoters, passives, detractors")
    if split.empty:
        st.info("No NPS answers in this window.")
        return
    current = split[split["period_start"] == pd.Timestamp(f.period)]
    if not current.empty:
        row = current.iloc[0]
        answers = int(row["answers"])
        parts = [
            f"{name} {int(row[name]):,} ({100 * row[name] / answers:.1f} %)"
            for name in SPLIT_COLOURS
        ]
        st.caption(
            f"{describe_period(f.period, f.grain)}: {answers:,} answers; " + ", ".join(parts)
        )
    long = split.melt(
        ["period_start", "answers"], list(SPLIT_COLOURS), var_name="group", value_name="n"
    )
    long["share"] = 100 * long["n"] / long["answers"]
    st.altair_chart(
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period_start:T", title=None, axis=alt.Axis(format="%b %y")),
            y=alt.Y("share:Q", title="share of NPS answers (%)", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "group:N",
                title=None,
                scale=alt.Scale(domain=list(SPLIT_COLOURS), range=list(SPLIT_COLOURS.values())),
            ),
            order=alt.Order("group:N"),
            tooltip=[
                alt.Tooltip("period_start:T", title="period", format="%d %b %Y"),
                alt.Tooltip("group:N"),
                alt.Tooltip("n:Q", title="answers", format=","),
                alt.Tooltip("share:Q", title="%", format=".1f"),
                alt.Tooltip("answers:Q", title="all answers", format=","),
            ],
        )
        .properties(height=220)
    )


def _responses(ctx: PageContext) -> None:
    f = ctx.filters
    counts = data.response_counts(ctx.warehouse, f.grain, f.first_trend_period, f.period)
    st.subheader("Survey responses")
    if counts.empty:
        st.info("No survey answers in this window.")
        return
    st.altair_chart(
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("period_start:T", title=None, axis=alt.Axis(format="%b %y")),
            y=alt.Y("answers:Q", title="answers (count)", scale=alt.Scale(zero=True)),
            color=alt.Color("survey_type:N", title="survey"),
            tooltip=[
                alt.Tooltip("period_start:T", title="period", format="%d %b %Y"),
                alt.Tooltip("survey_type:N", title="survey"),
                alt.Tooltip("answers:Q", format=","),
            ],
        )
        .properties(height=220)
    )


def _pillars(ctx: PageContext) -> None:
    kpi = ctx.kpi("pillar_score")
    f = ctx.filters
    st.subheader(f"{kpi.label} by pillar, {describe_period(f.period, f.grain)}")
    pillars = data.kpi_by_dimension(ctx.warehouse, "pillar_score", "pillar", f.period, f.grain)
    if pillars.empty:
        st.info("No pillar answers this period.")
        return
    pillars = pillars.assign(
        pillar=pillars["dimension_value"].str.replace("_", " ").str.capitalize(),
        sample=[
            "below minimum sample" if n < kpi.min_sample else "measured"
            for n in pillars["sample_size"]
        ],
        n_label=[
            f"{format_kpi(v, kpi.unit)}  (n = {int(n):,})"
            for v, n in zip(pillars["value"], pillars["sample_size"], strict=True)
        ],
    )
    target = ctx.target("pillar_score")
    bars = (
        alt.Chart(pillars)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=kpi.axis_title, scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("pillar:N", sort="-x", title=None),
            color=alt.Color(
                "sample:N",
                title=None,
                scale=alt.Scale(
                    domain=["measured", "below minimum sample"], range=[widgets.LINE, widgets.GREY]
                ),
            ),
            tooltip=[
                alt.Tooltip("pillar:N"),
                alt.Tooltip("value:Q", title=kpi.label, format=".1f"),
                alt.Tooltip("sample_size:Q", title="answers", format=","),
                alt.Tooltip("sample:N"),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("n_label:N"), color=alt.value("#333")
    )
    layers = [bars, labels]
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(strokeDash=[5, 4], color="#555")
            .encode(x="target:Q")
        )
    st.altair_chart(alt.layer(*layers).properties(height=34 * len(pillars) + 40))


def render(ctx: PageContext) -> None:
    f = ctx.filters
    st.title(f"Voice of the customer: {describe_period(f.period, f.grain)}")
    st.caption(
        f"Survey KPIs and referrals; changes {f.comparison_label}, coloured only when "
        "significant. n = answers (purchases for referrals)."
    )
    cards = [k for k in CARDS if ctx.has(k)]
    trends: dict[str, pd.DataFrame] = {}
    for start in range(0, len(cards), CARDS_PER_ROW):
        for name, column in zip(
            cards[start : start + CARDS_PER_ROW], st.columns(CARDS_PER_ROW), strict=False
        ):
            with column:
                trends[name] = widgets.kpi_card(ctx, name)
    left, right = st.columns(2)
    with left:
        _nps_split(ctx)
    with right:
        _responses(ctx)
    if ctx.has("pillar_score"):
        _pillars(ctx)
    st.subheader(f"Trend, last {f.trend_periods} {f.grain}s")
    st.caption(widgets.TREND_KEY)
    charts = [c for c in (widgets.trend_chart(ctx, k, trends[k]) for k in cards) if c]
    for start in range(0, len(charts), 3):
        for chart, column in zip(charts[start : start + 3], st.columns(3), strict=False):
            column.altair_chart(chart)
