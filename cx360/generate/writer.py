"""Write generated tables to the raw folder: parquet or CSV, one file or daily batches.

Layout (contract header): `<out>/<table>.<fmt>` for `single`, `<out>/<table>/<YYYY-MM-DD>.<fmt>`
for `daily` (ISO dates sort lexically in time; static tables stay single files). Rows dated
before the window land in the first batch (the initial extract).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cx360.contract import Table
from cx360.generate.columns import Window
from cx360.generate.dirt import DirtReport, inject_bad_types
from cx360.generate.frame import RawTable

FORMATS = ("parquet", "csv")


def clear_table(out: Path, name: str) -> None:
    """Remove a table's previous files so a re-run leaves exactly this run's output."""
    for fmt in FORMATS:
        (out / f"{name}.{fmt}").unlink(missing_ok=True)
    if (out / name).is_dir():
        shutil.rmtree(out / name)


def as_csv_text(table: pa.Table) -> pa.Table:
    """Every column as text per the contract: ISO-8601 dates and timestamps (UTC, no offset),
    true/false, decimals with a dot; nulls stay null and are written as empty fields."""
    columns = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            text = pc.cast(pc.cast(column, pa.timestamp("s")), pa.string())
            text = pc.replace_substring(text, " ", "T", max_replacements=1)
        else:
            text = pc.cast(column, pa.string())
        columns.append(text)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _write_file(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        # min/max statistics where readers prune on them (dates, numbers, vocabularies): on
        # millions of distinct ids and e-mails they cost a third of the write time for nothing
        typed = [f.name for f in table.schema if not pa.types.is_string(f.type)]
        pq.write_table(table, path, compression="snappy", write_statistics=typed)
    else:
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        pacsv.write_csv(table, path, write_options=options)


def write_table(
    raw: RawTable,
    table: Table,
    out: Path,
    fmt: str,
    batches: str,
    window: Window,
    *,
    dirty_rate: float,
    seed: int,
    report: DirtReport,
) -> list[Path]:
    clear_table(out, raw.name)
    data = raw.to_arrow(table)
    if fmt == "csv":
        data = inject_bad_types(as_csv_text(data), table, dirty_rate, seed, report)
    # static and empty tables stay one file (an empty folder would read as "no table")
    if batches == "single" or raw.batch_day is None or data.num_rows == 0:
        path = out / f"{raw.name}.{fmt}"
        _write_file(data, path, fmt)
        return [path]
    folder = out / raw.name
    folder.mkdir(parents=True)
    day = np.clip(raw.batch_day, window.start_day, window.end_day)
    order = np.argsort(day, kind="stable")
    data = data.take(pa.array(order))
    day = day[order]
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]]) if day.shape[0] else np.zeros(0, int)
    ends = np.r_[starts[1:], day.shape[0]]
    paths = []
    for begin, end in zip(starts, ends, strict=True):
        name = str(np.datetime64(int(day[begin]), "D"))
        path = folder / f"{name}.{fmt}"
        _write_file(data.slice(begin, end - begin), path, fmt)
        paths.append(path)
    return paths
