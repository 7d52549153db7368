"""Complete batches only (cx360.landing.discovery): landing and the Dagster sensor share one
discovery function, so a file still being written, cut mid-line, newer than its folder's
_SUCCESS marker or under a temporary name is neither landed nor the reason for a run; a
`.csv.gz`, an upper-case `.CSV` and a same-size, same-mtime content fix are both."""

from __future__ import annotations

import gzip
import importlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cx360.contract import load_contract
from cx360.landing import land
from cx360.landing.discovery import complete_batch_files, is_temporary_name
from cx360.landing.settings import SETTINGS_FILE
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import valid_rows, write_table_csv, write_valid_raw  # noqa: E402

TICKETS = load_contract()["support_tickets"]


def _csv_lines(rows: range) -> list[str]:
    records = valid_rows(TICKETS, rows)
    header = ",".join(TICKETS.column_names)
    return [header] + [",".join(r[c] for c in TICKETS.column_names) for r in records]


def _landed(warehouse: Warehouse) -> set[str]:
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        return {r[0] for r in con.execute("select batch_name from audit.landed_batches").fetchall()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def sensor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The sensor, imported with the code location's env in a tmp folder (the dbt manifest is
    prepared on import, under the warehouse folder)."""
    saved = dict(os.environ)
    os.environ["CX360_WAREHOUSE_DIR"] = str(tmp_path_factory.mktemp("sensor_wh"))
    try:
        yield importlib.import_module("orchestration.jobs").new_batch_files
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _evaluate(sensor: Any, raw: Path, cursor: str | None) -> Any:
    from dagster import build_sensor_context

    from orchestration.resources import Cx360Resource

    resource = Cx360Resource(raw_dir=str(raw), warehouse_dir=str(raw.parent / "wh"))
    context = build_sensor_context(cursor=cursor, resources={"cx360": resource})
    (result,) = list(sensor(context))
    return result


def test_temporary_names() -> None:
    for name in (".x.csv", ".2026-01-01.csv", "a.csv.tmp", "a.csv.part", "A.CSV.PART", "~a.csv"):
        assert is_temporary_name(name), name
    for name in ("2026-01-01.csv", "a.csv.gz", "a.CSV", "a.parquet"):
        assert not is_temporary_name(name), name


def test_incomplete_batches_are_neither_landed_nor_sensed(tmp_path: Path, sensor: Any) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    first = _evaluate(sensor, raw, None)
    assert type(first).__name__ == "RunRequest"
    cursor = first.run_key
    folder = raw / "support_tickets"

    # a temporary name: a whole file, but still under the name its writer copies it to
    write_table_csv(folder / ".x.csv", TICKETS, range(10, 14))
    # cut mid-line
    (folder / "2026-02-03.csv").write_text("\n".join(_csv_lines(range(30, 34)))[:-7])
    # cut at a line boundary and newer than the folder's _SUCCESS marker
    marked = tmp_path / "raw" / "interactions"
    (marked / "_SUCCESS").touch()
    time.sleep(0.05)
    interactions = load_contract()["interactions"]
    write_table_csv(marked / "2026-02-04.csv", interactions, range(40, 43))
    # cut at a line boundary while its writer is still appending, a line every 0.2 s
    growing = folder / "2026-02-02.csv"
    lines = _csv_lines(range(20, 60))
    growing.write_text("\n".join(lines[:4]) + "\n")

    def keep_writing() -> None:
        for line in lines[4:]:
            time.sleep(0.2)
            with growing.open("a") as handle:
                handle.write(line + "\n")

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        report = land(raw, warehouse, progress=False)
        during = _evaluate(sensor, raw, cursor)
        assert writer.is_alive(), "the writer finished first: the test proves nothing"
    finally:
        writer.join()

    landed = _landed(warehouse)
    for name in (".x.csv", "2026-02-02.csv", "2026-02-03.csv"):
        assert f"support_tickets/{name}" not in landed
    assert "interactions/2026-02-04.csv" not in landed
    assert report.total.rows_read == 0
    warnings = "\n".join(report.warnings)
    assert "support_tickets/2026-02-02.csv: incomplete, still being written" in warnings
    assert "support_tickets/2026-02-03.csv: incomplete, does not end in a newline" in warnings
    assert "interactions/2026-02-04.csv: incomplete, newer than its folder's _SUCCESS" in warnings
    assert ".x.csv" not in warnings  # a temporary name is not a batch at all
    assert type(during).__name__ == "SkipReason"

    # the writer has finished: the whole file is a new batch, landed with all its rows
    complete = _evaluate(sensor, raw, cursor)
    assert type(complete).__name__ == "RunRequest"
    again = land(raw, warehouse, progress=False)
    assert "support_tickets/2026-02-02.csv" in _landed(warehouse)
    assert again.total.rows_read == len(lines) - 1


def test_gzip_upper_case_and_same_size_fixes_land_and_trigger(tmp_path: Path, sensor: Any) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    cursor = _evaluate(sensor, raw, None).run_key
    folder = raw / "support_tickets"

    with gzip.open(folder / "2026-03-01.csv.gz", "wt") as handle:
        handle.write("\n".join(_csv_lines(range(50, 55))) + "\n")
    gz = _evaluate(sensor, raw, cursor)
    assert type(gz).__name__ == "RunRequest"
    cursor = gz.run_key
    (folder / "2026-03-02.CSV").write_text("\n".join(_csv_lines(range(60, 62))) + "\n")
    upper = _evaluate(sensor, raw, cursor)
    assert type(upper).__name__ == "RunRequest"
    cursor = upper.run_key
    report = land(raw, warehouse, progress=False)
    assert {"support_tickets/2026-03-01.csv.gz", "support_tickets/2026-03-02.CSV"} <= _landed(
        warehouse
    )
    assert report.total.rows_read == 5 + 2

    # a content fix with the same size and mtime (cp -p, rsync -t)
    path = folder / "2026-03-02.CSV"
    stat = path.stat()
    text = path.read_text()
    fixed = text.replace("ticket_id_60", "ticket_id_66")
    assert len(fixed) == len(text) and fixed != text
    path.write_text(fixed)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    fix = _evaluate(sensor, raw, cursor)
    assert type(fix).__name__ == "RunRequest"
    assert type(_evaluate(sensor, raw, fix.run_key)).__name__ == "SkipReason"
    replaced = land(raw, warehouse, progress=False)
    assert replaced.total.rows_read == 2


def test_a_settings_change_triggers_a_run_that_reads_the_table_again(
    tmp_path: Path, sensor: Any
) -> None:
    """Following the loss check's fix means editing cx360_sources.yml, not the batch: the
    sensor asks for a run, and landing reads that table's batches again (and only them)."""
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    cursor = _evaluate(sensor, raw, None).run_key
    assert type(_evaluate(sensor, raw, cursor)).__name__ == "SkipReason"

    (raw / SETTINGS_FILE).write_text("tables:\n  support_tickets:\n    time_zone: Europe/Paris\n")
    request = _evaluate(sensor, raw, cursor)
    assert type(request).__name__ == "RunRequest"
    report = land(raw, warehouse, progress=False)
    tickets = report.table("support_tickets")
    assert (tickets.batches_loaded, tickets.batches_replaced) == (1, 1)
    assert sum(t.batches_loaded for t in report.tables) == 1  # the other tables: untouched
    assert any("support_tickets: 1 landed batch(es) read again" in w for w in report.warnings)
    # read with the new settings once: the next landing skips it
    assert land(raw, warehouse, progress=False).total.rows_read == 0
    assert type(_evaluate(sensor, raw, request.run_key)).__name__ == "SkipReason"


def test_a_truncated_gzip_and_a_parquet_without_footer_are_incomplete(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    folder = raw / "support_tickets"
    whole = gzip.compress(("\n".join(_csv_lines(range(1, 200))) + "\n").encode())
    (folder / "2026-04-01.csv.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "2026-04-02.parquet").write_bytes(b"PAR1" + b"\0" * 100)
    files, warnings = complete_batch_files(raw, ["support_tickets"])
    assert [f.batch_name for f in files] == ["support_tickets/2026-01-01.csv"]
    text = "\n".join(warnings)
    assert "2026-04-01.csv.gz: incomplete, not a whole gzip stream" in text
    assert "2026-04-02.parquet: incomplete, no parquet footer" in text


def test_a_utf16_file_cut_mid_line_or_mid_character_is_incomplete(tmp_path: Path) -> None:
    """A UTF-16 line ends in two bytes (0A 00 little-endian): a file cut after the first of
    them, or inside a line, is not whole; the whole file is."""
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    folder = raw / "support_tickets"
    whole = ("\ufeff" + "\r\n".join(_csv_lines(range(1, 20))) + "\r\n").encode("utf-16-le")
    (folder / "2026-04-01.csv").write_bytes(whole)
    (folder / "2026-04-02.csv").write_bytes(whole[:-1])  # the line end's second byte missing
    (folder / "2026-04-03.csv").write_bytes(whole[: len(whole) // 2 + 1])  # inside a line
    files, warnings = complete_batch_files(raw, ["support_tickets"])
    assert sorted(f.batch_name for f in files) == [
        "support_tickets/2026-01-01.csv",
        "support_tickets/2026-04-01.csv",
    ]
    text = "\n".join(warnings)
    assert "2026-04-02.csv: incomplete, does not end in a newline" in text
    assert "2026-04-03.csv: incomplete, does not end in a newline" in text


def test_deleted_renamed_and_out_of_order_batches_are_reported(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True, batch="2026-01-05")
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    folder = raw / "support_tickets"
    # renamed to an earlier day: same content, a name that sorts before the landed batch
    (folder / "2026-01-05.csv").rename(folder / "2026-01-01.csv")
    report = land(raw, warehouse, progress=False)
    text = "\n".join(report.warnings)
    assert (
        "support_tickets/2026-01-05.csv: landed earlier, no longer in the raw folder; their rows "
        "stay" in text
    )
    assert (
        "support_tickets/2026-01-01.csv: same content as the landed support_tickets/2026-01-05.csv"
        in text
    )
    assert "support_tickets/2026-01-01.csv: out of time order, sorts before the landed" in text
    assert {"support_tickets/2026-01-01.csv", "support_tickets/2026-01-05.csv"} <= _landed(
        warehouse
    )
