"""Segments and value tiers (customer_360), and the 20/80 Pareto curve of 12-month revenue."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import ALL, describe_period
from cx360.dashboard.formatting import format_kpi

PARETO_CUSTOMER_SHARE = 20.0  # percent of customers the 20/80 reading is taken at
TIER_ORDER = ["top_20", "next_30", "rest"]  # customer_360.value_tier, most valuable first


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
            x=alt.X(
                "customer_share:Q",
                title="customers, by 12-month revenue, largest first (%)",
                scale=alt.Scale(domain=[0, 100]),
            ),
            y=alt.Y(
                "revenue_share:Q",
                title="cumulative 12-month revenue (%)",
                scale=alt.Scale(domain=[0, 100]),
            ),
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
            x=alt.X("revenue_12m:Q", title="12-month revenue (EUR)", scale=alt.Scale(zero=True)),
            y=alt.Y("segment:N", title=None),
            # One hue, darker = more valuable: no tier is drawn in an alarm colour.
            color=alt.Color(
                "value_tier:N",
                title="value tier",
                scale=alt.Scale(scheme="blues", reverse=True),
                sort=TIER_ORDER,
            ),
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
    f = ctx.filters
    top20 = ctx.kpi("revenue_share_top20")
    kpi = data.kpi_by_dimension(ctx.warehouse, "revenue_share_top20", "overall", f.period, f.grain)

    left, middle, right = st.columns(3)
    left.metric("Customers", f"{int(tiers['customers'].sum()):,}", border=True)
    middle.metric(
        "Top 20 % share of 12-month revenue",
        format_kpi(top_share, "percent"),
        help="read off the Pareto curve below",
        border=True,
    )
    right.metric(
        f"{top20.label}, {describe_period(f.period, f.grain)}",
        format_kpi(kpi["value"].iloc[0] if not kpi.empty else None, top20.unit),
        help=top20.help + " Revenue of the period, all customers.",
        border=True,
    )
    if not kpi.empty:
        right.caption(f"n = {int(kpi['sample_size'].iloc[0]):,} customers with revenue")

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
            "segment": st.column_config.TextColumn("Segment"),
            "value_tier": st.column_config.TextColumn("Value tier"),
            "customers": st.column_config.NumberColumn("Customers", format="%d"),
            "active_customers": st.column_config.NumberColumn("Active", format="%d"),
            "revenue_12m": st.column_config.NumberColumn("Revenue 12m (EUR)", format="%.0f"),
            "avg_clv_historical": st.column_config.NumberColumn(
                "Avg CLV to date (EUR)", format="%.0f"
            ),
            "avg_clv_predicted": st.column_config.NumberColumn(
                "Avg predicted CLV (EUR)", format="%.0f"
            ),
            "avg_churn_risk_score": st.column_config.NumberColumn(
                "Avg churn risk (0-100)", format="%.1f"
            ),
            "high_risk_customers": st.column_config.NumberColumn("High risk", format="%d"),
        },
    )
