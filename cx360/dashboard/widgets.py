"""The pieces every page draws a KPI with: a card (value, n, significance-aware change,
target, link to the rows behind it) and a trend chart (units on the axis, zero-based where
the KPI is a proportion or count, points below the minimum sample greyed, the target drawn).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import Cut, choose_cut, describe_period, period_label
from cx360.dashboard.formatting import MISSING, format_count, format_delta, format_kpi
from cx360.dashboard.registry import Kpi
from cx360.dashboard.significance import Point, Verdict, below_minimum, compare

TONE_COLOUR = {"good": "green", "bad": "red", "neutral": "blue", "grey": "gray"}
GREY = "#9e9e9e"
LINE = "#1f77b4"
ORANGE = "#f08c00"
TREND_KEY = (
    "Blue points: measured; grey: below the KPI's minimum sample (not a measurement); "
    "orange: period not complete; dashed line: target. Hover a point for its n."
)


@dataclass(frozen=True)
class CardState:
    kpi: Kpi
    cut: Cut
    current: Point
    previous: Point
    verdict: Verdict
    target: float | None
    off_target: bool | None
    complete: bool | None  # fct_kpi.period_complete of the current period (None: unknown)


def _point(rows: pd.DataFrame, period: dt.date) -> Point:
    match = rows.loc[rows["period_start"] == pd.Timestamp(period)] if not rows.empty else rows
    if match.empty:
        return Point(None, None)
    row = match.iloc[0]

    def number(column: str) -> float | None:
        value = row.get(column)
        return None if value is None or pd.isna(value) else float(value)

    return Point(number("value"), number("sample_size"), number("ci_low"), number("ci_high"))


def off_target(kpi: Kpi, value: float | None, target: float | None) -> bool | None:
    """True when the value misses its target in the KPI's direction; None when unknown."""
    if value is None or target is None or kpi.direction == "neutral":
        return None
    return value < target if kpi.direction == "higher_is_better" else value > target


def kpi_rows(ctx: PageContext, kpi_name: str | list[str], cut: Cut) -> pd.DataFrame:
    """The KPI's (or KPIs') rows for the trend window and the compared period."""
    f = ctx.filters
    first = min(f.first_trend_period, f.compared_period)
    return data.kpi_series(
        ctx.warehouse,
        [kpi_name] if isinstance(kpi_name, str) else kpi_name,
        cut.dimension_name,
        cut.dimension_value,
        grain=f.grain,
        first=first,
        last=f.period,
    )


def card_state(ctx: PageContext, kpi_name: str, rows: pd.DataFrame, cut: Cut) -> CardState:
    kpi = ctx.kpi(kpi_name)
    current = _point(rows, ctx.filters.period)
    previous = _point(rows, ctx.filters.compared_period)
    verdict = compare(current, previous, kpi.spec, kpi.decimals)
    target = ctx.target(kpi_name)
    return CardState(
        kpi,
        cut,
        current,
        previous,
        verdict,
        target,
        off_target(kpi, current.value, target),
        _complete(rows, ctx.filters.period),
    )


def _complete(rows: pd.DataFrame, period: dt.date) -> bool | None:
    if rows.empty or "period_complete" not in rows:
        return None
    match = rows.loc[rows["period_start"] == pd.Timestamp(period), "period_complete"]
    return None if match.empty or pd.isna(match.iloc[0]) else bool(match.iloc[0])


def kpi_card(ctx: PageContext, kpi_name: str) -> pd.DataFrame:
    """Draw one KPI's card in the current container; returns its rows (for a trend)."""
    cut = choose_cut(ctx.kpi_dimensions.get(kpi_name, frozenset()), ctx.filters)
    rows = kpi_rows(ctx, kpi_name, cut)
    state = card_state(ctx, kpi_name, rows, cut)
    kpi, verdict = state.kpi, state.verdict
    delta = format_delta(verdict.change, kpi.unit, ctx.filters.comparison_label)
    arrow = "off"
    if verdict.change:
        arrow = "up" if verdict.change > 0 else "down"
    st.metric(
        kpi.label,
        format_kpi(state.current.value, kpi.unit),
        delta=delta,
        delta_color=TONE_COLOUR[verdict.tone],  # type: ignore[arg-type]
        delta_arrow=arrow,  # type: ignore[arg-type]
        help=kpi.help,
        border=True,
    )
    lines = [f"{cut.note}; n = {format_count(state.current.sample_size)}"]
    if state.complete is False:
        lines.append(":orange[period not complete: the data ends inside it]")
    if state.current.value is None:
        lines.append(":gray[no figure for this period]")
    elif below_minimum(state.current, kpi.spec):
        lines.append(
            f":gray[n below the minimum sample of {kpi.min_sample:,}: not a measurement, "
            "change not tested]"
        )
    elif verdict.change is not None and not verdict.significant:
        lines.append(f":gray[{verdict.reason}]")
    if state.target is not None:
        status = {True: ":red[off target]", False: ":green[on target]", None: ""}[state.off_target]
        lines.append(f"target {format_kpi(state.target, kpi.unit)} {status}".strip())
    st.caption("  \n".join(lines))
    if kpi_name in data.DRILLDOWNS and state.current.value is not None and "drilldown" in ctx.pages:
        st.page_link(
            ctx.pages["drilldown"],  # type: ignore[arg-type]
            label=f"the {format_count(state.current.sample_size)} rows behind it",
            icon=":material/table_rows:",
            query_params={
                "kpi": kpi.label,  # the drill-down's KPI selector shows (and binds) labels
                "grain": ctx.filters.grain,
                "period": period_label(ctx.filters.period, ctx.filters.grain),
                "dimension": cut.dimension_name,
                "value": cut.dimension_value,
            },
        )
    return rows.assign(label=kpi.label)


def trend_chart(ctx: PageContext, kpi_name: str, rows: pd.DataFrame) -> alt.LayerChart | None:
    """One KPI over the trend window: the line, points greyed below the minimum sample, the
    target as a dashed rule, the unit on the axis."""
    kpi = ctx.kpi(kpi_name)
    window = rows[rows["period_start"] >= pd.Timestamp(ctx.filters.first_trend_period)]
    if window.empty or window["value"].isna().all():
        return None
    window = window.assign(
        status=[
            "below minimum sample"
            if pd.isna(n) or n < kpi.min_sample
            else ("period not complete" if complete is False else "measured")
            for n, complete in zip(
                window["sample_size"],
                window.get("period_complete", pd.Series([None] * len(window))),
                strict=True,
            )
        ],
        period=[describe_period(p.date(), ctx.filters.grain) for p in window["period_start"]],
    )
    # Proportions and counts start at 0 (a fall from 2.3 % to 2.1 % must not look like a
    # collapse); the top follows the data, so a 2 % churn rate is not a flat line under 100.
    scale = alt.Scale(zero=kpi.zero_based)
    y = alt.Y("value:Q", title=kpi.unit_title, scale=scale)
    x = alt.X("period_start:T", title=None, axis=alt.Axis(format="%b %y"))
    tooltip = [
        alt.Tooltip("period:N", title="period"),
        alt.Tooltip("value:Q", title=kpi.label, format=f",.{kpi.decimals}f"),
        alt.Tooltip("sample_size:Q", title="n", format=","),
        alt.Tooltip("status:N", title="sample"),
    ]
    # A faint connector: the points carry the meaning (blue = a measurement), so swings
    # between values resting on too few rows do not draw a bold line.
    line = alt.Chart(window).mark_line(color="#c9ced6").encode(x=x, y=y)
    points = (
        alt.Chart(window)
        .mark_point(filled=True, size=50)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "status:N",
                title=None,
                scale=alt.Scale(
                    domain=["measured", "below minimum sample", "period not complete"],
                    range=[LINE, GREY, ORANGE],
                ),
                legend=None,  # said once above the charts: TREND_KEY
            ),
            tooltip=tooltip,
        )
    )
    layers = [line, points]
    target = ctx.target(kpi_name)
    if target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(strokeDash=[5, 4], color="#555")
            .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", format=",.1f")])
        )
    return alt.layer(*layers).properties(title=kpi.label, height=200)


def value_or_missing(value: float | None, kpi: Kpi) -> str:
    return MISSING if value is None else format_kpi(value, kpi.unit)
