"""Customers to act on: the retention targets (marts.retention_targets, which computes value
at risk and the ranking) with the facts behind each customer's risk score, the next best action
and the contact channel of seed contact_rules; customers with no allowed channel listed apart,
with the reason. Exportable to CSV.

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
)
NO_CHANNEL = "none"
SHOWN = [
    "priority",
    "customer_id",
    "value_at_risk",
    "clv_predicted",
    "churn_risk_score",
    "reasons",
    "next_best_action",
    "contact_channel",
    "no_contact_reason",
    "value_at_risk_basis",
    "segment",
    "value_tier",
    "revenue_12m",
    "next_renewal_date",
]


def reasons(row: pd.Series) -> str:
    """The facts behind one customer's risk score, from their customer_360 row."""
    facts = []
    if row.get("nps_category") == "detractor":
        facts.append(f"detractor (last NPS {int(row['last_nps_score'])})")
    if (row.get("complaints_12m") or 0) > 0:
        facts.append(f"{int(row['complaints_12m'])} complaint(s) in 12 months")
    if (row.get("open_tickets") or 0) > 0:
        facts.append(f"{int(row['open_tickets'])} open ticket(s)")
    if (row.get("qos_exposure_30d") or 0) > 0:
        facts.append(f"{row['qos_exposure_30d']:.0f} h of network incidents in 30 days")
    if (row.get("interactions_90d") or 0) == 0:
        facts.append("no interaction in 90 days")
    renewal = row.get("next_renewal_date")
    if renewal is not None and not pd.isna(renewal):
        facts.append(f"renewal due {pd.Timestamp(renewal):%d %b %Y}")
    return "; ".join(facts) or str(row.get("top_risk_factor") or "")


def ranked(targets: pd.DataFrame) -> pd.DataFrame:
    """Targets in the mart's order (value at risk first) with their reasons."""
    frame = targets.sort_values("target_rank").assign(
        reasons=[reasons(row) for _, row in targets.sort_values("target_rank").iterrows()]
    )
    return frame.assign(priority=range(1, len(frame) + 1))


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


COLUMN_CONFIG = {
    "priority": st.column_config.NumberColumn("Priority", format="%d"),
    "customer_id": st.column_config.TextColumn("Customer"),
    "value_at_risk": st.column_config.NumberColumn("Value at risk (EUR)", format="%.0f"),
    "clv_predicted": st.column_config.NumberColumn("Predicted CLV (EUR)", format="%.0f"),
    "churn_risk_score": st.column_config.ProgressColumn(
        "Churn risk (0-100)", min_value=0, max_value=100, format="%d"
    ),
    "reasons": st.column_config.TextColumn("Why at risk", width="large"),
    "next_best_action": st.column_config.TextColumn("Next best action"),
    "contact_channel": st.column_config.TextColumn("Contact"),
    "no_contact_reason": st.column_config.TextColumn("Why no contact"),
    "value_at_risk_basis": st.column_config.TextColumn("Churn probability from"),
    "segment": st.column_config.TextColumn("Segment"),
    "value_tier": st.column_config.TextColumn("Value tier"),
    "revenue_12m": st.column_config.NumberColumn("Revenue 12m (EUR)", format="%.0f"),
    "next_renewal_date": st.column_config.DateColumn("Renewal"),
}


def render(ctx: PageContext) -> None:
    st.title("Customers to act on")
    st.caption(
        "Active customers whose churn risk level calls for a retention action, ranked by value "
        "at risk = predicted CLV x churn probability: P(no purchase in the next 90 days) for "
        "customers on the purchase model; for contract customers the probability of churning "
        "within the calibration's horizon (cx360 backtest --calibrate), or, while none was "
        "fitted, the churn risk score / 100 ('Churn probability from' says which). 'Why at risk' "
        "lists the facts behind each score. Contact: the first rule of seed contact_rules the "
        "customer fits (default e-mail, then SMS coupon, both with marketing consent). Segment "
        "filter applies; period and channel do not (a snapshot as of the last publish)."
    )
    targets = ranked(data.customers_at_risk(ctx.warehouse, ctx.filters.segment))
    shown = _filter(targets)
    reachable = shown[shown["contact_channel"] != NO_CHANNEL]
    unreachable = shown[shown["contact_channel"] == NO_CHANNEL]
    left, middle, right = st.columns(3)
    left.metric("Customers to act on", f"{len(shown):,}", border=True)
    middle.metric("Reachable (e-mail or SMS)", f"{len(reachable):,}", border=True)
    right.metric("Value at risk (EUR)", f"{shown['value_at_risk'].sum():,.0f}", border=True)
    st.download_button(
        "Export CSV",
        data=to_safe_csv(shown[SHOWN]),
        file_name=f"cx360_customers_to_act_on_{dt.date.today().isoformat()}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    st.subheader("Reachable")
    st.dataframe(reachable[SHOWN], hide_index=True, column_config=COLUMN_CONFIG)
    st.subheader(f"No allowed channel ({len(unreachable):,})")
    st.caption(
        "No contact rule fits (see 'Why no contact': no marketing consent, or no address or "
        "number): not to be contacted by marketing. Act through service (an open ticket, the "
        "next contact they make)."
    )
    st.dataframe(unreachable[SHOWN], hide_index=True, column_config=COLUMN_CONFIG)
