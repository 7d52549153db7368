"""Customers to act on: active customers at churn risk, most valuable first, with the next
best action (marts.retention_targets). Filterable, exportable to CSV for the retention team.

The export goes through formatting.to_safe_csv: any text cell a spreadsheet would run as a
formula (= + - @ tab CR) gets a leading apostrophe."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.context import PageContext
from cx360.dashboard.formatting import to_safe_csv

FILTER_COLUMNS = (
    ("churn_risk_level", "Risk level"),
    ("value_tier", "Value tier"),
    ("next_best_action", "Next best action"),
    ("contact_channel", "Contact channel"),
)


def _filter(targets: pd.DataFrame) -> pd.DataFrame:
    columns = st.columns(len(FILTER_COLUMNS) + 1)
    kept = targets
    for (column, label), place in zip(FILTER_COLUMNS, columns, strict=False):
        options = sorted(targets[column].dropna().unique())
        chosen = place.multiselect(label, options, key=f"act_{column}", placeholder="all")
        if chosen:
            kept = kept[kept[column].isin(chosen)]
    search = columns[-1].text_input("Customer id contains", key="act_customer_id")
    if search:
        kept = kept[kept["customer_id"].str.contains(search, case=False, regex=False)]
    return kept


def render(ctx: PageContext) -> None:
    st.title("Customers to act on")
    st.caption(
        "Active customers whose churn risk level calls for a retention action, ranked by "
        "12-month revenue, then predicted CLV, then risk. Contact channel follows marketing "
        "consent. Segment filter applies; period and channel do not (a snapshot as of the "
        "last publish)."
    )
    targets = data.retention_targets(ctx.warehouse, ctx.filters.segment)
    shown = _filter(targets)
    left, middle, right = st.columns(3)
    left.metric("Customers to act on", f"{len(shown):,}", border=True)
    middle.metric("High risk", f"{int((shown['churn_risk_level'] == 'high').sum()):,}", border=True)
    right.metric("12-month revenue at stake", f"{shown['revenue_12m'].sum():,.0f}", border=True)
    st.download_button(
        "Export CSV",
        data=to_safe_csv(shown),
        file_name=f"cx360_customers_to_act_on_{dt.date.today().isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    st.dataframe(
        shown,
        hide_index=True,
        column_config={
            "target_rank": st.column_config.NumberColumn("rank"),
            "revenue_12m": st.column_config.NumberColumn("revenue 12m", format="%.2f"),
            "clv_predicted": st.column_config.NumberColumn("CLV predicted", format="%.0f"),
            "churn_risk_score": st.column_config.ProgressColumn(
                "churn risk", min_value=0, max_value=100, format="%d"
            ),
        },
    )
