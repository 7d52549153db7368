"""Write generated tables to the raw folder: parquet or CSV, one file or daily batches.

Layout (contract header): `<out>/<table>.<fmt>` for `single`, `<out>/<table>/<YYYY-MM-DD>.<fmt>`
for `daily` (ISO dates sort lexically in time; static tables stay single files). Rows dated
before the window land in the first batch (the initial extract).

`write_table` writes a table generated in one piece. In a run of several customer shards
(shards.py) a customer table arrives shard after shard: `ShardedTable` writes it to the same
layout, each file holding the rows of every shard in shard order (landing treats every file
as one batch, so there is never a file per shard).
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
SCRATCH = ".shards"  # <out>/.shards/<table>/<shard>.arrows: daily parquet rows until merged
SCRATCH_IPC = pa.ipc.IpcWriteOptions(compression="lz4")
# rows per record batch of a scratch stream: big enough that lz4's cost per buffer vanishes,
# small enough that the merge holds little of each shard at a time
SCRATCH_BATCH_ROWS = 65_536


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


def _parquet_options(schema: pa.Schema) -> dict[str, object]:
    # min/max statistics where readers prune on them (dates, numbers, vocabularies): on
    # millions of distinct ids and e-mails they cost a third of the write time for nothing
    typed = [f.name for f in schema if not pa.types.is_string(f.type)]
    return {"compression": "snappy", "write_statistics": typed}


def _write_file(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(table, path, **_parquet_options(table.schema))
    else:
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        pacsv.write_csv(table, path, write_options=options)


def _append_csv(table: pa.Table, path: Path) -> None:
    """Rows appended to a CSV file; the header only when the file is new."""
    options = pacsv.WriteOptions(include_header=not path.exists(), quoting_style="needed")
    with pa.OSFile(str(path), "ab") as sink:
        pacsv.write_csv(table, sink, write_options=options)


def _as_written(
    raw: RawTable,
    table: Table,
    fmt: str,
    dirty_rate: float,
    seed: int,
    report: DirtReport,
    shard: int,
) -> pa.Table:
    """The rows as they go to disk: contract types, or text with bad types for CSV."""
    data = raw.to_arrow(table)
    if fmt == "csv":
        return inject_bad_types(as_csv_text(data), table, dirty_rate, seed, report, shard)
    return _unique_dictionaries(data)


def _by_day(
    data: pa.Table, batch_day: np.ndarray, window: Window
) -> tuple[pa.Table, list[tuple[str, int, int]]]:
    """The rows sorted by the day they arrive, and (YYYY-MM-DD, first row, row count) per
    day. Rows dated outside the window arrive on its first (initial extract) or last day.

    The caller replaces its table with the sorted one."""
    day = np.clip(batch_day, window.start_day, window.end_day)
    order = np.argsort(day, kind="stable")
    data = data.take(pa.array(order))
    day = day[order]
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]]) if day.shape[0] else np.zeros(0, int)
    ends = np.r_[starts[1:], day.shape[0]]
    spans = [
        (str(np.datetime64(int(day[begin]), "D")), int(begin), int(end - begin))
        for begin, end in zip(starts, ends, strict=True)
    ]
    return data, spans


def _unique_dictionaries(data: pa.Table) -> pa.Table:
    """Dictionary columns re-encoded where the dictionary repeats a value (pick() over a
    vocabulary with repeats, e.g. the survey id of every question). pyarrow's parquet writer
    gives such a column with nulls bytes that vary with its memory state (the values read
    back are the same), so without it two runs with the same seed could differ byte-wise."""
    for index, column in enumerate(data.columns):
        if not pa.types.is_dictionary(column.type):
            continue
        repeats = any(
            len(chunk.dictionary) != len(pc.unique(chunk.dictionary)) for chunk in column.chunks
        )
        if repeats:
            unique = pc.dictionary_encode(column.cast(column.type.value_type))
            data = data.set_column(index, data.field(index), unique.cast(column.type))
    return data


def _conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """A shard's rows in the first shard's schema. Defects may have decoded a vocabulary
    column in one shard and not in another (dictionary vs plain strings): same values."""
    return data if data.schema.equals(schema) else data.cast(schema)


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
    """Write a table generated in one piece (replacing its previous files)."""
    clear_table(out, raw.name)
    data = _as_written(raw, table, fmt, dirty_rate, seed, report, shard=0)
    # static and empty tables stay one file (an empty folder would read as "no table")
    if batches == "single" or raw.batch_day is None or data.num_rows == 0:
        path = out / f"{raw.name}.{fmt}"
        _write_file(data, path, fmt)
        return [path]
    folder = out / raw.name
    folder.mkdir(parents=True)
    data, spans = _by_day(data, raw.batch_day, window)
    paths = []
    for name, begin, count in spans:
        path = folder / f"{name}.{fmt}"
        _write_file(data.slice(begin, count), path, fmt)
        paths.append(path)
    return paths


class ShardedTable:
    """A customer table of a sharded run, written shard after shard (`write`), completed by
    `finish`. Memory stays bounded to one shard's rows (one day's rows when merging):

    - CSV: every shard appends its rows to the final files, the header written once.
    - parquet, single: one ParquetWriter stays open for the run; each shard adds row groups.
    - parquet, daily: a parquet file cannot be appended to, and a writer open per table and
      day would need thousands of file handles. Each shard writes its rows, sorted by day,
      to one Arrow stream `<out>/.shards/<table>/<shard>.arrows` (lz4: no parquet encoding
      twice, no file per shard and day); `finish` reads the shards' streams side by side,
      day after day, and writes each day's parquet file once.

    Calls come from one thread; the files are complete once `finish` has run.
    """

    def __init__(
        self,
        table: Table,
        out: Path,
        fmt: str,
        batches: str,
        window: Window,
        *,
        dirty_rate: float,
        seed: int,
        report: DirtReport,
    ) -> None:
        self.table = table
        self.out = out
        self.fmt = fmt
        self.window = window
        self.single = batches == "single"
        self.dirty_rate = dirty_rate
        self.seed = seed
        self.report = report
        self.rows = 0
        self._schema: pa.Schema | None = None  # of the first shard's rows
        self._writer: pq.ParquetWriter | None = None
        # day -> (shard stream, rows of that day in it); streams are None for CSV
        self._days: dict[str, list[tuple[Path | None, int]]] = {}
        self._scratch = out / SCRATCH / table.name
        clear_table(out, table.name)
        shutil.rmtree(self._scratch, ignore_errors=True)

    @property
    def _single_path(self) -> Path:
        return self.out / f"{self.table.name}.{self.fmt}"

    def write(self, raw: RawTable, shard: int) -> None:
        data = _as_written(
            raw, self.table, self.fmt, self.dirty_rate, self.seed, self.report, shard
        )
        if self._schema is None:
            self._schema = data.schema
        if data.num_rows == 0:
            return
        self.rows += data.num_rows
        if self.single or raw.batch_day is None:
            self.single = True
            if self.fmt == "csv":
                _append_csv(data, self._single_path)
                return
            if self._writer is None:
                self._writer = pq.ParquetWriter(
                    self._single_path, self._schema, **_parquet_options(self._schema)
                )
            self._writer.write_table(_conform(data, self._schema))
            return
        data, spans = _by_day(data, raw.batch_day, self.window)
        if self.fmt == "csv":
            folder = self.out / self.table.name
            folder.mkdir(exist_ok=True)
            for day, begin, count in spans:
                _append_csv(data.slice(begin, count), folder / f"{day}.csv")
                self._days.setdefault(day, []).append((None, count))
            return
        self._scratch.mkdir(parents=True, exist_ok=True)
        path = self._scratch / f"{shard:05d}.arrows"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(
            sink, data.schema, options=SCRATCH_IPC
        ) as stream:  # fmt: skip
            stream.write_table(data, max_chunksize=SCRATCH_BATCH_ROWS)
        for day, _, count in spans:
            self._days.setdefault(day, []).append((path, count))

    def finish(self) -> list[Path]:
        """Close or merge the files; the paths written, as write_table returns them."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._schema is None:
            raise AssertionError(f"{self.table.name}: no shard was written")
        if self.rows == 0:
            # an empty table stays one file, as in an unsharded run
            _write_file(self._schema.empty_table(), self._single_path, self.fmt)
            return [self._single_path]
        if self.single:
            return [self._single_path]
        folder = self.out / self.table.name
        days = sorted(self._days)
        if self.fmt == "parquet":
            folder.mkdir(exist_ok=True)
            self._merge_days(days, folder)
        return [folder / f"{day}.{self.fmt}" for day in days]

    def _merge_days(self, days: list[str], folder: Path) -> None:
        """Each day's parquet file from the shards' streams, read in step: every stream is
        sorted by day, so its next rows are always the current day's."""
        assert self._schema is not None
        streams = {path: _ScratchRows(path) for path in sorted(self._scratch.glob("*.arrows"))}
        try:
            for day in days:
                parts = [
                    _conform(streams[path].take(count), self._schema)
                    for path, count in self._days[day]
                ]
                merged = pa.concat_tables(parts).combine_chunks()
                _write_file(merged, folder / f"{day}.parquet", "parquet")
        finally:
            for stream in streams.values():
                stream.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def abort(self) -> None:
        """After a failure: close the open file (its content is incomplete)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class _ScratchRows:
    """The rows of one shard's scratch stream, handed out in order, `count` at a time."""

    def __init__(self, path: Path) -> None:
        self._source = pa.OSFile(str(path))
        self._reader = pa.ipc.open_stream(self._source)
        self._batch: pa.RecordBatch | None = None
        self._offset = 0

    def take(self, count: int) -> pa.Table:
        parts = []
        while count > 0:
            if self._batch is None or self._offset == self._batch.num_rows:
                self._batch = self._reader.read_next_batch()
                self._offset = 0
            rows = min(count, self._batch.num_rows - self._offset)
            parts.append(self._batch.slice(self._offset, rows))
            self._offset += rows
            count -= rows
        return pa.Table.from_batches(parts, schema=self._reader.schema)

    def close(self) -> None:
        self._source.close()
