"""CDNOW (Fader, Hardie & Lee 2005) as a raw cx360 folder: crm_customers + billing_orders only.

    python -m cx360.cdnow --out /tmp/cdnow-raw                        # full set, from the wheel
    python -m cx360.cdnow --source tests/fixtures/cdnow/CDNOW_sample.txt --out /tmp/cdnow-sample

The full set (`CDNOW_master.txt`) ships in the `lifetimes` 0.11.3 wheel on PyPI; without
--source it is read from that wheel, downloaded with `pip download` into --cache.

What is derived, not invented: a customer's CRM record is created (and last updated) on their
first purchase day (CDNOW's cohort is defined by that day); every purchase record is one
completed order of that day in USD, with its dollar value. Nothing else is written: no contract,
invoice, survey, ticket or interaction table, no status column.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

WHEEL = "lifetimes==0.11.3"
MASTER_IN_WHEEL = "lifetimes/datasets/CDNOW_master.txt"


def read_cdnow(path: Path) -> pd.DataFrame:
    """customer_id, ordered_on, amount from CDNOW_master.txt (4 columns, with a header line)
    or CDNOW_sample.txt (5 columns, no header)."""
    lines = [line.split() for line in Path(path).read_text().splitlines() if line.strip()]
    if not lines[0][0].isdigit():
        lines = lines[1:]
    rows = [(r[0], r[-3], float(r[-1])) for r in lines]
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame["ordered_on"] = pd.to_datetime(frame["day"], format="%Y%m%d")
    return frame.drop(columns="day")


def write_raw(purchases: pd.DataFrame, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    first = purchases.groupby("customer_id")["ordered_on"].min().reset_index()
    customers = pd.DataFrame(
        {
            "customer_id": "C" + first["customer_id"],
            "created_at": first["ordered_on"].dt.strftime("%Y-%m-%dT00:00:00"),
            "updated_at": first["ordered_on"].dt.strftime("%Y-%m-%dT00:00:00"),
        }
    )
    customers.to_csv(out / "crm_customers.csv", index=False)
    ordered = purchases.reset_index(drop=True)
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i + 1}" for i in range(len(ordered))],
            "customer_id": "C" + ordered["customer_id"],
            "ordered_at": ordered["ordered_on"].dt.strftime("%Y-%m-%dT12:00:00"),
            "amount": ordered["amount"].map(lambda v: f"{v:.2f}"),
            "currency": "USD",
        }
    )
    orders.to_csv(out / "billing_orders.csv", index=False)


def master_from_wheel(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("[Ll]ifetimes-0.11.3-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-d", str(cache)],
            check=True,
        )
        wheels = sorted(cache.glob("[Ll]ifetimes-0.11.3-*.whl"))
    target = cache / "CDNOW_master.txt"
    with zipfile.ZipFile(wheels[0]) as wheel:
        target.write_bytes(wheel.read(MASTER_IN_WHEEL))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="raw folder to write")
    parser.add_argument("--source", type=Path, help="a CDNOW text file (default: the wheel's)")
    parser.add_argument("--cache", type=Path, default=Path(".cdnow-cache"))
    args = parser.parse_args(argv)
    source = args.source or master_from_wheel(args.cache)
    purchases = read_cdnow(source)
    write_raw(purchases, args.out)
    print(
        f"{args.out}: {purchases['customer_id'].nunique():,} customers, {len(purchases):,} orders"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
