"""Suites for the raw landing contract, one per contract table.

What a landed batch must look like before dbt builds on it: keys present, vocabulary columns
within the contract's values, no timestamp in the future. Rows the landing step already
quarantined are not here; what is checked is what dbt will read. Vocabularies come from the
contract's `values` (cx360.contract). Contract ranges are not checked here: landing quarantines
or nulls every value outside them (value_out_of_range, cx360/landing/casting.py), so one layer
holds that rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import great_expectations as gx

from cx360.contract import Table
from expectations.config import load_thresholds


@dataclass(frozen=True)
class RawChecks:
    """The columns of one table the raw suite looks at, derived from the contract."""

    table: str
    key_columns: tuple[str, ...]
    vocabularies: dict[str, tuple[str, ...]]
    timestamp_columns: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """Columns to read, each once, in a stable order."""
        ordered = [
            *self.key_columns,
            *self.vocabularies,
            *self.timestamp_columns,
        ]
        return list(dict.fromkeys(ordered))


def raw_checks(table: Table) -> RawChecks:
    return RawChecks(
        table=table.name,
        key_columns=table.key,
        vocabularies={c.name: c.values for c in table.columns if c.values},
        timestamp_columns=tuple(c.name for c in table.columns if c.type == "timestamp"),
    )


def raw_suite(checks: RawChecks, now: dt.datetime | None = None) -> gx.ExpectationSuite:
    """The suite of one raw table. `now` (naive UTC, as landing stores timestamps) is a
    parameter so tests can move the clock."""
    limits: dict[str, Any] = load_thresholds()["raw"]
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    latest_allowed = now + dt.timedelta(hours=float(limits["future_tolerance_hours"]))
    suite = gx.ExpectationSuite(name=f"raw.{checks.table}")
    for column in checks.key_columns:
        suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column=column))
    for column, values in checks.vocabularies.items():
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeInSet(
                column=column, value_set=list(values), mostly=limits["vocabulary_mostly"]
            )
        )
    for column in checks.timestamp_columns:
        suite.add_expectation(
            gx.expectations.ExpectColumnValuesToBeBetween(
                column=column, max_value=latest_allowed, mostly=limits["future_mostly"]
            )
        )
    return suite
