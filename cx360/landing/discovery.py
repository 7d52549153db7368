"""Find the batch files of a raw folder and check them against the contract, before any write.

A table arrives as `<table>.csv|.csv.gz|.parquet` and/or a folder `<table>/` of such files.
Each file is one batch, named by its path relative to the raw folder (e.g.
`support_tickets/2026-01-03.parquet`); batches order lexically by that name.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cx360.contract import Table
from cx360.errors import ContractError

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet",)
_HASH_CHUNK = 8 * 1024 * 1024
_HEADER_READ_BYTES = 64 * 1024  # a header line longer than this is cut (then fails the check)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


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


def _file_format(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


def _table_stem(path: Path) -> str:
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


def read_header(path: Path, fmt: str) -> tuple[str, ...]:
    """Column names of a batch file: the CSV header line, or the parquet schema."""
    if fmt == "parquet":
        return tuple(pq.read_schema(path).names)
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as raw:
        # A bounded read, not readline(): a file with bare-CR line ends has no b"\n" at all.
        head = raw.read(_HEADER_READ_BYTES)
    if head.startswith(_UTF16_BOMS) or b"\x00" in head.split(b"\n", 1)[0]:
        raise ContractError(
            f"{path}: the file is not UTF-8 (it looks like UTF-16)",
            hint="re-export it as UTF-8 CSV (the contract's encoding)",
        )
    text = head.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return ()
    # newline="" lets the csv module end the header at \n, \r\n or a bare \r
    header = next(csv.reader(io.StringIO(text, newline="")), [])
    if not header:  # rows follow a blank first line: reading on would lose them unseen
        raise ContractError(
            f"{path}: the first line is blank; the header must be on line 1",
            hint="remove the blank line(s) before the header",
        )
    return tuple(header)


def _candidate_files(raw_dir: Path, table: str) -> list[Path]:
    files = [raw_dir / f"{table}{suffix}" for suffix in (*CSV_SUFFIXES, *PARQUET_SUFFIXES)]
    found = [f for f in files if f.is_file()]
    folder = raw_dir / table
    if folder.is_dir():
        found += [f for f in folder.rglob("*") if f.is_file() and _file_format(f)]
    return found


# At least one of these must be delivered (raw_contract.yml, header).
REVENUE_SOURCES = ("billing_orders", "billing_invoices")


def discover(raw_dir: Path, contract: dict[str, Table]) -> Discovery:
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
        raise ContractError(
            f"raw folder {raw_dir} lacks required table(s): {', '.join(missing)}",
            hint="each required contract table needs <table>.csv, <table>.parquet or a <table>/ "
            "folder of batch files (see cx360/contract/raw_contract.yml)",
        )
    for entry in sorted(raw_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        if _table_stem(entry) not in contract:
            warnings.append(f"ignored {entry.name}: not a contract table")
        elif entry.is_dir():
            for path in sorted(entry.rglob("*")):
                if path.is_file() and not path.name.startswith(".") and not _file_format(path):
                    name = path.relative_to(raw_dir).as_posix()
                    warnings.append(f"ignored {name}: neither .csv, .csv.gz nor .parquet")
        elif not _file_format(entry):
            warnings.append(f"ignored {entry.name}: neither .csv, .csv.gz nor .parquet")

    paths = [(name, path) for name in contract for path in _candidate_files(raw_dir, name)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # hashlib releases the GIL on large reads
        digests = list(pool.map(lambda item: sha256_of(item[1]), paths))

    batches: dict[str, list[BatchFile]] = {name: [] for name in contract}
    ignored: dict[str, tuple[str, ...]] = {}
    for (name, path), digest in zip(paths, digests, strict=True):
        fmt = _file_format(path)
        assert fmt is not None
        batch_name = path.relative_to(raw_dir).as_posix()
        size = path.stat().st_size
        try:
            header = read_header(path, fmt) if size else ()
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
