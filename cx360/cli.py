"""The `cx360` command line. Every subcommand is a thin shell over a library function:
the options are declared here, once, and the work is done in the module named per command.

    cx360 generate   synthetic raw data per the landing contract      (cx360.generate)
    cx360 land       land a raw folder into the warehouse's raw schema (cx360.landing)
    cx360 run        land, build, validate, publish, summarise        (cx360.pipeline)
    cx360 kpi        headline KPI summary from the published warehouse (cx360.kpi_summary)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cx360.errors import Cx360Error
from cx360.warehouse import TARGETS


def _add_warehouse_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--warehouse-dir",
        type=Path,
        default=Path("warehouse"),
        help="folder of the warehouse files (default: ./warehouse)",
    )
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default="duckdb",
        help="engine dbt builds on (default: duckdb)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx360",
        description="cx360: raw customer data to a 360-degree customer mart and CX KPIs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser(
        "generate",
        help="write a synthetic raw dataset that follows the landing contract",
        description="Write realistic, correlated synthetic raw data (deterministic per seed).",
    )
    gen.add_argument("--customers", type=int, required=True, help="number of CRM customers")
    gen.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    gen.add_argument("--out", type=Path, required=True, help="raw folder to write")
    gen.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    gen.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    gen.add_argument(
        "--dirty-rate",
        type=float,
        default=0.02,
        help="share of rows with real-world defects, 0 for clean data (default 0.02)",
    )
    gen.add_argument(
        "--batches",
        choices=("daily", "single"),
        default="single",
        help="one file per table, or a folder of daily batch files per table",
    )

    land = sub.add_parser(
        "land",
        help="land a raw folder into the warehouse (incremental, idempotent)",
        description="Load new batch files of a raw folder; bad rows go to audit quarantine.",
    )
    land.add_argument("--raw-dir", type=Path, required=True, help="raw folder (see the contract)")
    _add_warehouse_options(land)

    run = sub.add_parser(
        "run",
        help="land, build, validate and publish, then print the KPI summary",
        description="The whole refresh: land -> dbt build -> validate -> publish -> summary.",
    )
    run.add_argument("--raw-dir", type=Path, required=True, help="raw folder (see the contract)")
    _add_warehouse_options(run)

    kpi = sub.add_parser("kpi", help="print the headline KPI summary of the published warehouse")
    kpi.add_argument("--warehouse-dir", type=Path, default=Path("warehouse"))
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "generate":
        from cx360.generate import generate

        generate(
            customers=args.customers,
            seed=args.seed,
            out=args.out,
            fmt=args.format,
            months=args.months,
            dirty_rate=args.dirty_rate,
            batches=args.batches,
        )
        return 0
    if args.command == "land":
        from cx360.landing import land
        from cx360.reporting import print_landing_report
        from cx360.warehouse import Warehouse

        report = land(args.raw_dir, Warehouse(args.warehouse_dir, args.target))
        print_landing_report(report)
        return 0
    if args.command == "run":
        from cx360.pipeline import run_pipeline
        from cx360.warehouse import Warehouse

        return run_pipeline(args.raw_dir, Warehouse(args.warehouse_dir, args.target))
    if args.command == "kpi":
        from cx360.kpi_summary import print_kpi_summary
        from cx360.warehouse import Warehouse

        return print_kpi_summary(Warehouse(args.warehouse_dir))
    raise AssertionError(f"unhandled command {args.command}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except Cx360Error as err:
        print(f"cx360 {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"cx360 {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
