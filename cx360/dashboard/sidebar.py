"""The sidebar: when the data was published, whether its run passed validation, and the
filters. Filters are bound to the URL's query parameters, so a filtered view can be shared."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.filters import ALL, Filters
from cx360.dashboard.formatting import format_timestamp

TREND_MONTHS = 12


def show_publish_status(wh: data.PublishedWarehouse) -> None:
    status = data.publish_status(wh)
    if status.published_at is None:
        st.sidebar.warning("No publish log in this file: origin and validation unknown.")
        return
    age = dt.datetime.now(dt.UTC).replace(tzinfo=None) - status.published_at
    st.sidebar.markdown(
        f"**Last published** {format_timestamp(status.published_at)} "
        f"({_describe_age(age)})  \nrun `{status.run_id}`"
    )
    if not status.validation_passed:
        st.sidebar.error("Validation did not pass for this publish")
    elif status.accepted_quarantined:  # never plain "passed" when accept let rows go
        st.sidebar.warning(
            f"Validation accepted with {status.accepted_quarantined:,} rows quarantined "
            "(batches let through by cx360 accept; see audit.accepted_batches)"
        )
    elif status.checks == 0:
        st.sidebar.success("Validation passed (no check results recorded for this run)")
    else:
        warnings = (
            f", {status.failed_checks} non-blocking warning(s)" if status.failed_checks else ""
        )
        st.sidebar.success(f"Validation passed: {status.checks} checks{warnings}")
    st.sidebar.caption(
        "A run that fails validation publishes nothing: these pages keep the last good data."
    )


def _describe_age(age: dt.timedelta) -> str:
    minutes = int(age.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


def choose_filters(wh: data.PublishedWarehouse) -> Filters:
    months = data.kpi_months(wh)
    if not months:
        raise data.DashboardDataError(
            "marts.fct_kpi has no monthly figures", hint="check the last run's dbt build"
        )
    # Shown and put in the URL as 2026-10 (a bound widget writes its label to the URL).
    month_keys = [m.isoformat()[:7] for m in months]
    # Default: the last full month, as `cx360 kpi` reports; the newest month may be partial.
    reporting = data.reporting_month(wh)
    default_key = reporting.isoformat()[:7] if reporting else month_keys[0]
    st.sidebar.header("Filters")
    month_key = st.sidebar.selectbox(
        "Period (month)",
        month_keys,
        index=month_keys.index(default_key) if default_key in month_keys else 0,
        key="month",
        bind="query-params",
    )
    segment = st.sidebar.selectbox(
        "Segment",
        [ALL, *data.kpi_dimension_values(wh, "segment")],
        key="segment",
        bind="query-params",
    )
    channel = st.sidebar.selectbox(
        "Channel",
        [ALL, *data.kpi_dimension_values(wh, "channel")],
        key="channel",
        bind="query-params",
    )
    return Filters(
        month=dt.date.fromisoformat((month_key or default_key) + "-01"),
        segment=segment or ALL,
        channel=channel or ALL,
        trend_months=TREND_MONTHS,
    )
