"""Run a suite on one batch and reduce GX's result objects to plain, storable outcomes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import AbstractDataContext

FRAMES_DATASOURCE = "cx360_frames"
# Values quoted in a failure message: enough to recognise the problem, short enough to read.
EXAMPLES_SHOWN = 5


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    unexpected_percent: float | None
    observed: str
    examples: tuple[str, ...] = ()

    def describe(self) -> str:
        target = f"{self.expectation}({self.column})" if self.column else self.expectation
        parts = [target]
        if self.unexpected_count is not None:
            share = f" ({self.unexpected_percent:.1f}%)" if self.unexpected_percent else ""
            parts.append(f"{self.unexpected_count} unexpected{share}")
        elif self.observed:
            parts.append(f"observed {self.observed}")
        if self.examples:
            parts.append("e.g. " + ", ".join(self.examples))
        return ": ".join(parts)


@dataclass(frozen=True)
class SuiteOutcome:
    """One suite run on one asset (a table or a derived frame)."""

    suite: str
    asset: str
    rows: int
    expectations: tuple[ExpectationOutcome, ...] = ()
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return all(e.success for e in self.expectations)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success]

    def describe_failures(self) -> str:
        lines = [f"{self.suite} on {self.asset}:"]
        lines += [f"  - {f.describe()}" for f in self.failures]
        return "\n".join(lines)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def _outcomes(validation_result: Any) -> tuple[ExpectationOutcome, ...]:
    outcomes = []
    for res in validation_result.results:
        config = res.expectation_config
        result = res.result or {}
        if res.exception_info and res.exception_info.get("raised_exception"):
            message = res.exception_info.get("exception_message", "exception")
            outcomes.append(
                ExpectationOutcome(
                    config.type,
                    config.kwargs.get("column"),
                    False,
                    None,
                    None,
                    f"error: {_short(message)}",
                )
            )
            continue
        # With index columns requested, GX lists the offending rows as dicts naming them
        # (e.g. the batch file); otherwise its index list is bare row numbers: show values.
        index_list = [
            item
            for item in result.get("partial_unexpected_index_list") or []
            if isinstance(item, dict)
        ]
        examples = [
            _short(item) for item in (index_list or result.get("partial_unexpected_list") or [])
        ]
        outcomes.append(
            ExpectationOutcome(
                expectation=config.type,
                column=config.kwargs.get("column"),
                success=bool(res.success),
                unexpected_count=result.get("unexpected_count"),
                unexpected_percent=result.get("unexpected_percent"),
                observed=_short(result.get("observed_value", "")),
                examples=tuple(dict.fromkeys(examples))[:EXAMPLES_SHOWN],
            )
        )
    return tuple(outcomes)


def run_suite(
    context: AbstractDataContext,
    suite: gx.ExpectationSuite,
    batch_definition: BatchDefinition,
    *,
    asset: str,
    rows: int,
    batch_parameters: dict[str, Any] | None = None,
    index_columns: list[str] | None = None,
) -> SuiteOutcome:
    """Validate one batch with a checkpoint, so the result lands in the context's stores
    (and from there in Data Docs)."""
    suite = context.suites.add_or_update(suite)
    name = f"{suite.name}@{asset}"
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
    )
    result_format: dict[str, Any] = {"result_format": "SUMMARY"}
    if index_columns:
        # Names the offending rows (e.g. the batch file) instead of only their values.
        result_format["unexpected_index_column_names"] = index_columns
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(name=name, validation_definitions=[definition], result_format=result_format)
    )
    checkpoint_result = checkpoint.run(batch_parameters=batch_parameters)
    (validation_result,) = checkpoint_result.run_results.values()
    return SuiteOutcome(
        suite=suite.name, asset=asset, rows=rows, expectations=_outcomes(validation_result)
    )


def _vectorisable(frame: pd.DataFrame) -> pd.DataFrame:
    """The same values in dtypes GX's pandas engine compares vectorised.

    ExpectColumnValuesToBeBetween is vectorised only on int64/float64 and datetime64[ns]
    columns; on any other dtype (DuckDB hands timestamps over as datetime64[us]) it calls a
    Python function per value: 17 s of a 68 s raw validation in a profile (docs/benchmarks.md).
    A timestamp beyond pandas' nanosecond range (after 2262) keeps its unit, and the slow path.
    """
    converted = {}
    for name, dtype in frame.dtypes.items():
        if not isinstance(dtype, np.dtype):
            continue  # pandas extension dtypes (nullable Int32, ...) keep GX's generic path
        if dtype.kind == "M" and dtype != "datetime64[ns]":
            try:
                converted[name] = frame[name].astype("datetime64[ns]")
            except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
                continue
        elif dtype.kind in "iu" and dtype != "int64":
            converted[name] = frame[name].astype("int64")
        elif dtype.kind == "f" and dtype != "float64":
            converted[name] = frame[name].astype("float64")
    return frame.assign(**converted) if converted else frame


# Attributes through which an expectation names the columns it reads.
_COLUMN_ATTRIBUTES = ("column", "column_A", "column_B")
_COLUMN_LIST_ATTRIBUTES = ("column_list",)


def _condition_columns(condition: object) -> set[str]:
    """Columns a row condition (GX's Column(...) conditions, nested with & and |) reads."""
    if condition is None:
        return set()
    column = getattr(condition, "column", None)
    nested = getattr(condition, "conditions", None)
    if column is None and not nested:
        # a string condition (GX keeps it as a pass-through for its own parser)
        raise ValueError(f"cannot tell which columns the row condition {condition!r} reads")
    found = {getattr(column, "name", column)} if column is not None else set()
    for inner in nested or ():
        found |= _condition_columns(inner)
    return found


def columns_read_by(suite: gx.ExpectationSuite) -> list[str]:
    """Every column the suite's expectations read, in first-use order.

    Frames handed to GX hold only these: at 10 M customers, customer_360 read whole is ~17 GiB
    of pandas, its two checked columns well under one. A string row condition (which GX parses
    itself) cannot be resolved here and raises, rather than validating a frame without it."""
    columns: dict[str, None] = {}
    for expectation in suite.expectations:
        for attribute in _COLUMN_ATTRIBUTES:
            if (name := getattr(expectation, attribute, None)) is not None:
                columns[name] = None
        for attribute in _COLUMN_LIST_ATTRIBUTES:
            for name in getattr(expectation, attribute, None) or ():
                columns[name] = None
        for name in sorted(_condition_columns(getattr(expectation, "row_condition", None))):
            columns[name] = None
    return list(columns)


def run_suite_on_frame(
    context: AbstractDataContext,
    suite: gx.ExpectationSuite,
    frame: pd.DataFrame,
    *,
    asset: str,
    index_columns: list[str] | None = None,
) -> SuiteOutcome:
    """Validate a pandas DataFrame (how DuckDB tables are validated; see STYLE.md)."""
    try:
        datasource = context.data_sources.get(FRAMES_DATASOURCE)
    except (KeyError, ValueError):
        datasource = context.data_sources.add_pandas(FRAMES_DATASOURCE)
    try:
        frame_asset = datasource.get_asset(asset)
    except LookupError:
        frame_asset = datasource.add_dataframe_asset(asset)
    try:
        batch_definition = frame_asset.get_batch_definition("whole")
    except KeyError:
        batch_definition = frame_asset.add_batch_definition_whole_dataframe("whole")
    return run_suite(
        context,
        suite,
        batch_definition,
        asset=asset,
        rows=len(frame),
        batch_parameters={"dataframe": _vectorisable(frame)},
        index_columns=index_columns,
    )
