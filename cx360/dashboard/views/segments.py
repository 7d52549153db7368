"""Segments and value tiers (customer_360), and the 20/80 Pareto curve of 12-month revenue."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import ALL
from cx360.dashboard.formatting import format_kpi, format_month

PARETO_CUSTOMER_SHARE = 20.0  # percent of customers the 20/80 reading is taken at


def _share_at(curve: pd.DataFrame, customer_share: float) -> float | None:
    """Revenue share (percent) of the first `customer_share` percent of customers, read off
    the curve by linear interpolation between its points."""
    if curve.empty:
        return None
    return float(
        pd.Series(curve["revenue_share"].to_numpy(), index=curve["customer_share"].to_numpy())
        .pipe(lambda s: s.reindex(s.index.union([customer_share])).interpolate("index"))
        .loc[customer_share]
    )


def _pareto_chart(curve: pd.DataFrame) -> alt.LayerChart:
    line = (
        alt.Chart(curve)
        .mark_line()
        .encode(
            x=alt.X("customer_share:Q", title="% of customers (by 12-month revenue, desc)"),
            y=alt.Y("revenue_share:Q", title="% of 12-month revenue"),
            tooltip=[
                alt.Tooltip("customer_share:Q", format=".1f"),
                alt.Tooltip("revenue_share:Q", format=".1f"),
            ],
        )
    )
    mark = (
        alt.Chart(pd.DataFrame({"x": [PARETO_CUSTOMER_SHARE]}))
        .mark_rule(strokeDash=[4, 4])
        .encode(x="x:Q")
    )
    return (line + mark).properties(height=320)


def _tiers_chart(tiers: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(tiers)
        .mark_bar()
        .encode(
            x=alt.X("revenue_12m:Q", title="12-month revenue"),
            y=alt.Y("segment:N", title=None),
            color=alt.Color("value_tier:N", title="value tier"),
            tooltip=[
                "segment",
                "value_tier",
                "customers",
                alt.Tooltip("revenue_12m:Q", format=",.0f"),
            ],
        )
        .properties(height=200)
    )


def render(ctx: PageContext) -> None:
    segment = ctx.filters.segment
    st.title("Segments and value tiers")
    st.caption(
        "Customer-level figures from marts.customer_360 as of the last publish"
        + ("" if segment == ALL else f"; segment = {segment}")
        + ". The channel and period filters do not apply to customer snapshots."
    )
    tiers = data.segment_value_tiers(ctx.warehouse, segment)
    curve = data.pareto_curve(ctx.warehouse, segment)
    top_share = _share_at(curve, PARETO_CUSTOMER_SHARE)
    kpi = data.kpi_by_dimension(ctx.warehouse, "revenue_share_top20", "overall", ctx.filters.month)

    left, middle, right = st.columns(3)
    left.metric("Customers", f"{int(tiers['customers'].sum()):,}", border=True)
    middle.metric(
        "Top 20 % share of 12-month revenue",
        format_kpi(top_share, "percent"),
        help="read off the Pareto curve below",
        border=True,
    )
    right.metric(
        f"Top 20 % revenue share, {format_month(ctx.filters.month)}",
        format_kpi(kpi["value"].iloc[0] if not kpi.empty else None, "percent"),
        help="fct_kpi revenue_share_top20 of the month (all customers)",
        border=True,
    )

    chart_col, table_col = st.columns([3, 2])
    with chart_col:
        st.subheader("20/80: cumulative revenue share")
        if curve.empty:
            st.info("No customer with revenue in the last 12 months.")
        else:
            st.altair_chart(_pareto_chart(curve))
    with table_col:
        st.subheader("Revenue by segment and value tier")
        st.altair_chart(_tiers_chart(tiers))
    st.dataframe(
        tiers,
        hide_index=True,
        column_config={
            "revenue_12m": st.column_config.NumberColumn("revenue 12m", format="%.0f"),
            "avg_clv_historical": st.column_config.NumberColumn("avg CLV hist.", format="%.0f"),
            "avg_clv_predicted": st.column_config.NumberColumn("avg CLV pred.", format="%.0f"),
            "avg_churn_risk_score": st.column_config.NumberColumn("avg churn risk", format="%.1f"),
        },
    )
