"""Executive view: the headline KPIs of the chosen period with their n, a change coloured only
when it is significant, targets and the KPIs off target, trends, and every KPI of the registry
in one readable table. Every number is read from marts.fct_kpi as it is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cx360.dashboard import widgets
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import Cut, choose_cut, describe_period
from cx360.dashboard.formatting import MISSING, format_count, format_delta, format_kpi

CARDS_PER_ROW = 4
CHARTS_PER_ROW = 3
# Which KPIs lead the page (labels, units and directions come from the registry).
HEADLINES = (
    "nps",
    "csat",
    "ces",
    "churn_rate",
    "retention_rate",
    "clv_historical",
    "revenue_per_customer",
    "cac",
    "active_customers",
    "new_customers",
    "churned_customers",
    "mttr_hours",
)


def every_kpi_table(ctx: PageContext) -> pd.DataFrame:
    """One readable row per KPI fct_kpi has at the grain: value, n, change and its verdict,
    target and status. Text, formatted per unit: no snake_case, no None, no 4 decimals."""
    names = [n for n in sorted(ctx.kpi_grains, key=lambda k: ctx.kpi(k).label) if ctx.has(n)]
    cuts = {n: choose_cut(ctx.kpi_dimensions.get(n, frozenset()), ctx.filters) for n in names}
    # One query per cut (not per KPI): the page reruns on every interaction.
    by_cut: dict[Cut, list[str]] = {}
    for name, cut in cuts.items():
        by_cut.setdefault(cut, []).append(name)
    series = {cut: widgets.kpi_rows(ctx, group, cut) for cut, group in by_cut.items()}
    rows = []
    for name in names:
        kpi, cut = ctx.kpi(name), cuts[name]
        frame = series[cut]
        state = widgets.card_state(ctx, name, frame[frame["kpi_name"] == name], cut)
        status = {True: "off target", False: "on target", None: ""}[state.off_target]
        rows.append(
            {
                "KPI": kpi.label,
                "value": widgets.value_or_missing(state.current.value, kpi),
                "n": format_count(state.current.sample_size),
                "change": format_delta(state.verdict.change, kpi.unit, "") or MISSING,
                "significance": state.verdict.reason,
                "target": MISSING if state.target is None else format_kpi(state.target, kpi.unit),
                "status": status,
                "cut": cut.note,
            }
        )
    return pd.DataFrame(rows)


def render(ctx: PageContext) -> None:
    f = ctx.filters
    st.title(f"Executive view: {describe_period(f.period, f.grain)}")
    st.caption(
        f"Changes {f.comparison_label}: coloured only when outside the 95 % interval "
        "(docs/dashboard.md), grey otherwise; n = rows the value rests on."
    )
    headlines = [k for k in HEADLINES if ctx.has(k)]
    trends: dict[str, pd.DataFrame] = {}
    for start in range(0, len(headlines), CARDS_PER_ROW):
        columns = st.columns(CARDS_PER_ROW)
        for name, column in zip(headlines[start : start + CARDS_PER_ROW], columns, strict=False):
            with column:
                trends[name] = widgets.kpi_card(ctx, name)

    table = every_kpi_table(ctx)
    st.subheader("Off target")
    missed = table[table["status"] == "off target"] if not table.empty else table
    if ctx.targets.empty:
        st.info("No targets published (seed kpi_targets).")
    elif missed.empty:
        st.success("Every KPI with a target is on target this period.")
    else:
        st.dataframe(
            missed[["KPI", "value", "target", "n", "change", "significance"]],
            hide_index=True,
        )

    st.subheader(f"Trend, last {f.trend_periods} {f.grain}s")
    st.caption(widgets.TREND_KEY)
    charts = [c for c in (widgets.trend_chart(ctx, k, trends[k]) for k in headlines) if c]
    for start in range(0, len(charts), CHARTS_PER_ROW):
        for chart, column in zip(
            charts[start : start + CHARTS_PER_ROW], st.columns(CHARTS_PER_ROW), strict=False
        ):
            column.altair_chart(chart)
    st.subheader("Every KPI")
    st.dataframe(table, hide_index=True, height=35 * (len(table) + 1) + 3)
