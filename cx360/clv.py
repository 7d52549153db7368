"""Back-test of the predicted CLV model (dbt model int_customer_clv, method in docs/clv.md).

The model runs inside dbt on every engine; this module only measures it. Build the warehouse
with the as-of day pinned to a cut-off T (`--vars '{as_of_date: T}'`): int_customer_clv then
knows nothing after T, while int_revenue_lines still holds every revenue line. The back-test
compares each customer's predicted revenue of the 6 months after T with what they really paid,
next to a naive baseline (the 6 months before T repeated).

    python -m cx360.clv --warehouse-dir /tmp/wh --as-of 2025-12-31   # build at T, then measure
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from cx360.errors import Cx360Error
from cx360.warehouse import PROJECT_DIR, Warehouse

HOLDOUT_MONTHS = 6  # int_customer_clv.predicted_revenue_next_6m covers exactly this horizon

# One row per acquired customer: prediction made at T, revenue actually paid in the 6 months
# after T, and the naive baseline (revenue of the 6 months before T).
BACKTEST_SQL = f"""
with as_of as (
    select as_of_date, as_of_end from intermediate.int_as_of
),
revenue as (
    select
        lines.customer_id,
        sum(case when lines.revenue_at >= as_of.as_of_end
                  and lines.revenue_at < as_of.as_of_end + interval {HOLDOUT_MONTHS} month
                 then lines.amount_reporting else 0 end) as actual_next,
        sum(case when lines.revenue_at < as_of.as_of_end
                  and lines.revenue_at >= as_of.as_of_end - interval {HOLDOUT_MONTHS} month
                 then lines.amount_reporting else 0 end) as previous
    from intermediate.int_revenue_lines as lines
    cross join as_of
    group by lines.customer_id
)
select
    clv.customer_id,
    clv.predicted_revenue_next_6m as predicted,
    cast(coalesce(revenue.actual_next, 0) as double) as actual,
    cast(coalesce(revenue.previous, 0) as double) as naive
from intermediate.int_customer_clv as clv
left join revenue on clv.customer_id = revenue.customer_id
"""


@dataclass(frozen=True)
class BacktestResult:
    as_of: date
    customers: int
    predicted_total: float
    actual_total: float
    mae: float
    naive_mae: float
    correlation: float
    naive_correlation: float

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("cut-off T (as_of_date)", self.as_of.isoformat()),
            ("customers scored", f"{self.customers:,}"),
            (f"predicted revenue, {HOLDOUT_MONTHS} months after T", f"{self.predicted_total:,.0f}"),
            (f"actual revenue, {HOLDOUT_MONTHS} months after T", f"{self.actual_total:,.0f}"),
            ("MAE per customer (model)", f"{self.mae:,.2f}"),
            ("MAE per customer (naive: last 6 months repeat)", f"{self.naive_mae:,.2f}"),
            ("Pearson correlation (model)", f"{self.correlation:.3f}"),
            ("Pearson correlation (naive)", f"{self.naive_correlation:.3f}"),
        ]


def _correlation(left: np.ndarray, right: np.ndarray) -> float:
    if left.std() == 0 or right.std() == 0:
        return float("nan")
    return float(np.corrcoef(left, right)[0, 1])


def backtest_clv(build_db: Path) -> BacktestResult:
    """Measure int_customer_clv of a build against the revenue that followed its as-of day."""
    if not Path(build_db).exists():
        raise Cx360Error(f"no build database at {build_db}", "run `dbt build` (or cx360 run) first")
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        (as_of,) = con.execute("select as_of_date from intermediate.int_as_of").fetchone()
        rows = con.execute(BACKTEST_SQL).fetchall()
    finally:
        con.close()
    if not rows:
        raise Cx360Error("int_customer_clv is empty", "the back-test needs acquired customers")
    predicted = np.array([r[1] for r in rows], dtype=float)
    actual = np.array([r[2] for r in rows], dtype=float)
    naive = np.array([r[3] for r in rows], dtype=float)
    return BacktestResult(
        as_of=as_of,
        customers=len(rows),
        predicted_total=float(predicted.sum()),
        actual_total=float(actual.sum()),
        mae=float(np.abs(predicted - actual).mean()),
        naive_mae=float(np.abs(naive - actual).mean()),
        correlation=_correlation(predicted, actual),
        naive_correlation=_correlation(naive, actual),
    )


def build_at(warehouse: Warehouse, as_of: date) -> None:
    """dbt build of the CLV model and its inputs with the as-of day pinned to `as_of`."""
    scratch = warehouse.root / "clv-backtest"
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--select",
        "+int_customer_clv",
        "+int_revenue_lines",
        "--vars",
        f"{{as_of_date: '{as_of.isoformat()}'}}",
        "--target-path",
        str(scratch / "target"),
        "--log-path",
        str(scratch / "logs"),
    ]
    env = {**os.environ, **warehouse.dbt_env()}
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise Cx360Error(
            f"dbt build at as_of_date={as_of} failed:\n{done.stdout[-3000:]}",
            "land a raw folder into this warehouse first (cx360 land)",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse-dir", type=Path, required=True, help="a landed warehouse")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="cut-off T")
    args = parser.parse_args(argv)
    warehouse = Warehouse(args.warehouse_dir)
    build_at(warehouse, args.as_of)
    result = backtest_clv(warehouse.build_db)
    width = max(len(label) for label, _ in result.rows())
    for label, value in result.rows():
        print(f"{label:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
