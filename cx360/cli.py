"""The `cx360` command line. Every subcommand is a thin shell over a library function:
the options are declared here, once, and the work is done in the module named per command.

    cx360 generate   synthetic raw data per the landing contract      (cx360.generate)
    cx360 land       land a raw folder into the warehouse's raw schema (cx360.landing)
    cx360 run        land, build, validate, publish, summarise        (cx360.pipeline)
    cx360 backtest   predicted vs actual purchases, revenue, P(alive)  (cx360.backtest)
    cx360 kpi        headline KPI summary from the published warehouse (cx360.kpi_summary)
    cx360 accept     let a batch that a blocking check rejected through   (cx360.validation)
    cx360 ui         Dagster web UI + daemon over the same pipeline        (orchestration)
    cx360 dashboard  BI dashboard (Streamlit) on the published warehouse  (cx360.dashboard)
    cx360 bench      time generate/land/build/validate/publish vs a lower bound (cx360.bench)
"""

from __future__ import annotations

import argparse
import os
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


def _add_run_settings(parser: argparse.ArgumentParser) -> None:
    """The dbt vars of one refresh (cx360.run_settings); unset = dbt_project.yml's default."""
    from cx360.run_settings import BUSINESS_MODELS

    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the 'today' of every as-of rule (default: last day with activity in the data)",
    )
    parser.add_argument(
        "--reporting-currency",
        metavar="CUR",
        help="ISO code every amount is converted to (default EUR; other currencies need fx_rates)",
    )
    parser.add_argument(
        "--business-model",
        choices=BUSINESS_MODELS,
        help="which CLV/activity model customers follow (default auto: contract holders the "
        "contractual one, the others the purchase model; docs/clv.md)",
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
    gen.add_argument(
        "--end-date",
        default="2026-06-30",
        help="last day of the simulated history, YYYY-MM-DD (fixed default: same seed, same bytes)",
    )
    gen.add_argument(
        "--erasure-requests",
        type=int,
        default=0,
        metavar="K",
        help="write K right-to-erasure requests (default 0: the table is written empty)",
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
    _add_run_settings(run)

    backtest = sub.add_parser(
        "backtest",
        help="back-test predicted CLV: build a copy at --as-of, compare with what followed",
        description="Build a copy of a landed DuckDB warehouse with the as-of day pinned to T, "
        "then score each customer's predicted purchases, revenue and P(alive) against the "
        "--horizon-months after T, next to naive and constant baselines (docs/clv.md).",
    )
    backtest.add_argument(
        "--warehouse-dir", type=Path, default=Path("warehouse"), help="a landed warehouse"
    )
    backtest.add_argument("--horizon-months", type=int, required=True, help="H, months after T")
    _add_run_settings(backtest)

    accept = sub.add_parser(
        "accept",
        help="accept a landed batch that a blocking check rejected, so the next run publishes",
        description="Record in audit.accepted_batches that a batch is accepted as it is; the "
        "validation suites stop blocking on it (its current content only). See docs/operations.md.",
    )
    accept.add_argument(
        "--batch",
        required=True,
        help="batch name as in audit.landed_batches, e.g. support_tickets/2026-01-03.csv",
    )
    accept.add_argument("--reason", required=True, help="why it is accepted (kept in the audit)")
    _add_warehouse_options(accept)

    ui = sub.add_parser(
        "ui",
        help="start the Dagster web UI and daemon (schedules, sensors, run queue)",
        description="dagster-webserver + dagster-daemon over orchestration.definitions, with "
        "DAGSTER_HOME=.dagster_home/ unless set.",
    )
    ui.add_argument("--raw-dir", type=Path, default=Path("data/sample"), help="raw folder watched")
    ui.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=3000, help="web UI port (default 3000)")
    _add_warehouse_options(ui)

    dashboard = sub.add_parser(
        "dashboard",
        help="start the BI dashboard (Streamlit) on the published warehouse",
        description="Serve the dashboard pages (docs/dashboard.md) over <warehouse>/cx360.duckdb, "
        "read-only: a running refresh never blocks it, a new publish shows on the next reload.",
    )
    dashboard.add_argument(
        "--warehouse-dir",
        type=Path,
        default=Path("warehouse"),
        help="warehouse folder whose cx360.duckdb is shown (default: ./warehouse)",
    )
    dashboard.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    dashboard.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")

    bench = sub.add_parser(
        "bench",
        help="benchmark: generate, full refresh, lower bound, incremental day; report timings",
        description="Generate N customers as daily batches, run the refresh on every day but "
        "the last, time benchmarks/lower_bound.sql on the same files and check it gives the "
        "same numbers, then land the last day and refresh again. Writes a section of "
        "docs/benchmarks.md (see there for the method).",
    )
    bench.add_argument("--customers", type=int, required=True, help="number of CRM customers")
    bench.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    bench.add_argument("--months", type=int, default=24, help="months of history (default 24)")
    bench.add_argument("--dirty-rate", type=float, default=0.02, help="share of defect rows")
    bench.add_argument(
        "--work-dir",
        type=Path,
        default=Path(".bench-work"),
        help="scratch folder for the data and warehouse (default ./.bench-work)",
    )
    bench.add_argument(
        "--target", choices=TARGETS, default="duckdb", help="engine (default: duckdb)"
    )
    bench.add_argument(
        "--report",
        type=Path,
        default=Path("docs/benchmarks.md"),
        help="markdown file the results section is written into (default docs/benchmarks.md)",
    )
    bench.add_argument(
        "--no-lower-bound", action="store_true", help="skip the lower bound and its check"
    )
    bench.add_argument("--no-incremental", action="store_true", help="skip the incremental day")
    bench.add_argument(
        "--regenerate",
        action="store_true",
        help="generate again even when the work folder holds this dataset",
    )

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
            end_date=args.end_date,
            erasure_requests=args.erasure_requests,
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
        from cx360.run_settings import RunSettings
        from cx360.warehouse import Warehouse

        settings = RunSettings.parse(args.as_of, args.reporting_currency, args.business_model)
        return run_pipeline(
            args.raw_dir, Warehouse(args.warehouse_dir, args.target), settings=settings
        )
    if args.command == "backtest":
        from cx360.backtest import backtest
        from cx360.run_settings import RunSettings
        from cx360.warehouse import Warehouse

        settings = RunSettings.parse(args.as_of, args.reporting_currency, args.business_model)
        result = backtest(
            Warehouse(args.warehouse_dir), settings, args.horizon_months, echo=lambda _: None
        )
        print(result.markdown())
        return 0
    if args.command == "accept":
        from cx360.validation import accept_batch
        from cx360.warehouse import Warehouse

        count = accept_batch(
            Warehouse(args.warehouse_dir, args.target), args.batch, reason=args.reason
        )
        print(f"accepted {count} batch(es) named {args.batch}; the next run will not block on it")
        return 0
    if args.command == "ui":
        from orchestration.ui import serve

        return serve(
            raw_dir=args.raw_dir,
            warehouse_dir=args.warehouse_dir,
            target=args.target,
            host=args.host,
            port=args.port,
        )
    if args.command == "dashboard":
        from cx360.dashboard.launcher import serve as serve_dashboard

        return serve_dashboard(args.warehouse_dir, port=args.port, host=args.host)
    if args.command == "bench":
        return _bench(args)
    if args.command == "kpi":
        from cx360.kpi_summary import print_kpi_summary
        from cx360.warehouse import Warehouse

        return print_kpi_summary(Warehouse(args.warehouse_dir))
    raise AssertionError(f"unhandled command {args.command}")


def _bench(args: argparse.Namespace) -> int:
    from cx360.bench import BenchConfig, run_benchmark
    from cx360.bench.report import render, write_report

    config = BenchConfig(
        customers=args.customers,
        work_dir=args.work_dir,
        seed=args.seed,
        months=args.months,
        dirty_rate=args.dirty_rate,
        target=args.target,
        lower_bound=not args.no_lower_bound,
        incremental=not args.no_incremental,
        regenerate=args.regenerate,
        command="cx360 " + " ".join(sys.argv[1:]),
    )
    # written after every phase, so an hours-long run cut short still leaves its figures
    result = run_benchmark(config, on_progress=lambda partial: write_report(partial, args.report))
    print(render(result))
    print(f"written to {args.report}")
    comparison = result.lower_bound.comparison if result.lower_bound else None
    return 1 if comparison is not None and not comparison.equal else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not sys.stdout.isatty():
        # Logs and CI: rich would otherwise wrap every table at 80 columns.
        os.environ.setdefault("COLUMNS", "120")
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
