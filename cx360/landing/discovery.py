"""Find the complete batch files of a raw folder and check them against the contract, before
any write. Landing (discover) and the Dagster sensor (batch_fingerprint) use the same
complete_batch_files(), so the sensor asks for a run exactly when landing has something to land.

A table arrives as `<table>.csv|.csv.gz|.parquet` and/or a folder `<table>/` of such files;
suffixes in any case (`.CSV`, `.Csv.Gz`). Each file is one batch, named by its path relative to
the raw folder (e.g. `support_tickets/2026-01-03.parquet`); batches order lexically by name.

A file is complete, and landed, when all of these hold (docs/operations.md, "Delivering batch
files"):
- its name is not a temporary one: not starting with `.` or `~`, not ending in `.tmp`, `.part`,
  `.partial` or `~` (writers copy under such a name and rename when done);
- a CSV ends in a newline (a file cut mid-line does not); a `.csv.gz` is a whole gzip stream
  whose text ends in a newline; a parquet file ends in its `PAR1` footer;
- it is stable: a file modified less than CX360_SETTLE_SECONDS (default 1) ago is looked at
  again once that window has passed, and skipped if its size, mtime or sha256 changed;
- when its folder holds a `_SUCCESS` marker, it is not newer than the marker (a producer that
  writes the marker after its files makes completeness explicit).
An incomplete file is skipped with a warning and landed by a later run once it is complete.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cx360.contract import Table
from cx360.errors import ContractError
from cx360.landing.encoding import UTF16, UTF16_BOMS, ends_a_line, looks_like_utf16
from cx360.landing.settings import DEFAULT_SETTINGS, SETTINGS_FILE, SourceSettings
from cx360.settings import setting

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
_HASH_CHUNK = 8 * 1024 * 1024
_HEADER_READ_BYTES = 64 * 1024  # a header line longer than this is cut (then fails the check)
TEMP_PREFIXES = (".", "~")
TEMP_SUFFIXES = (".tmp", ".part", ".partial", "~")
SUCCESS_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class BatchFile:
    """One batch file of a contract table, with what landing needs to know before reading it."""

    table: str
    batch_name: str  # path relative to the raw folder, posix separators
    path: Path
    fmt: str  # "csv" | "parquet"
    size: int
    sha256: str
    header: tuple[str, ...]  # column names as the file spells them; () for an empty file

    @property
    def is_empty(self) -> bool:
        """True for a 0-byte CSV: no header, no rows (lands as 0 rows)."""
        return not self.header


@dataclass(frozen=True)
class Discovery:
    batches: dict[str, list[BatchFile]]  # contract table -> its batch files, by batch name
    warnings: list[str]
    ignored_columns: dict[str, tuple[str, ...]]  # batch name -> extra columns not in the contract


def file_format(path: Path) -> str | None:
    """ "csv" or "parquet" by the file's suffix, in any case; None for anything else."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def table_stem(path: Path) -> str:
    """The file's name without its batch suffix: the table it belongs to (when in the contract)."""
    name = path.name
    for suffix in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_header(
    path: Path, fmt: str, settings: SourceSettings = DEFAULT_SETTINGS
) -> tuple[str, ...]:
    """Column names of a batch file: the CSV header line, or the parquet schema, renamed by
    the settings' column mapping to the contract's names."""
    return tuple(settings.contract_name(c) for c in _file_header(path, fmt, settings))


def _file_header(path: Path, fmt: str, settings: SourceSettings) -> tuple[str, ...]:
    if fmt == "parquet":
        return tuple(pq.read_schema(path).names)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        # A bounded read, not readline(): a file with bare-CR line ends has no b"\n" at all.
        head = raw.read(_HEADER_READ_BYTES)
    # the names are matched exactly: decode them as the file is (rules in encoding.py)
    encoding = settings.encoding or _header_encoding(path, head)
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip():
        return ()
    # newline="" lets the csv module end the header at \n, \r\n or a bare \r
    header = next(csv.reader(io.StringIO(text, newline=""), delimiter=settings.delimiter), [])
    if not header:  # rows follow a blank first line: reading on would lose them unseen
        raise ContractError(
            f"{path}: the first line is blank; the header must be on line 1",
            hint="remove the blank line(s) before the header",
        )
    return _name_unnamed_columns(header)


def _name_unnamed_columns(header: list[str]) -> tuple[str, ...]:
    """A column with a blank name gets one by its position, `(unnamed column 15)`.

    Spreadsheet exports end every line with the empty cells of formatted but unused columns
    (`...,updated_at,,`): named by position they are extra columns, landed without and warned
    about like any other, instead of a name '' that appears twice and stops the landing."""
    return tuple(
        name if name.strip() else f"(unnamed column {position})"
        for position, name in enumerate(header, start=1)
    )


def _header_encoding(path: Path, head: bytes) -> str:
    """The encoding to read a header in when the settings declare none (encoding.py's rules,
    on the first line only: landing detects the whole file's before it reads the rows)."""
    if head.startswith(UTF16_BOMS):
        return UTF16
    first_line = head.split(b"\n", 1)[0].split(b"\r", 1)[0]
    if looks_like_utf16(first_line):
        raise ContractError(
            f"{path}: the file looks like UTF-16 without a byte-order mark",
            hint=f"declare `encoding: utf-16-le` (Windows) or `utf-16-be` for its table in "
            f"{SETTINGS_FILE}, or re-export it as UTF-8 CSV",
        )
    try:
        first_line.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def is_temporary_name(name: str) -> bool:
    """A name writers use while a file is being copied (`.x.csv`, `x.csv.tmp`, `x.part`)."""
    lower = name.lower()
    return lower.startswith(TEMP_PREFIXES) or lower.endswith(TEMP_SUFFIXES)


def _candidate_files(raw_dir: Path, table: str) -> list[Path]:
    """Batch files of a table, temporary names left out; suffixes matched in any case."""
    found = [
        entry
        for entry in raw_dir.iterdir()
        if entry.is_file()
        and not is_temporary_name(entry.name)
        and file_format(entry)
        and table_stem(entry) == table
    ]
    folder = raw_dir / table
    if folder.is_dir():
        found += [
            f
            for f in folder.rglob("*")
            if f.is_file()
            and file_format(f)
            and not any(is_temporary_name(part) for part in f.relative_to(folder).parts)
        ]
    return found


def settle_seconds() -> float:
    """How long a file must stay unchanged to count as complete: CX360_SETTLE_SECONDS."""
    return float(setting("CX360_SETTLE_SECONDS"))


def incomplete_reason(path: Path, fmt: str) -> str | None:
    """Why a batch file's bytes are not a whole file, or None."""
    size = path.stat().st_size
    if size == 0:
        return None  # an empty file is a delivery of no rows (warned about by discover)
    if fmt == "parquet":
        with path.open("rb") as handle:
            handle.seek(max(0, size - 4))
            return None if handle.read(4) == b"PAR1" else "no parquet footer (cut short?)"
    if path.name.lower().endswith(".gz"):
        start, tail, size = b"", b"", 0
        try:
            with gzip.open(path, "rb") as handle:
                while chunk := handle.read(_HASH_CHUNK):
                    start = start or chunk[:3]
                    tail = (tail + chunk)[-2:]
                    size += len(chunk)
        except (EOFError, zlib.error) as err:  # cut short; not gzip at all fails the header read
            return f"not a whole gzip stream ({err})"
        except OSError:
            return None
    else:
        with path.open("rb") as handle:
            start = handle.read(3)
            handle.seek(max(0, size - 2))
            tail = handle.read(2)
    if (start[:2] in UTF16_BOMS and size == 2) or (start == b"\xef\xbb\xbf" and size == 3):
        return None  # a BOM and nothing else: an empty file
    if size and not ends_a_line(start, tail, size):
        return "does not end in a newline (cut mid-line?)"
    return None


@dataclass(frozen=True)
class CompleteFile:
    table: str
    path: Path
    batch_name: str
    fmt: str
    sha256: str


@dataclass(frozen=True)
class _Seen:
    size: int
    mtime_ns: int


def _seen(path: Path) -> _Seen:
    st = path.stat()
    return _Seen(st.st_size, st.st_mtime_ns)


def complete_batch_files(
    raw_dir: Path, tables: list[str] | tuple[str, ...] | dict[str, Table]
) -> tuple[list[CompleteFile], list[str]]:
    """The complete batch files of `tables` in `raw_dir` (rule in the module docstring) with
    their sha256, and one warning per file left out as incomplete."""
    raw_dir = Path(raw_dir)
    paths = [(name, path) for name in tables for path in _candidate_files(raw_dir, name)]
    warnings: list[str] = []
    before = {path: _seen(path) for _, path in paths}
    with ThreadPoolExecutor(max_workers=4) as pool:  # hashlib releases the GIL on large reads
        digests = dict(zip(before, pool.map(sha256_of, before), strict=True))

    window_ns = int(settle_seconds() * 1e9)
    young = [p for p, seen in before.items() if time.time_ns() - seen.mtime_ns < window_ns]
    if young:
        newest = max(before[p].mtime_ns for p in young)
        time.sleep(max(0.0, (newest + window_ns - time.time_ns()) / 1e9))
    changed = {
        p for p in young if not p.is_file() or _seen(p) != before[p] or sha256_of(p) != digests[p]
    }

    files: list[CompleteFile] = []
    for name, path in paths:
        batch_name = path.relative_to(raw_dir).as_posix()
        fmt = file_format(path)
        assert fmt is not None
        marker = path.parent / SUCCESS_MARKER
        reason: str | None
        if path in changed:
            reason = "still being written (it changed while being read)"
        elif marker.is_file() and before[path].mtime_ns > marker.stat().st_mtime_ns:
            reason = f"newer than its folder's {SUCCESS_MARKER} marker (waits for the next one)"
        else:
            reason = incomplete_reason(path, fmt)
        if reason:
            warnings.append(f"skipped {batch_name}: incomplete, {reason}; landed once complete")
            continue
        files.append(CompleteFile(name, path, batch_name, fmt, digests[path]))
    return files, warnings


def batch_fingerprint(
    raw_dir: Path, tables: list[str] | tuple[str, ...] | dict[str, Table]
) -> str | None:
    """sha256 over the names and content hashes of the complete batch files (None when there
    is none): changes when a batch is added, removed or its content changes, also at the same
    size and mtime, and when the source settings file changes (landing reads the batches of a
    table whose settings changed again)."""
    files, _ = complete_batch_files(raw_dir, tables)
    if not files:
        return None
    lines = sorted(f"{f.batch_name}:{f.sha256}" for f in files)
    settings_file = Path(raw_dir) / SETTINGS_FILE
    if settings_file.is_file():
        lines.append(f"{SETTINGS_FILE}:{sha256_of(settings_file)}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# At least one of these must be delivered (raw_contract.yml, header).
REVENUE_SOURCES = ("billing_orders", "billing_invoices")


def discover(
    raw_dir: Path,
    contract: dict[str, Table],
    settings: dict[str, SourceSettings] | None = None,
) -> Discovery:
    """List, hash and check every batch file; raise ContractError before anything is written.

    Errors: the raw folder is missing, a required table has neither file nor folder, or a
    file lacks a contract column. Warnings: unknown files/folders and extra columns.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ContractError(
            f"raw folder {raw_dir} does not exist",
            hint="pass the folder holding <table>.csv|parquet files or <table>/ folders",
        )
    warnings: list[str] = []
    missing = [
        name
        for name, table in contract.items()
        if not table.optional
        and not _candidate_files(raw_dir, name)
        and not (raw_dir / name).is_dir()
    ]
    # the one "either or" of the contract: revenue comes from orders, invoices or both
    if not any(_candidate_files(raw_dir, t) or (raw_dir / t).is_dir() for t in REVENUE_SOURCES):
        missing.append(" or ".join(REVENUE_SOURCES))
    if missing:
        from cx360.landing.inspect import did_you_mean  # advice only, not a matching rule

        near = did_you_mean(raw_dir, missing)
        raise ContractError(
            f"raw folder {raw_dir} lacks required table(s): {', '.join(missing)}"
            + "".join(f"; {entry}: did you mean {table}?" for table, entry in near.items()),
            hint="each required contract table needs <table>.csv, <table>.parquet or a <table>/ "
            "folder of batch files (see cx360/contract/raw_contract.yml)",
        )
    for entry in sorted(raw_dir.iterdir()):
        if is_temporary_name(entry.name) or entry.name in (SUCCESS_MARKER, SETTINGS_FILE):
            continue
        if table_stem(entry) not in contract:
            from cx360.landing.inspect import suggest_table  # advice only, not a matching rule

            near = suggest_table(entry.name, contract)
            advice = f": did you mean {near}? (rename it to land it)" if near else ""
            warnings.append(f"ignored {entry.name}: not a contract table{advice}")
        elif entry.is_dir():
            for path in sorted(entry.rglob("*")):
                if (
                    path.is_file()
                    and not is_temporary_name(path.name)
                    and path.name != SUCCESS_MARKER
                    and not file_format(path)
                ):
                    name = path.relative_to(raw_dir).as_posix()
                    warnings.append(f"ignored {name}: neither .csv, .csv.gz nor .parquet")
        elif not file_format(entry):
            warnings.append(f"ignored {entry.name}: neither .csv, .csv.gz nor .parquet")

    complete, skipped = complete_batch_files(raw_dir, contract)
    warnings += skipped

    batches: dict[str, list[BatchFile]] = {name: [] for name in contract}
    ignored: dict[str, tuple[str, ...]] = {}
    for found in complete:
        name, path, batch_name, fmt, digest = (
            found.table,
            found.path,
            found.batch_name,
            found.fmt,
            found.sha256,
        )
        size = path.stat().st_size
        try:
            table_settings = (settings or {}).get(name, DEFAULT_SETTINGS)
            header = read_header(path, fmt, table_settings) if size else ()
        except (OSError, EOFError, csv.Error, pa.ArrowException) as err:  # truncated gzip...
            raise ContractError(
                f"{batch_name}: cannot read the header of this {fmt} file: {err}",
                hint="re-deliver the file, or move it out of the raw folder",
            ) from err
        batch = BatchFile(name, batch_name, path.resolve(), fmt, size, digest, header)
        extras = _check_columns(batch, contract[name])
        if extras:
            ignored[batch_name] = extras
        batches[name].append(batch)
    for name in batches:
        batches[name].sort(key=lambda b: b.batch_name)
    warnings += _file_warnings(batches, ignored)
    return Discovery(batches=batches, warnings=warnings, ignored_columns=ignored)


def _file_warnings(
    batches: dict[str, list[BatchFile]], ignored: dict[str, tuple[str, ...]]
) -> list[str]:
    """Extra columns and empty files, one line per table and kind (daily folders repeat them)."""
    warnings: list[str] = []
    for files in batches.values():
        by_extras: dict[tuple[str, ...], list[str]] = {}
        for batch in files:
            if batch.batch_name in ignored:
                by_extras.setdefault(ignored[batch.batch_name], []).append(batch.batch_name)
        for extras, names in by_extras.items():
            warnings.append(
                f"{_files_phrase(names)}: ignored column(s) not in the contract: "
                f"{', '.join(extras)}"
            )
        empty = [b.batch_name for b in files if b.is_empty]
        if empty:
            warnings.append(f"{_files_phrase(empty)}: empty file, landed as 0 rows")
    return warnings


def _files_phrase(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{len(names)} files ({names[0]} ... {names[-1]})"


def _check_columns(batch: BatchFile, table: Table) -> tuple[str, ...]:
    """Raise when a contract column is missing; return the extra (ignored) columns."""
    if batch.is_empty:
        return ()
    present = set(batch.header)
    duplicated = sorted({c for c in batch.header if batch.header.count(c) > 1})
    if duplicated:
        raise ContractError(
            f"{batch.batch_name}: column(s) {', '.join(duplicated)} appear more than once",
            hint="give each column one header entry",
        )
    # optional columns may be left out (they land as NULL); required ones may not
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if missing:
        raise ContractError(
            f"{batch.batch_name} (table {table.name}) lacks required column(s): "
            f"{', '.join(missing)}",
            hint=f"file {batch.path} needs every required column of table {table.name} in its "
            "header (comma-separated; names are case-sensitive); optional ones may be left out",
        )
    return tuple(c for c in batch.header if c not in set(table.column_names))


def delivery_warnings(
    batches: dict[str, list[BatchFile]], held: dict[tuple[str, str], str]
) -> list[str]:
    """What the raw folder says about batches the warehouse already holds (docs/operations.md,
    "Deleted and renamed batches"):

    - a held batch no longer in the raw folder keeps its rows (the raw folder is an inbox, not
      a mirror; a row is withdrawn by a corrected batch under the same name, or erasure);
    - a new batch with the same content as a held one under another name is a rename: it
      lands again under its new name;
    - a new batch whose name sorts before the table's last held batch arrives out of time
      order: where two versions of a record have the same updated_at, the later batch name
      wins, so its rows count as older than those of batches already landed.
    """
    warnings: list[str] = []
    for table, files in batches.items():
        held_names = {name: sha for (t, name), sha in held.items() if t == table}
        present = {b.batch_name for b in files}
        gone = sorted(set(held_names) - present)
        if gone:
            warnings.append(
                f"{_files_phrase(gone)}: landed earlier, no longer in the raw folder; their rows "
                "stay (a corrected batch under the same name replaces them)"
            )
        by_content = {sha: name for name, sha in held_names.items()}
        last_held = max(held_names, default=None)
        for batch in files:
            if batch.batch_name in held_names:
                continue
            renamed_from = by_content.get(batch.sha256)
            if renamed_from is not None and renamed_from != batch.batch_name:
                warnings.append(
                    f"{batch.batch_name}: same content as the landed {renamed_from} (renamed?); "
                    "landed again under the new name"
                )
            if last_held is not None and batch.batch_name < last_held:
                warnings.append(
                    f"{batch.batch_name}: out of time order, sorts before the landed "
                    f"{last_held}; where versions tie on updated_at its rows count as older"
                )
    return warnings
