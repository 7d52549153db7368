"""The sidebar: when the data was published, whether its run passed validation, and the
filters. Filters are bound to the URL's query parameters, so a filtered view can be shared."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from cx360.dashboard import data
from cx360.dashboard.filters import (
    ALL,
    COMPARISONS,
    GRAINS,
    Filters,
    parse_period,
    period_label,
)
from cx360.dashboard.formatting import format_timestamp


def show_publish_status(wh: data._Marts) -> None:
    st.sidebar.caption(f"Reading {wh.describe()}")
    status = data.publish_status(wh)
    if status.published_at is None:
        if wh.engine == "postgres":
            st.sidebar.info(
                "Postgres: the marts schema a successful `cx360 run --target postgres` left; "
                "the publish log (schema audit) is not readable by the BI role."
            )
        else:
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


def choose_filters(wh: data._Marts) -> Filters:
    st.sidebar.header("Filters")
    grains = [g for g in GRAINS if data.kpi_periods(wh, g)]
    if not grains:
        raise data.DashboardDataError(
            "marts.fct_kpi has no weekly, monthly or quarterly figures",
            hint="check the last run's dbt build",
        )
    grain = st.sidebar.segmented_control(
        "Grain",
        grains,
        default="month" if "month" in grains else grains[0],
        key="grain",
        bind="query-params",
    ) or ("month" if "month" in grains else grains[0])
    periods = data.kpi_periods(wh, grain)
    labels = [period_label(p, grain) for p in periods]
    # Default: the period holding the last full month, as `cx360 kpi` reports; the newest
    # period may be partial.
    reporting = data.reporting_month(wh)
    default = periods[0]
    if reporting is not None:
        inside = [p for p in periods if p <= reporting]
        default = inside[0] if inside else periods[0]
    period = st.sidebar.selectbox(
        f"Period ({grain})",
        labels,
        index=labels.index(period_label(default, grain)),
        key="period",
        bind="query-params",
    )
    comparison = st.sidebar.radio("Compare with", COMPARISONS, key="compare", bind="query-params")
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
        period=parse_period(period or labels[0], grain),
        grain=grain,
        segment=segment or ALL,
        channel=channel or ALL,
        comparison=comparison or COMPARISONS[0],
    )
