"""Set-based loading of batch files into DuckDB: raw tables, batch ledger and quarantine.

All parsing and casting happens here, in DuckDB, whatever the target engine; one SQL scan
reads every new file of a table that shares a header (CSV) or format (parquet).

Record numbers and lines (CSV): DuckDB reads with all columns as text, `strict_mode` and
`store_rejects`, so a line it cannot parse (field count, quoting, invalid UTF-8) lands in a
rejects table with its line number, where the header is line 1 and line n holds record n - 1.
Accepted rows keep file order, so the k-th accepted row of a file is record
`k + (rejected lines before it)`, and its line is `record + 1`. The rule assumes one line per
record: a value holding newlines inside quotes makes the physical line numbers of later rows
larger than reported (by one per embedded newline), and blank lines (skipped by the reader)
shift later rows the other way. An unterminated quote swallows the rest of the file into that
one rejected record, whose raw text then holds those lines. Parquet rows have a record
number (file order) and no line.

Parquet takes two passes and no copy: typed rows without a problem go from read_parquet
straight into raw.<table>, then a filtered pass collects the bad rows for the quarantine
(GroupLoader._load_parquet); only a group of small files is copied once first, as opening
each file again costs more than its rows. CSV keeps a temp copy of the scan, which its
rejected lines and record numbering need.

Performance: `cx360 land` of the 1,000,000-customer benchmark history (29.5 M parquet rows,
27 batch files, 29,600 quarantined) on 2 cores shared with other jobs, old and new code run
back to back: 158 s and 6.0 GiB peak RSS before (a temp copy of the scan, a typed copy, then
the insert; 81 s / 6.3 GiB when measured alone on a quiet machine), 71 s and 1.45 GiB after.
Of those 71 s, 54 s are the inserts, i.e. DuckDB writing the raw tables (about what a plain
`create table as select * from read_parquet(...)` costs); the quarantine pass takes 10 s.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from cx360.contract import Table
from cx360.errors import ContractError, Cx360Error
from cx360.landing.casting import (
    UNPARSEABLE_LINE,
    ColumnSql,
    ProblemSql,
    accepted_value_sql,
    key_sql,
    problem_sql,
    quote_ident,
    quote_literal,
    table_columns_sql,
)
from cx360.landing.discovery import BatchFile
from cx360.landing.settings import DEFAULT_SETTINGS, SourceSettings
from cx360.warehouse import duckdb_memory_limit

# DuckDB read_csv's default max_line_size. A longer line is rejected with LINE SIZE OVER
# MAXIMUM, except one longer than the reader's whole buffer: that line is skipped with no
# reject at all (seen with a 50 MB field, DuckDB 1.4). long_lines() finds them by a byte scan.
READER_MAX_LINE_BYTES = 2_097_152
SCAN_CHUNK_BYTES = 1 << 20  # below READER_MAX_LINE_BYTES: a long line always spans chunks
KEPT_PREFIX_BYTES = 200


def long_lines(path: Path, limit: int = READER_MAX_LINE_BYTES) -> list[tuple[int, int, str]]:
    """(line number, bytes, first bytes as text) of each physical line of a CSV file longer
    than `limit` bytes; the header is line 1. One pass at memory speed: per chunk only a
    find, an rfind and a count run, in C (0.08 s for a 228 MB CSV of 4 M lines read from the
    page cache, 2026-11-29; a .csv.gz is decompressed once more)."""
    if not path.name.lower().endswith(".gz") and path.stat().st_size <= limit:
        return []
    found: list[tuple[int, int, str]] = []
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    newlines_before = 0  # newlines before the current line
    run = 0  # bytes of the current line so far
    prefix = b""
    with opener(path, "rb") as handle:
        while chunk := handle.read(SCAN_CHUNK_BYTES):
            first = chunk.find(b"\n")
            if run == 0:
                prefix = chunk[:KEPT_PREFIX_BYTES]
            if first == -1:
                run += len(chunk)
                continue
            if run + first > limit:
                text = prefix.decode("utf-8", errors="replace")
                found.append((newlines_before + 1, run + first, text))
            newlines_before += chunk.count(b"\n")
            last = chunk.rfind(b"\n")
            run = len(chunk) - last - 1
            prefix = chunk[last + 1 : last + 1 + KEPT_PREFIX_BYTES]
    return found


LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_batch_name", "VARCHAR"),
    ("_source_row", "BIGINT"),
    ("_loaded_at", "TIMESTAMP"),
)
LANDED_BATCHES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "VARCHAR"),
    ("batch_name", "VARCHAR"),
    ("content_sha256", "VARCHAR"),
    ("rows_read", "BIGINT"),
    ("rows_accepted", "BIGINT"),
    ("rows_quarantined", "BIGINT"),
    ("landed_at", "TIMESTAMP"),
    ("ignored_columns", "VARCHAR"),  # extra file columns not in the contract, comma-separated
    # the table's source settings it was read with (SourceSettings.fingerprint); NULL when
    # landed before cx360 recorded them
    ("settings_sha256", "VARCHAR"),
)
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "VARCHAR"),
    ("batch_name", "VARCHAR"),
    ("source_line", "BIGINT"),
    ("source_row", "BIGINT"),
    ("reason_code", "VARCHAR"),
    ("column_name", "VARCHAR"),
    ("reason_detail", "VARCHAR"),
    ("raw_record", "VARCHAR"),
    ("quarantined_at", "TIMESTAMP"),
)
# A bad value in an optional column: the row landed with this field NULL (casting.py).
FIELD_ISSUES_COLUMNS: tuple[tuple[str, str], ...] = (
    ("table_name", "VARCHAR"),
    ("batch_name", "VARCHAR"),
    ("source_line", "BIGINT"),
    ("source_row", "BIGINT"),
    ("key_value", "VARCHAR"),  # the row's key columns joined by '|'
    ("column_name", "VARCHAR"),
    ("reason_code", "VARCHAR"),
    ("raw_value", "VARCHAR"),
    ("reason_detail", "VARCHAR"),
    ("recorded_at", "TIMESTAMP"),
)
AUDIT_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "landed_batches": LANDED_BATCHES_COLUMNS,
    "landing_quarantine": QUARANTINE_COLUMNS,
    "landing_field_issues": FIELD_ISSUES_COLUMNS,
}


class UnreadableCsv(Cx360Error):
    """DuckDB's CSV reader failed on a whole scan (not on single lines, which it rejects).

    Seen with malformed files, e.g. a bare carriage return inside an unquoted field: the reader
    stops with "state machine reached an invalid state". The failed statement aborts landing's
    transaction, so core.land rolls back and retries: a group of files is then read file by
    file, and a single failing file is landed by quarantine_unreadable_file()."""

    def __init__(self, table: str, batch_names: list[str], reader_error: str) -> None:
        super().__init__(
            f"landing table {table}: the CSV reader cannot parse {', '.join(batch_names)}",
            hint="the landing retries these files one by one and quarantines what it cannot read",
        )
        self.batch_names = batch_names
        self.reader_error = reader_error


@dataclass(frozen=True)
class BatchCounts:
    rows_read: int
    rows_accepted: int
    rows_quarantined: int


def connect(db_path: Path, temp_dir: Path) -> duckdb.DuckDBPyConnection:
    """Read-write connection for landing; the caller closes it as soon as landing is done."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    temp_dir.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path))
    except duckdb.IOException as err:
        raise Cx360Error(
            f"cannot open {db_path} for landing: {err}",
            hint="another cx360 or dbt process is using this warehouse; wait for it to finish",
        ) from err
    con.execute("set TimeZone = 'UTC'")  # offsets in timestamps are converted to UTC
    # CSV record numbers follow file order; GroupLoader turns this off for parquet scans
    con.execute("set preserve_insertion_order = true")
    con.execute("set enable_progress_bar = false")  # landing shows its own
    # a parquet group is bound, scanned twice and counted: read each footer once, not four times
    con.execute("set parquet_metadata_cache = true")
    con.execute(f"set temp_directory = {quote_literal(str(temp_dir))}")
    # same budget as dbt's profile; beyond it DuckDB spills scratch tables to temp_directory
    memory_limit = duckdb_memory_limit()
    con.execute(f"set memory_limit = {quote_literal(memory_limit)}")
    return con


def raw_table_columns(table: Table) -> list[tuple[str, str]]:
    return [(c.name, c.duckdb_type) for c in table.columns] + list(LINEAGE_COLUMNS)


def _create_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, columns: Sequence[tuple[str, str]]
) -> None:
    body = ", ".join(f"{quote_ident(col)} {kind}" for col, kind in columns)
    con.execute(f"create table if not exists {schema}.{quote_ident(name)} ({body})")


def check_existing_tables(con: duckdb.DuckDBPyConnection, contract: dict[str, Table]) -> None:
    """Refuse to land into raw tables built for another contract (checked before writing)."""
    rows = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'raw' order by table_name, ordinal_position"
    ).fetchall()  # one catalog query for every table, not one per table
    columns_by_table: dict[str, list[str]] = {}
    for table_name, column_name in rows:
        columns_by_table.setdefault(table_name, []).append(column_name)
    for table in contract.values():
        existing = columns_by_table.get(table.name, [])
        expected = [c for c, _ in raw_table_columns(table)]
        if existing and existing != expected:
            raise ContractError(
                f"raw.{table.name} in the warehouse has columns {existing}, "
                f"the contract expects {expected}",
                hint="the contract changed since this warehouse was landed: "
                "land into a new warehouse folder (or delete this one)",
            )


def ensure_tables(con: duckdb.DuckDBPyConnection, contract: dict[str, Table]) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists audit")
    for table in contract.values():
        _create_table(con, "raw", table.name, raw_table_columns(table))
    for name, columns in AUDIT_TABLES.items():
        _create_table(con, "audit", name, columns)
    # audit columns added since the warehouse was created (they are cx360's, not the contract's)
    present = set(
        con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'audit'"
        ).fetchall()
    )
    for name, columns in AUDIT_TABLES.items():
        for column, kind in columns:
            if (name, column) not in present:
                con.execute(f"alter table audit.{quote_ident(name)} add column {column} {kind}")


def held_batches(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(table, batch name) -> content sha256 of every batch the warehouse holds."""
    rows = con.execute(
        "select table_name, batch_name, content_sha256 from audit.landed_batches"
    ).fetchall()
    return {(t, b): sha for t, b, sha in rows}


def held_settings(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str | None]:
    """(table, batch name) -> fingerprint of the source settings each held batch was read with."""
    rows = con.execute(
        "select table_name, batch_name, settings_sha256 from audit.landed_batches"
    ).fetchall()
    return {(t, b): sha for t, b, sha in rows}


def forget_batches(con: duckdb.DuckDBPyConnection, table: str, batch_names: list[str]) -> None:
    """Remove every trace of batches about to be replaced by new content."""
    if not batch_names:
        return
    names = ", ".join(quote_literal(n) for n in batch_names)
    con.execute(f"delete from raw.{quote_ident(table)} where _batch_name in ({names})")
    for audit_table in AUDIT_TABLES:
        con.execute(
            f"delete from audit.{audit_table} where table_name = ? and batch_name in ({names})",
            [table],
        )


def record_batches(
    con: duckdb.DuckDBPyConnection,
    batches: Sequence[BatchFile],
    counts: dict[str, BatchCounts],
    landed_at: datetime,
    ignored_columns: dict[str, tuple[str, ...]],
    settings_sha256: str,
) -> None:
    ledger = pa.table(
        {
            "table_name": [b.table for b in batches],
            "batch_name": [b.batch_name for b in batches],
            "content_sha256": [b.sha256 for b in batches],
            "rows_read": [counts[b.batch_name].rows_read for b in batches],
            "rows_accepted": [counts[b.batch_name].rows_accepted for b in batches],
            "rows_quarantined": [counts[b.batch_name].rows_quarantined for b in batches],
            "landed_at": pa.array([landed_at] * len(batches), pa.timestamp("us")),
            "ignored_columns": [
                ",".join(ignored_columns.get(b.batch_name, ())) or None for b in batches
            ],
            "settings_sha256": [settings_sha256] * len(batches),
        }
    )
    # one set-based insert: executemany costs a statement per batch file
    con.register("_cx_ledger", ledger)
    try:
        con.execute("insert into audit.landed_batches by name select * from _cx_ledger")
    finally:
        con.unregister("_cx_ledger")


def fields_nulled(
    con: duckdb.DuckDBPyConnection, table: str, batch_names: list[str]
) -> dict[str, int]:
    """'column: reason_code' -> fields of `batch_names` landed NULL for that reason."""
    rows = con.execute(
        "select column_name || ': ' || reason_code, count(*) from audit.landing_field_issues "
        "where table_name = ? and batch_name in (select unnest(?)) group by all order by all",
        [table, batch_names],
    ).fetchall()
    return {key: int(n) for key, n in rows}


def group_batches(batches: Sequence[BatchFile]) -> list[list[BatchFile]]:
    """Batches one scan can read together: same format, and for CSV the same header."""
    groups: dict[tuple[str, tuple[str, ...]], list[BatchFile]] = {}
    for batch in batches:
        if batch.is_empty:
            continue
        key = (batch.fmt, batch.header if batch.fmt == "csv" else ())
        groups.setdefault(key, []).append(batch)
    return list(groups.values())


# temp tables of one group load; the rejects tables are created by read_csv(store_rejects)
_SCRATCH_TABLES = ("_cx_files", "_cx_src", "_cx_rejected", "_cx_rej_cum", "_cx_checked", "_cx_bad")
_REJECTS_TABLES = ("_cx_rej", "_cx_rejscan")
# Parquet groups of small files are copied to a temp table once (GroupLoader._copy_small_files):
# files under 1 MiB on average, and at most 256 MiB together, so the copy stays small.
PARQUET_SMALL_FILE_BYTES = 1 << 20
PARQUET_COPY_MAX_BYTES = 256 << 20
# virtual columns read_parquet adds to the file's own (names given in _parquet_scan_sql)
_PARQUET_VIRTUAL_COLUMNS = ("_cx_file", "file_row_number")


class GroupLoader:
    """Loads one group of batch files of one table in a handful of set-based statements.

    CSV and parquet take different paths. CSV copies the scan to a temp table first: its
    rejected lines are known only after the scan, and record numbers are derived from the
    copy's row order (module doc). Parquet has exact record numbers (`file_row_number`) and no
    rejected lines, so its rows go straight from read_parquet to the raw table, typed and
    filtered, and a second, filtered pass quarantines the bad rows (see _load_parquet)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        batches: Sequence[BatchFile],
        loaded_at: datetime,
        settings: SourceSettings = DEFAULT_SETTINGS,
    ) -> None:
        self.con = con
        self.table = table
        self.settings = settings
        self.batches = list(batches)
        self.fmt = self.batches[0].fmt
        self.loaded_at = f"timestamp {quote_literal(loaded_at.isoformat(sep=' '))}"

    def load(self) -> dict[str, BatchCounts]:
        try:
            counts = self._load_parquet() if self.fmt == "parquet" else self._load_csv()
            self._drop_scratch()
            return counts
        except duckdb.Error as err:
            # no clean-up here: the failed statement aborted the transaction, and the caller's
            # rollback discards the scratch tables with everything else
            files = ", ".join(b.batch_name for b in self.batches)
            raise Cx360Error(
                f"landing table {self.table.name} failed while reading {files}: {err}",
                hint="check that these files are CSV or parquet, and the delimiter, date and "
                "timestamp formats of cx360_sources.yml (cx360 inspect --raw-dir <folder>)",
            ) from err

    def _drop_scratch(self) -> None:
        for temp in (*_SCRATCH_TABLES, *_REJECTS_TABLES):
            self.con.execute(f"drop table if exists {temp}")

    def _register_files(self) -> None:
        files = pa.table(
            {
                "path": [str(b.path) for b in self.batches],
                "batch_name": [b.batch_name for b in self.batches],
            }
        )
        self.con.register("_cx_files_arrow", files)
        try:
            self.con.execute("create or replace temp table _cx_files as from _cx_files_arrow")
        finally:
            self.con.unregister("_cx_files_arrow")

    def _paths_sql(self) -> str:
        return "[" + ", ".join(quote_literal(str(b.path)) for b in self.batches) + "]"

    def _batch_name_sql(self) -> tuple[str, str]:
        """(batch name expression, join clause) for a select over a scan `s` with `_cx_file`."""
        if len(self.batches) == 1:
            return quote_literal(self.batches[0].batch_name), ""
        return "f.batch_name", "join _cx_files as f on s._cx_file = f.path"

    def _typed_sql(self, columns: list[ColumnSql]) -> str:
        """The contract columns typed, plus the raw value of each checked one (`_raw_<col>`):
        the relation casting.problem_sql() reads. Raw text is carried only where a check reads
        it: required, non-string, vocabulary and identifier columns."""
        return ",\n".join(
            f"{c.typed} as {quote_ident(c.column.name)}"
            + (f", {c.raw} as {quote_ident('_raw_' + c.column.name)}" if c.checked else "")
            for c in columns
        )

    # -- parquet -----------------------------------------------------------------------------

    def _load_parquet(self) -> dict[str, BatchCounts]:
        """Two passes over the files, no copy of them (unless they are small, see
        _copy_small_files):

        1. rows without a problem: read_parquet -> typed -> raw.<table>, in one insert;
        2. rows with a problem: the same read and checks, filtered to the bad rows, which are
           the only ones whose record is turned into JSON; they land in `_cx_bad` (small),
           then in audit.landing_quarantine.
        Rows read per file come from the parquet footers, so counting needs no third pass.

        Insertion order is not preserved: nothing reads the physical order of a parquet load.
        Record numbers come from `file_row_number` (the row's position in its file, whatever
        the scan order), and staging's deduplication orders explicitly by updated_at,
        _batch_name, _source_row (macros/deduplicate_latest.sql). Unordered, DuckDB inserts
        in parallel without buffering rows to restore their order (faster, far less memory).
        """
        self.con.execute("set preserve_insertion_order = false")
        self._register_files()
        # the relation both passes read: the files, or the copy of small ones
        self.parquet_source = self._parquet_scan_sql()
        if self._copy_small_files():
            self.con.execute(f"create or replace temp table _cx_src as from {self.parquet_source}")
            self.parquet_source = "_cx_src"
        source_types = self._parquet_source_types()
        self.file_columns = [c for c in source_types if c not in _PARQUET_VIRTUAL_COLUMNS]
        columns = table_columns_sql(self.table, source_types, self.settings)
        accepted = self._insert_accepted_parquet(columns)
        self._collect_bad_parquet(columns)
        table = quote_literal(self.table.name)
        self.con.execute(
            f"""insert into audit.landing_quarantine
            select {table}, _batch_name, cast(null as bigint), _source_row, _reason_code,
                _reason_column, _reason_detail, _raw_record, {self.loaded_at}
            from _cx_bad where _bad"""
        )
        self._record_field_issues(problem_sql(columns), "_cx_bad")
        counts = self._parquet_counts()
        expected = sum(c.rows_accepted for c in counts.values())
        if accepted != expected:  # the two scans disagree: never expected, never silent
            raise Cx360Error(
                f"landing table {self.table.name}: {accepted} rows accepted, but the files "
                f"hold {expected} rows without a quarantined problem",
                hint="report this with the batch files: the load was rolled back",
            )
        return counts

    def _parquet_scan_sql(self) -> str:
        # union_by_name: files of one table may order (or, for extra columns, hold) columns
        # differently; a column absent from a file reads as null there
        scan = (
            f"read_parquet({self._paths_sql()}, filename = '_cx_file', "
            "file_row_number = true, union_by_name = true)"
        )
        schema = {c for b in self.batches for c in pq.read_schema(b.path).names}
        renames = [(f, c) for f, c in self.settings.columns.items() if f in schema]
        if not renames:
            return scan
        # the settings' column mapping: the user's names -> the contract's
        renamed = ", ".join(f"{quote_ident(f)} as {quote_ident(c)}" for f, c in renames)
        return f"(select * rename ({renamed}) from {scan})"

    def _copy_small_files(self) -> bool:
        """Whether to read the files once into `_cx_src` and run both passes over that copy.

        Each pass over parquet files pays a fixed cost per file (open, footer, schema): for
        many small files, e.g. two years of daily batches of 20,000 customers (8,448 files),
        paying it three times costs more than copying their few rows once (CPU to load them:
        15.8 s with the full copies of the CSV path, 21.5 s read directly, 13.1 s copied once).
        Big files are read directly: copying them costs memory and time."""
        total = sum(b.size for b in self.batches)
        return total <= PARQUET_COPY_MAX_BYTES and total < PARQUET_SMALL_FILE_BYTES * len(
            self.batches
        )

    def _parquet_source_types(self) -> dict[str, str]:
        rows = self.con.execute(f"describe select * from {self.parquet_source}").fetchall()
        return {r[0]: r[1] for r in rows}

    def _parquet_checked_sql(self, columns: list[ColumnSql], *, with_record: bool) -> str:
        """Every row of the files: `_batch_name`, `_source_row`, typed columns, `_bad`; with
        `with_record`, also every file column as delivered (`_cx_rec_<i>`, by position, so
        no file column name can collide with the typed ones)."""
        batch_name, files_join = self._batch_name_sql()
        problems = problem_sql(columns)
        record = "".join(
            f",\n s.{quote_ident(c)} as _cx_rec_{i}" for i, c in enumerate(self.file_columns)
        )
        return f"""with typed as (
                select {batch_name} as _batch_name, s.file_row_number + 1 as _source_row,
                    {self._typed_sql(columns)}{record if with_record else ""}
                from {self.parquet_source} as s {files_join}
            )
            select p.*, {problems.bad} as _bad, {problems.field_bad} as _field_bad
            from typed as p"""

    def _insert_accepted_parquet(self, columns: list[ColumnSql]) -> int:
        names = [*self.table.column_names, "_batch_name", "_source_row"]
        target = ", ".join(quote_ident(n) for n in [*names, "_loaded_at"])
        problems = problem_sql(columns)
        source = ", ".join(accepted_value_sql(n, problems) for n in names)
        # `_bad is not true` keeps exactly the rows the quarantine pass (`where _bad`) leaves
        inserted = self.con.execute(
            f"""insert into raw.{quote_ident(self.table.name)} ({target})
            select {source}, {self.loaded_at}
            from ({self._parquet_checked_sql(columns, with_record=False)}) as p
            where p._bad is not true"""
        ).fetchone()
        return int(inserted[0]) if inserted else 0

    def _collect_bad_parquet(self, columns: list[ColumnSql]) -> None:
        """`_cx_bad`: the quarantined rows (`_bad`) with reasons and the record as delivered,
        as JSON, and the accepted rows with a field-level problem (their raw values and key);
        the filter runs first, so only these rows are turned into JSON."""
        problems = problem_sql(columns)
        record = ", ".join(
            f"{quote_ident(c)} := p._cx_rec_{i}" for i, c in enumerate(self.file_columns)
        )
        self.con.execute(
            f"""create or replace temp table _cx_bad as
            select p._batch_name, p._source_row, cast(null as bigint) as _source_line,
                p._bad is true as _bad,
                {problems.reason_code} as _reason_code,
                {problems.reason_column} as _reason_column,
                {problems.reason_detail} as _reason_detail,
                case when p._bad then cast(to_json(struct_pack({record})) as varchar) end
                    as _raw_record,
                {key_sql(self.table)} as _key{self._field_columns_sql(problems)}
            from ({self._parquet_checked_sql(columns, with_record=True)}) as p
            where p._bad or p._field_bad"""
        )

    @staticmethod
    def _field_columns_sql(problems: ProblemSql) -> str:
        """The typed and raw value of each column with a field-level check, for
        _record_field_issues (which re-evaluates the conditions over the kept columns)."""
        names = [f.column for f in problems.fields]
        return "".join(f", p.{quote_ident(n)}, p.{quote_ident('_raw_' + n)}" for n in names)

    def _record_field_issues(self, problems: ProblemSql, relation: str) -> None:
        """audit.landing_field_issues: one row per nulled field of an accepted row of
        `relation` (with `_bad`, `_key`, `_batch_name`, `_source_row`, `_source_line`)."""
        if not problems.fields:
            return
        table = quote_literal(self.table.name)
        selects = [
            f"""select {table}, p._batch_name, p._source_line, p._source_row, p._key,
                {quote_literal(f.column)}, {quote_literal(f.reason_code)}, {f.raw_text},
                {f.detail}, {self.loaded_at}
            from {relation} as p where not p._bad and {f.condition}"""
            for f in problems.fields
        ]
        self.con.execute("insert into audit.landing_field_issues " + "\nunion all\n".join(selects))

    def _parquet_counts(self) -> dict[str, BatchCounts]:
        """Per batch: rows read from the file's footer, quarantined from `_cx_bad`."""
        rows = self.con.execute(
            f"""with footers as (
                select file_name as path, num_rows
                from parquet_file_metadata({self._paths_sql()})
            ), bad as (
                select _batch_name as batch_name, count(*) as n from _cx_bad
                where _bad group by all
            )
            select f.batch_name, coalesce(r.num_rows, 0), coalesce(b.n, 0)
            from _cx_files as f
            left join footers as r on r.path = f.path
            left join bad as b on b.batch_name = f.batch_name"""
        ).fetchall()
        return {
            name: BatchCounts(int(read), int(read) - int(bad), int(bad)) for name, read, bad in rows
        }

    # -- CSV ---------------------------------------------------------------------------------

    def _load_csv(self) -> dict[str, BatchCounts]:
        # record numbers are derived from the order rows are inserted into _cx_src
        self.con.execute("set preserve_insertion_order = true")
        self._register_files()
        try:
            self._read_csv()
        except duckdb.InvalidInputException as err:
            names = [b.batch_name for b in self.batches]
            raise UnreadableCsv(self.table.name, names, str(err).splitlines()[0]) from err
        self._number_records()
        self._check_rows()
        self._insert_accepted()
        self._quarantine_rows()
        self._record_field_issues(self.problems, "_cx_checked")
        return self._counts()

    def _read_csv(self) -> None:
        paths = self._paths_sql()
        header = self.batches[0].header  # contract names where the settings map columns
        columns = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in header) + "}"
        delimiter = quote_literal(self.settings.delimiter)
        for temp in _REJECTS_TABLES:
            self.con.execute(f"drop table if exists {temp}")
        self.con.execute(
            f"""create or replace temp table _cx_src as
            select * from read_csv({paths}, header = true, auto_detect = false,
                columns = {columns}, delim = {delimiter}, quote = '"', escape = '"',
                strict_mode = true, filename = '_cx_file', store_rejects = true,
                rejects_table = '_cx_rej', rejects_scan = '_cx_rejscan')"""
        )
        # One row per rejected line (the reader may log several errors for one line); a
        # line-level error (e.g. LINE SIZE OVER MAXIMUM) has no column_idx: it comes first.
        self.con.execute(
            """create or replace temp table _cx_rejected as
            select sc.file_path as path, e.line,
                arg_min(e.column_name, coalesce(e.column_idx, -1)) as column_name,
                arg_min(cast(e.error_type as varchar) || ': ' || e.error_message,
                    coalesce(e.column_idx, -1)) as detail,
                arg_min(e.csv_line, coalesce(e.column_idx, -1)) as csv_line
            from _cx_rej as e
            join _cx_rejscan as sc on e.scan_id = sc.scan_id and e.file_id = sc.file_id
            group by all"""
        )
        self._reject_lines_the_reader_skipped()
        self.file_columns = list(header)

    def _reject_lines_the_reader_skipped(self) -> None:
        """Add to _cx_rejected the over-long lines the reader dropped without a reject, so they
        are quarantined, counted and numbered like any unparseable line (nothing vanishes)."""
        skipped = []
        for batch in self.batches:
            path = str(batch.path)
            for line, size, text in long_lines(batch.path):
                reported = self.con.execute(
                    "select count(*) from _cx_rejected where path = ? and line = ?", [path, line]
                ).fetchone()
                if reported and reported[0]:
                    continue
                detail = (
                    f"LINE SIZE OVER MAXIMUM: line {line} is {size:,} bytes, over the reader's "
                    f"maximum line size of {READER_MAX_LINE_BYTES:,} (first "
                    f"{KEPT_PREFIX_BYTES} bytes kept)"
                )
                skipped.append((path, line, None, detail, text))
        if skipped:
            self.con.executemany("insert into _cx_rejected values (?, ?, ?, ?, ?)", skipped)

    def _source_types(self) -> dict[str, str]:
        rows = self.con.execute("describe _cx_src").fetchall()
        return {r[0]: r[1] for r in rows}

    def _number_records(self) -> None:
        """Per file: the number of rejected lines before each accepted row (see module doc)."""
        self.con.execute(
            """create or replace temp table _cx_rej_cum as
            with ranked as (
                select path, line, row_number() over (partition by path order by line) as n_before
                from _cx_rejected
            )
            select path, line - n_before - 1 as parsed_before, max(n_before) as n_before
            from ranked
            group by all"""
        )

    def _record_sql(self) -> str:
        """Select over `_cx_src` adding `_src_rowid`, record number `_record` and `_line`."""
        # File order is insertion order: rowids of one file are contiguous (checked here).
        broken = self.con.execute(
            "select count(*) filter (where n != last_rowid - first_rowid + 1) from ("
            "select _cx_file, count(*) as n, min(rowid) as first_rowid, max(rowid) as last_rowid "
            "from _cx_src group by all)"
        ).fetchone()
        if broken and broken[0]:
            raise Cx360Error(
                f"landing table {self.table.name}: the CSV reader did not keep file order",
                hint="report this: record numbers cannot be assigned safely",
            )
        # rowids need not start at 0 (inside a transaction they are transaction-local)
        if len(self.batches) == 1:
            numbered = """select s.rowid as _src_rowid, s.*,
                    s.rowid - (select min(rowid) from _cx_src) + 1 as _k
                from _cx_src as s"""
        else:
            numbered = """with firsts as (
                    select _cx_file, min(rowid) as first_rowid from _cx_src group by all
                )
                select s.rowid as _src_rowid, s.*, s.rowid - f.first_rowid + 1 as _k
                from _cx_src as s join firsts as f on s._cx_file = f._cx_file"""
        rejected = self.con.execute("select count(*) from _cx_rejected").fetchone()
        if not (rejected and rejected[0]):  # the common case: no line was rejected
            return f"""select n.*, n._k as _record, n._k + 1 as _line from ({numbered}) as n"""
        return f"""select n.*, n._k + coalesce(r.n_before, 0) as _record,
                n._k + coalesce(r.n_before, 0) + 1 as _line
            from ({numbered}) as n
            asof left join _cx_rej_cum as r
                on n._cx_file = r.path and n._k > r.parsed_before"""

    def _check_rows(self) -> None:
        columns = table_columns_sql(self.table, self._source_types(), self.settings)
        problems = problem_sql(columns)
        self.problems = problems
        kept = ", ".join(f"p.{quote_ident(c.column.name)}" for c in columns)
        kept += "".join(f", p.{quote_ident('_raw_' + f.column)}" for f in problems.fields)
        batch_name, files_join = self._batch_name_sql()
        self.con.execute(
            f"""create or replace temp table _cx_checked as
            with s as ({self._record_sql()}),
            typed as (
                select s._src_rowid, {batch_name} as _batch_name, s._record as _source_row,
                    s._line as _source_line,
                    {self._typed_sql(columns)}
                from s {files_join}
            ),
            p as (
                select p.*, {problems.bad} as _bad from typed as p
            )
            select p._src_rowid, p._batch_name, p._source_row, p._source_line, {kept},
                p._bad is true as _bad, {key_sql(self.table)} as _key,
                {problems.reason_code} as _reason_code,
                {problems.reason_column} as _reason_column,
                {problems.reason_detail} as _reason_detail
            from p"""
        )

    def _insert_accepted(self) -> None:
        names = [*self.table.column_names, "_batch_name", "_source_row"]
        target = ", ".join(quote_ident(n) for n in [*names, "_loaded_at"])
        source = ", ".join(accepted_value_sql(n, self.problems) for n in names)
        self.con.execute(
            f"""insert into raw.{quote_ident(self.table.name)} ({target})
            select {source}, {self.loaded_at}
            from _cx_checked as p where p._reason_code is null"""
        )

    def _quarantine_rows(self) -> None:
        record = ", ".join(
            f"{quote_ident(c)} := s.{quote_ident(c)}" for c in self.file_columns
        )  # the record as delivered, every column of the file, as JSON
        table = quote_literal(self.table.name)
        self.con.execute(
            f"""insert into audit.landing_quarantine
            select {table}, c._batch_name, c._source_line, c._source_row, c._reason_code,
                c._reason_column, c._reason_detail, cast(to_json(struct_pack({record})) as varchar),
                {self.loaded_at}
            from _cx_checked as c join _cx_src as s on s.rowid = c._src_rowid
            where c._reason_code is not null"""
        )
        self.con.execute(
            f"""insert into audit.landing_quarantine
            select {table}, f.batch_name, r.line, r.line - 1, '{UNPARSEABLE_LINE}',
                r.column_name, r.detail, r.csv_line, {self.loaded_at}
            from _cx_rejected as r join _cx_files as f on r.path = f.path"""
        )

    def _counts(self) -> dict[str, BatchCounts]:
        rows = self.con.execute(
            """with parsed as (
                select _batch_name as batch_name, count(*) as n,
                    count(*) filter (where _reason_code is not null) as bad
                from _cx_checked group by all
            ), rejected as (
                select f.batch_name, count(*) as n
                from _cx_rejected as r join _cx_files as f on r.path = f.path
                group by all
            )
            select f.batch_name,
                coalesce(p.n, 0) + coalesce(r.n, 0),
                coalesce(p.n, 0) - coalesce(p.bad, 0),
                coalesce(p.bad, 0) + coalesce(r.n, 0)
            from _cx_files as f
            left join parsed as p on p.batch_name = f.batch_name
            left join rejected as r on r.batch_name = f.batch_name"""
        ).fetchall()
        return {name: BatchCounts(int(a), int(b), int(c)) for name, a, b, c in rows}


def quarantine_unreadable_file(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    batch: BatchFile,
    loaded_at: datetime,
    reader_error: str,
) -> BatchCounts:
    """Land a CSV file DuckDB's reader cannot parse at all: every non-blank line after the
    header goes to quarantine as `unparseable_line`, with the reader's error as the reason.
    Nothing is accepted (the record boundaries are unknown) and nothing is lost."""
    opener = gzip.open if batch.path.name.lower().endswith(".gz") else open
    with opener(batch.path, "rb") as handle:
        text = handle.read().decode("utf-8", errors="replace")
    lines = text.splitlines()[1:]  # the header line is the first, whatever its line end
    detail = f"file not readable as CSV, every line quarantined: {reader_error}"
    rows = [(n, line) for n, line in enumerate(lines, start=2) if line.strip()]
    quarantined = pa.table(
        {
            "table_name": [table.name] * len(rows),
            "batch_name": [batch.batch_name] * len(rows),
            "source_line": pa.array([n for n, _ in rows], pa.int64()),
            "source_row": pa.array([n - 1 for n, _ in rows], pa.int64()),
            "reason_code": [UNPARSEABLE_LINE] * len(rows),
            "column_name": pa.array([None] * len(rows), pa.string()),
            "reason_detail": [detail] * len(rows),
            "raw_record": [line for _, line in rows],
            "quarantined_at": pa.array([loaded_at] * len(rows), pa.timestamp("us")),
        }
    )
    con.register("_cx_unreadable", quarantined)
    try:
        con.execute("insert into audit.landing_quarantine by name select * from _cx_unreadable")
    finally:
        con.unregister("_cx_unreadable")
    return BatchCounts(len(rows), 0, len(rows))


def load_table_batches(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    batches: Sequence[BatchFile],
    loaded_at: datetime,
    on_files_done: Callable[[int], None] | None = None,
    *,
    isolate: frozenset[str] = frozenset(),
    unreadable: dict[str, str] | None = None,
    settings: SourceSettings = DEFAULT_SETTINGS,
) -> dict[str, BatchCounts]:
    """Load `batches` (all new to the warehouse) of `table`; counts per batch name.

    `on_files_done(n)` is called after each scan with the number of files it read. Batches
    named in `isolate` are read one file per scan; those in `unreadable` (name -> reader
    error) are quarantined line by line (see UnreadableCsv)."""
    unreadable = unreadable or {}
    counts = {b.batch_name: BatchCounts(0, 0, 0) for b in batches if b.is_empty}
    if on_files_done and counts:
        on_files_done(len(counts))
    for batch in batches:
        if batch.batch_name in unreadable and not batch.is_empty:
            error = unreadable[batch.batch_name]
            counts[batch.batch_name] = quarantine_unreadable_file(
                con, table, batch, loaded_at, error
            )
    readable = [b for b in batches if b.batch_name not in unreadable]
    groups: list[list[BatchFile]] = []
    for group in group_batches(readable):
        if any(b.batch_name in isolate for b in group):
            groups += [[b] for b in group]
        else:
            groups.append(group)
    for group in groups:
        counts.update(GroupLoader(con, table, group, loaded_at, settings).load())
        if on_files_done:
            on_files_done(len(group))
    return counts
