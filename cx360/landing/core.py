"""`land()`: one landing run, from a raw folder to the warehouse's raw and audit tables."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cx360.contract import Table, load_contract
from cx360.errors import ContractError, Cx360Error
from cx360.landing import duckdb_loader as loader
from cx360.landing.discovery import BatchFile, Discovery, delivery_warnings, discover
from cx360.landing.encoding import detect_encoding, is_utf8, transcode_to_utf8
from cx360.landing.report import LandingReport, TableLanding
from cx360.landing.settings import SETTINGS_FILE, SourceSettings, load_source_settings
from cx360.warehouse import Warehouse

log = logging.getLogger("cx360.landing")


@contextmanager
def _landing_connection(warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """The landing database, open read-write only while landing runs (DuckDB locks the file)."""
    con = loader.connect(warehouse.landing_db, warehouse.temp_dir)
    try:
        yield con
    finally:
        con.close()


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("landing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    )


@dataclass(frozen=True)
class _TablePlan:
    to_load: list[BatchFile]  # new batches, and held ones whose content or settings changed
    replaced: list[str]  # names among to_load the warehouse already holds


def _plan(
    batches: dict[str, list[BatchFile]],
    held: dict[tuple[str, str], str],
    held_settings: dict[tuple[str, str], str | None],
    settings: dict[str, SourceSettings],
    report: LandingReport,
) -> dict[str, _TablePlan]:
    """Decide per table what to load: a batch held with the same sha256, read with the same
    source settings, is skipped. One held under other settings (cx360_sources.yml changed,
    e.g. to follow the loss check's fix) is landed again: otherwise the fix would change
    nothing until the file itself changed."""
    plans: dict[str, _TablePlan] = {}
    for name, files in batches.items():
        fingerprint = settings[name].fingerprint()
        resettled = {
            b.batch_name
            for b in files
            # NULL: landed before cx360 kept the settings; not read again on that account
            if held_settings.get((name, b.batch_name)) not in (None, fingerprint)
        }
        to_load = [
            b
            for b in files
            if held.get((name, b.batch_name)) != b.sha256 or b.batch_name in resettled
        ]
        replaced = [b.batch_name for b in to_load if (name, b.batch_name) in held]
        if resettled:
            warning = (
                f"{name}: {len(resettled)} landed batch(es) read again: their settings in "
                f"{SETTINGS_FILE} changed"
            )
            log.warning(warning)
            report.warnings.append(warning)
        plans[name] = _TablePlan(to_load, replaced)
        report.tables.append(
            TableLanding(
                table=name,
                batches_loaded=len(to_load),
                batches_replaced=len(replaced),
                batches_skipped=len(files) - len(to_load),
            )
        )
    return plans


def land(raw_dir: Path, warehouse: Warehouse, *, progress: bool = True) -> LandingReport:
    """Land every new or changed batch file of `raw_dir` into `warehouse` (idempotent).

    Contract problems (missing required table, missing column) raise ContractError before
    anything is written. Bad rows go to audit.landing_quarantine; nothing stops the load.
    For the postgres and spark targets the raw and landing audit tables are then copied over.
    """
    started = time.monotonic()
    contract = load_contract()
    settings = load_source_settings(Path(raw_dir), contract)
    found = discover(Path(raw_dir), contract, settings)
    for warning in found.warnings:
        log.warning(warning)
    report = LandingReport(
        target=warehouse.target, raw_dir=str(raw_dir), warnings=list(found.warnings)
    )
    warehouse.ensure_dirs()
    loaded_at = datetime.now(UTC).replace(tzinfo=None)

    with _landing_connection(warehouse) as con:
        loader.check_existing_tables(con, contract)
        loader.ensure_tables(con, contract)
        held = loader.held_batches(con)
        for warning in delivery_warnings(found.batches, held):
            log.warning(warning)
            report.warnings.append(warning)
        plans = _plan(found.batches, held, loader.held_settings(con), settings, report)
        transcoded_dir = warehouse.temp_dir / "transcoded"
        try:
            plans = _transcode(plans, settings, transcoded_dir, report)
            _land_plans(con, plans, report, contract, found, loaded_at, progress, settings)
        finally:
            shutil.rmtree(transcoded_dir, ignore_errors=True)
        _export(con, warehouse, contract, report)

    report.seconds = time.monotonic() - started
    return report


def _transcode(
    plans: dict[str, _TablePlan],
    settings: dict[str, SourceSettings],
    folder: Path,
    report: LandingReport,
) -> dict[str, _TablePlan]:
    """CSV batches not in UTF-8 (declared, or detected: encoding.py) read from a UTF-8 copy."""
    out: dict[str, _TablePlan] = {}
    for name, plan in plans.items():
        to_load: list[BatchFile] = []
        for batch in plan.to_load:
            if batch.fmt != "csv" or batch.is_empty:
                to_load.append(batch)
                continue
            encoding = settings[name].encoding or detect_encoding(batch.path)
            report.table(name).encodings[batch.batch_name] = encoding
            if is_utf8(encoding):
                to_load.append(batch)
                continue
            target = folder / f"{batch.sha256}.csv"
            try:
                transcode_to_utf8(batch.path, encoding, target)
            except UnicodeDecodeError as err:
                bad = err.object[err.start : err.end]
                raise ContractError(
                    f"{batch.batch_name} is not {encoding}: byte {bad!r} cannot be decoded",
                    hint=f"set the file's real `encoding:` for {name} in {SETTINGS_FILE} "
                    "(or remove it to let landing detect it); `cx360 inspect --raw-dir <folder>` "
                    "guesses it",
                ) from err
            to_load.append(replace(batch, path=target))
        out[name] = _TablePlan(to_load, plan.replaced)
    return out


def _land_plans(
    con: duckdb.DuckDBPyConnection,
    plans: dict[str, _TablePlan],
    report: LandingReport,
    contract: dict[str, Table],
    found: Discovery,
    loaded_at: datetime,
    progress: bool,
    settings: dict[str, SourceSettings],
) -> None:
    """Land the planned batches in one transaction (see _load_all)."""
    files_to_load = sum(len(plan.to_load) for plan in plans.values())
    isolate: set[str] = set()
    unreadable: dict[str, str] = {}
    # A file the CSV reader cannot parse aborts the transaction: roll back and land again,
    # reading its group file by file, then quarantining that one file line by line.
    for _attempt in range(2 * files_to_load + 1):
        try:
            _load_all(
                con,
                plans,
                report,
                contract,
                found,
                loaded_at,
                progress,
                frozenset(isolate),
                unreadable,
                settings,
            )
            break
        except loader.UnreadableCsv as err:
            if len(err.batch_names) == 1:
                unreadable[err.batch_names[0]] = err.reader_error
                log.warning("%s: %s", err.batch_names[0], err.reader_error)
            else:
                isolate.update(err.batch_names)
    else:  # unreachable: each retry isolates a group or settles a file
        raise Cx360Error("landing did not converge", hint="report this with the raw folder")


def _load_all(
    con: duckdb.DuckDBPyConnection,
    plans: dict[str, _TablePlan],
    report: LandingReport,
    contract: dict[str, Table],
    found: Discovery,
    loaded_at: datetime,
    progress: bool,
    isolate: frozenset[str],
    unreadable: dict[str, str],
    settings: dict[str, SourceSettings],
) -> None:
    """Every planned batch in one transaction: all or nothing, a failure leaves the warehouse
    as it was (and the report's row counts at zero)."""
    files_to_load = sum(len(plan.to_load) for plan in plans.values())
    for entry in report.tables:
        entry.rows_read = entry.rows_accepted = entry.rows_quarantined = 0
        entry.fields_nulled = {}
    con.begin()
    try:
        with _progress_bar(progress) as bar:
            task = bar.add_task("batch files", total=files_to_load)
            for entry in report.tables:
                plan = plans[entry.table]
                if not plan.to_load:
                    continue
                bar.update(task, description=entry.table)
                loader.forget_batches(con, entry.table, plan.replaced)
                counts = loader.load_table_batches(
                    con,
                    contract[entry.table],
                    plan.to_load,
                    loaded_at,
                    on_files_done=lambda n: bar.advance(task, n),
                    isolate=isolate,
                    unreadable=unreadable,
                    settings=settings[entry.table],
                )
                loader.record_batches(
                    con,
                    plan.to_load,
                    counts,
                    loaded_at,
                    found.ignored_columns,
                    settings[entry.table].fingerprint(),
                )
                for batch_counts in counts.values():
                    entry.rows_read += batch_counts.rows_read
                    entry.rows_accepted += batch_counts.rows_accepted
                    entry.rows_quarantined += batch_counts.rows_quarantined
                entry.fields_nulled = loader.fields_nulled(
                    con, entry.table, [b.batch_name for b in plan.to_load]
                )
        con.commit()
    except BaseException:
        try:
            con.rollback()
        except duckdb.Error as rollback_error:
            # After a fatal error (disk full) DuckDB refuses the rollback too; the first error
            # is the cause to report, the transaction dies with the connection anyway.
            log.debug("rollback after a failed landing also failed: %s", rollback_error)
        for entry in report.tables:
            entry.rows_read = entry.rows_accepted = entry.rows_quarantined = 0
        raise


def _export(
    con: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    contract: dict[str, Table],
    report: LandingReport,
) -> None:
    """Copy raw + landing audit tables to the target engine when it is not DuckDB."""
    if warehouse.target == "postgres":
        from cx360.landing.postgres_export import export_to_postgres

        report.exported_tables = export_to_postgres(
            con, contract, report.changed_tables, warehouse.temp_dir
        )
    elif warehouse.target == "spark":
        from cx360.landing.spark_export import export_to_spark

        report.exported_tables = export_to_spark(con, warehouse, contract, report.changed_tables)
