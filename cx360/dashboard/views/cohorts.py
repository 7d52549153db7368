"""Cohort retention heatmap (marts.cohort_retention): customers acquired in a month, and the
share of them still under contract N months later."""

from __future__ import annotations

import altair as alt
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.filters import add_months
from cx360.dashboard.formatting import format_month

DEFAULT_COHORTS = 24  # acquisition months shown, ending at the chosen month


def render(ctx: PageContext) -> None:
    st.title("Cohort retention")
    st.caption(
        "Rows: acquisition month (customers with a contract). Columns: months since "
        "acquisition. Cells: % of the cohort with a contract at that month's end. "
        "The period filter picks the newest cohort (its month); segment and channel do not apply "
        "(marts.cohort_retention is not cut by them)."
    )
    shown = st.slider("Cohorts shown", 6, 60, DEFAULT_COHORTS, step=6, key="cohorts_shown")
    first = add_months(ctx.filters.month, -(shown - 1))
    st.caption(f"Cohorts {format_month(first)} to {format_month(ctx.filters.month)}")
    cohorts = data.cohort_retention(ctx.warehouse, first, ctx.filters.month)
    if cohorts.empty:
        st.info("No cohorts yet.")
        return
    cohorts = cohorts.assign(cohort=cohorts["cohort_month"].dt.strftime("%Y-%m"))
    cohorts["label"] = [f"{r:.0f}" if r == r else "" for r in cohorts["retention_rate"]]
    base = alt.Chart(cohorts).encode(
        x=alt.X(
            "months_since_acquisition:O",
            title="months since acquisition",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y("cohort:O", title="cohort (acquisition month)", sort="descending"),
    )
    text = base.mark_text(fontSize=9).encode(
        text="label:N",
        color=alt.condition("datum.retention_rate > 60", alt.value("white"), alt.value("#212529")),
    )
    heatmap = (
        base.mark_rect()
        .encode(
            color=alt.Color(
                "retention_rate:Q",
                title="retained (%)",
                scale=alt.Scale(scheme="blues", domain=[0, 100]),
            ),
            opacity=alt.condition("datum.is_complete_month", alt.value(1.0), alt.value(0.5)),
            tooltip=[
                "cohort",
                "months_since_acquisition",
                alt.Tooltip("customers:Q", title="cohort size", format=","),
                alt.Tooltip("retained:Q", format=","),
                alt.Tooltip("retention_rate:Q", title="retained (%)", format=".1f"),
                "is_complete_month",
            ],
        )
        .properties(height=max(240, 18 * cohorts["cohort"].nunique()))
    )
    st.altair_chart(heatmap + text)
    st.caption(
        "Cells: % retained, rounded. Paler cells: the month is not complete yet (as-of day "
        "inside it). Hover a cell for the cohort size and the customers retained."
    )
