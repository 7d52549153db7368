"""Suites for the raw landing contract, one per contract table.

What a landed batch must look like before dbt builds on it: keys present, vocabulary columns
within the contract's values, no timestamp in the future. Rows the landing step already
quarantined are not here; what is checked is what dbt will read. Contract ranges are not
checked here: landing quarantines or nulls every value outside them (value_out_of_range,
cx360/landing/casting.py), so one layer holds that rule.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import great_expectations as gx

from cx360.contract import Table, load_contract
from expectations.config import load_thresholds

# "consumer | business", "for survey_type pillar: integrity | resolution | ..."
_VOCAB_TOKEN = re.compile(r"^[a-z0-9_]+$")
_SAME_AS = re.compile(r"same vocabulary as (\w+)\.(\w+)")


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


def vocabulary(description: str, contract: dict[str, Table] | None = None) -> tuple[str, ...]:
    """The value list a contract column description declares, or () when it declares none."""
    same = _SAME_AS.search(description)
    if same:
        contract = contract or load_contract()
        return vocabulary(contract[same.group(1)].column(same.group(2)).description, contract)
    if "|" not in description:
        return ()
    listed = description.rsplit(":", 1)[-1]
    values = tuple(token.strip() for token in listed.split("|"))
    return values if all(_VOCAB_TOKEN.match(v) for v in values) else ()


def raw_checks(table: Table) -> RawChecks:
    contract = load_contract()
    return RawChecks(
        table=table.name,
        key_columns=table.key,
        vocabularies={
            c.name: vocab
            for c in table.columns
            if c.type == "string" and (vocab := vocabulary(c.description, contract))
        },
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
