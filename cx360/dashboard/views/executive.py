"""Executive view: the headline KPIs of the chosen month, their month-on-month change and
their trend. Every number is read from marts.fct_kpi as it is (no recomputation here)."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import Cut, choose_cut
from cx360.dashboard.formatting import format_delta, format_kpi, format_month

CARDS_PER_ROW = 4


@dataclass(frozen=True)
class Headline:
    kpi_name: str
    label: str
    lower_is_better: bool
    help: str


HEADLINES = (
    Headline("nps", "NPS", False, "promoters minus detractors, % of answers (-100..100)"),
    Headline("csat", "CSAT", False, "% of CSAT answers in the top two points of the scale"),
    Headline(
        "ces", "CES", False, "mean customer effort answer, on its own scale (higher = easier)"
    ),
    Headline(
        "churn_rate", "Churn rate", True, "% of customers active on the 1st lost by month end"
    ),
    Headline("retention_rate", "Retention rate", False, "% of customers active on the 1st kept"),
    Headline(
        "clv_historical", "CLV (historical)", False, "net revenue to date per paying customer"
    ),
    Headline("cac", "CAC", True, "marketing + sales spend per customer acquired"),
    Headline("mttr_hours", "MTTR", True, "mean hours from ticket opened to resolved"),
)


def _cut_rows(ctx: PageContext, headline: Headline, cut: Cut) -> pd.DataFrame:
    return data.kpi_monthly(
        ctx.warehouse,
        [headline.kpi_name],
        cut.dimension_name,
        cut.dimension_value,
        first_month=ctx.filters.first_trend_month,
        last_month=ctx.filters.month,
    )


def _value_at(rows: pd.DataFrame, month: object) -> float | None:
    match = rows.loc[rows["period_start"] == pd.Timestamp(month), "value"]
    if match.empty or pd.isna(match.iloc[0]):
        return None
    return float(match.iloc[0])


def _card(
    ctx: PageContext, headline: Headline, column: st.delta_generator.DeltaGenerator
) -> pd.DataFrame:
    cut = choose_cut(ctx.kpi_dimensions.get(headline.kpi_name, frozenset()), ctx.filters)
    rows = _cut_rows(ctx, headline, cut)
    unit = str(rows["unit"].iloc[0]) if not rows.empty else "score"
    current = _value_at(rows, ctx.filters.month)
    previous = _value_at(rows, ctx.filters.previous_month)
    change = None if current is None or previous is None else current - previous
    with column:
        st.metric(
            headline.label,
            format_kpi(current, unit),
            delta=format_delta(change, unit),
            delta_color="inverse" if headline.lower_is_better else "normal",
            help=headline.help,
            border=True,
        )
        sample = rows.loc[rows["period_start"] == pd.Timestamp(ctx.filters.month), "sample_size"]
        size = f", n = {int(sample.iloc[0]):,}" if not sample.empty else ""
        st.caption(f"{cut.note}{size}")
    return rows.assign(label=headline.label)


def _trend_chart(trend: pd.DataFrame) -> alt.FacetChart:
    base = (
        alt.Chart(trend)
        .mark_line(point=True)
        .encode(
            x=alt.X("period_start:T", title=None, axis=alt.Axis(format="%b %y")),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip("label:N", title="KPI"),
                alt.Tooltip("period_start:T", title="month", format="%b %Y"),
                alt.Tooltip("value:Q", format=",.2f"),
                alt.Tooltip("sample_size:Q", title="n", format=","),
            ],
        )
    )
    return (
        base.properties(width=190, height=110)
        .facet(
            facet=alt.Facet("label:N", title=None, sort=[h.label for h in HEADLINES]),
            columns=CARDS_PER_ROW,
        )
        .resolve_scale(y="independent")
    )


def render(ctx: PageContext) -> None:
    st.title(f"Executive view: {format_month(ctx.filters.month)}")
    trends: list[pd.DataFrame] = []
    for start in range(0, len(HEADLINES), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for headline, column in zip(
            HEADLINES[start : start + CARDS_PER_ROW], columns, strict=False
        ):
            trends.append(_card(ctx, headline, column))
    st.subheader(f"Trend, last {ctx.filters.trend_months} months")
    trend = pd.concat(trends, ignore_index=True)
    if trend.empty:
        st.info("No monthly figures in this window.")
    else:
        st.altair_chart(_trend_chart(trend))
    with st.expander("Every KPI of the month (overall)"):
        st.dataframe(data.kpi_month_overview(ctx.warehouse, ctx.filters.month), hide_index=True)
