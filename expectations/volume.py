"""Volume anomalies: a batch whose size or quarantined share departs from the recent batches.

The frame validated here has one row per batch under audit (not yet validated, not accepted),
with its baseline: the median of the previous `history_batches` batches of the same table
(cx360.validation builds it from audit.landed_batches). Columns whose value is null are not
judged (too little history, too small a batch), which GX map expectations do by design.
"""

from __future__ import annotations

import great_expectations as gx

from expectations.config import load_thresholds

VOLUME_COLUMNS = (
    "table_name",
    "batch_name",
    "rows_read",
    "rows_quarantined",
    "quarantined_share",
    "baseline_rows",
    "baseline_share",
    "row_ratio",
    "share_increase",
    "judged_share",
)


def volume_suite(table_name: str) -> gx.ExpectationSuite:
    limits = load_thresholds()["volume"]
    # Tables with a known rhythm (monthly billing runs) allow a wider swing of their own.
    ratio = float(limits.get("max_row_ratio_by_table", {}).get(table_name, limits["max_row_ratio"]))
    suite = gx.ExpectationSuite(name=f"volume.{table_name}")
    # Row count vs the recent median, both ways: a half-empty extract is as suspect as a double.
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="row_ratio", min_value=1 / ratio, max_value=ratio
        )
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="share_increase", max_value=float(limits["max_quarantined_share_increase"])
        )
    )
    suite.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="judged_share", max_value=float(limits["max_quarantined_share"])
        )
    )
    return suite
