"""`cx360 inspect --raw-dir DIR`: read a raw folder before anything is landed, guess how its
files are written (encoding, delimiter, date order, decimal comma), and print the
cx360_sources.yml that would land them, with the problems found.

Nothing is written. The guesses read the first lines of each CSV file (SAMPLE_LINES); parquet
files carry their own types and are only checked for column names. The "did you mean" for a
misnamed file or column is here, apart from landing's discovery rules (discovery.py), which
decide what is landed; this module only advises.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from cx360.contract import Table, load_contract
from cx360.errors import ContractError
from cx360.landing.discovery import SUCCESS_MARKER, file_format, is_temporary_name, table_stem
from cx360.landing.encoding import detect_encoding, is_utf8
from cx360.landing.guess import (
    CONTRACT_NUMBERS,
    guess_date_format,
    number_formats,
    read_number,
)
from cx360.landing.settings import SETTINGS_FILE, load_source_settings

SAMPLE_LINES = 2000
DELIMITERS = ",;\t|"


def suggest_table(name: str, contract: Iterable[str]) -> str | None:
    """The contract table a misnamed file or folder most likely means (crm_customer.csv,
    CRM_Customers.CSV, crm-customers/), or None."""
    key = table_stem(Path(name)).lower().replace("-", "_").replace(" ", "_")
    tables = list(contract)
    if key in tables:
        return key
    plural = [t for t in tables if t in (key + "s", key + "es") or key in (t + "s",)]
    if plural:
        return plural[0]
    close = difflib.get_close_matches(key, tables, n=1, cutoff=0.8)
    return close[0] if close else None


def did_you_mean(raw_dir: Path, missing: Iterable[str]) -> dict[str, str]:
    """Missing table -> the entry of `raw_dir` that looks like it."""
    entries = [e.name for e in Path(raw_dir).iterdir() if not e.name.startswith(".")]
    out: dict[str, str] = {}
    for table in missing:
        for entry in entries:
            if suggest_table(entry, [table]) == table:
                out[table] = entry
                break
    return out


def guess_delimiter(text: str) -> str:
    """The delimiter that splits the header and the first lines into the same field count."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_fields = ",", 1
    for delimiter in DELIMITERS:
        counts = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        if len(counts) == 1 and (fields := counts.pop()) > best_fields:
            best, best_fields = delimiter, fields
    return best


@dataclass
class TableInspection:
    table: str
    files: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # the folder will not land as it is
    notes: list[str] = field(default_factory=list)  # handled by the settings shown, or harmless
    seen: dict[str, dict[str, str]] = field(default_factory=dict)  # what -> value -> first file
    mixed: set[str] = field(default_factory=set)


@dataclass
class Inspection:
    raw_dir: Path
    tables: dict[str, TableInspection] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def settings_yaml(self) -> str:
        tables = {n: t.settings for n, t in self.tables.items() if t.settings}
        if not tables:
            return "# nothing to declare: every file reads with the contract's defaults\n"
        return yaml.safe_dump({"tables": tables}, sort_keys=False, allow_unicode=True)

    def all_problems(self) -> list[str]:
        """What stops the folder landing whole, even with the settings shown: fix these."""
        return self.problems + [p for t in self.tables.values() for p in t.problems]

    def all_notes(self) -> list[str]:
        """What the settings shown take care of, or what lands as NULL by the contract."""
        return self.notes + [n for t in self.tables.values() for n in t.notes]


def _read_sample(path: Path, encoding: str) -> str:
    """The first SAMPLE_LINES lines as text (lines split after decoding: a UTF-16 line end is
    two bytes; newline="" keeps the line ends for the csv module)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as handle:
        text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        lines = [text.readline() for _ in range(SAMPLE_LINES)]
    return "".join(lines).lstrip("\ufeff")


def _inspect_csv(path: Path, table: Table, found: TableInspection, batch: str) -> None:
    encoding = detect_encoding(path)
    _agree(found, "encodings", encoding, batch)
    if not is_utf8(encoding) and "encodings" not in found.mixed:
        found.settings["encoding"] = encoding
    text = _read_sample(path, encoding)
    if not text.strip():
        return
    delimiter = guess_delimiter(text)
    _agree(found, "delimiters", delimiter, batch)
    if delimiter != ",":
        found.settings["delimiter"] = delimiter
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    header, body = rows[0], rows[1:]
    mapping = _column_mapping(header, table, found, batch)
    if mapping:
        found.settings.setdefault("columns", {}).update(mapping)
    for index, name in enumerate(header):
        contract_name = mapping.get(name, name)
        if contract_name not in table.column_names:
            continue
        kind = table.column(contract_name).type
        values = [r[index].strip() for r in body if index < len(r) and r[index].strip()]
        if not values:
            continue
        if kind in ("date", "timestamp") and not all(_is_iso(v) for v in values):
            guessed = guess_date_format(values)
            setting = "date_format" if kind == "date" else "timestamp_format"
            if guessed:
                found.settings[setting] = guessed[0]
                found.notes.append(
                    f"{batch}: {name} dates look like {guessed[1]}, e.g. {values[0]!r}: "
                    f"{setting} set to {guessed[0]!r}"
                )
            else:
                found.problems.append(
                    f"{batch}: {name} holds values that are not ISO-8601 {kind}s and share no "
                    f"format, e.g. {values[:3]}: fix them or set {setting}"
                )
        if kind in ("decimal", "numeric"):
            formats = number_formats(values)
            if len(formats) == 1:
                found.settings.update(formats[0].settings())
                found.notes.append(
                    f"{batch}: {name} numbers are written like {_first_unlike_contract(values)!r}: "
                    f"{formats[0].describe()}"
                )
            elif formats:
                readings = " or ".join(f.describe() for f in formats)
                found.problems.append(
                    f"{batch}: {name} numbers such as {_first_unlike_contract(values)!r} read "
                    f"differently with {readings}: set the one your export uses"
                )


def _first_unlike_contract(values: list[str]) -> str:
    """An example value the contract's plain notation does not read."""
    return next((v for v in values if read_number(v, CONTRACT_NUMBERS) is None), values[0])


def _agree(found: TableInspection, what: str, value: str, batch: str) -> None:
    """Note a table whose files disagree (one settings entry covers all of a table's files)."""
    seen = found.seen.setdefault(what, {})
    seen.setdefault(value, batch)
    if len(seen) == 2 and what not in found.mixed:
        found.mixed.add(what)
        examples = ", ".join(f"{v!r} in {b}" for v, b in seen.items())
        kept = found.notes if what == "encodings" else found.problems
        kept.append(
            f"{found.table}: files with different {what} ({examples})"
            + (
                ": landing detects each file's encoding, leave `encoding:` out"
                if what == "encodings"
                else ": one table reads with one delimiter; re-export the odd files"
            )
        )
        if what == "encodings":
            found.settings.pop("encoding", None)


def _is_iso(value: str) -> bool:
    return len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit()


def _column_mapping(
    header: list[str], table: Table, found: TableInspection, batch: str
) -> dict[str, str]:
    """File column -> contract column for contract columns the header lacks, by closeness."""
    present = set(header)
    missing = [c for c in table.column_names if c not in present]
    extras = [c for c in header if c not in table.column_names]
    mapping: dict[str, str] = {}
    for column in missing:
        normalised = {e.lower().replace(" ", "_").replace("-", "_"): e for e in extras}
        close = difflib.get_close_matches(column, list(normalised), n=1, cutoff=0.75)
        if close and normalised[close[0]] not in mapping:
            mapping[normalised[close[0]]] = column
        else:
            required = table.column(column).required
            (found.problems if required else found.notes).append(
                f"{batch}: no column for {table.name}.{column}"
                + (" (required)" if required else " (optional: lands as NULL)")
                + f"; if the file names it otherwise, map it under columns: "
                f"{{<your name>: {column}}}"
            )
    return mapping


def inspect_raw_dir(raw_dir: Path) -> Inspection:
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise ContractError(f"raw folder {raw_dir} does not exist", hint="pass the raw folder")
    contract = load_contract()
    result = Inspection(raw_dir)
    if (raw_dir / SETTINGS_FILE).is_file():
        load_source_settings(raw_dir, contract)  # a broken settings file is the first problem
        result.notes.append(
            f"{SETTINGS_FILE} exists: the guesses below ignore it (compare them with it)"
        )
    for entry in sorted(raw_dir.iterdir()):
        # what landing leaves aside (discovery.py): temporary names, markers, the settings
        if is_temporary_name(entry.name) or entry.name in (SETTINGS_FILE, SUCCESS_MARKER):
            continue
        stem = table_stem(entry)
        if stem not in contract:
            suggestion = suggest_table(entry.name, contract)
            hint = f": did you mean {suggestion}?" if suggestion else ""
            result.problems.append(f"{entry.name} is not a contract table{hint}")
            continue
        files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
        found = result.tables.setdefault(stem, TableInspection(stem))
        for path in files:
            batch = path.relative_to(raw_dir).as_posix()
            inside = path.relative_to(entry).parts if entry.is_dir() else ()
            if path.name == SUCCESS_MARKER or any(is_temporary_name(p) for p in inside):
                continue
            file_fmt = file_format(path)
            if file_fmt is None:
                result.problems.append(f"{batch}: neither .csv, .csv.gz nor .parquet")
                continue
            found.files.append(batch)
            if file_fmt == "parquet":
                _column_mapping(list(pq.read_schema(path).names), contract[stem], found, batch)
            elif path.stat().st_size:
                _inspect_csv(path, contract[stem], found, batch)
    missing = [n for n, t in contract.items() if not t.optional and n not in result.tables]
    for table in missing:
        result.problems.append(f"required table {table} has no file or folder")
    return result


def render(result: Inspection) -> str:
    problems, notes = result.all_problems(), result.all_notes()
    lines = [
        f"# {SETTINGS_FILE} for {result.raw_dir} (guessed by cx360 inspect; save it in that "
        "folder after checking it)",
        result.settings_yaml().rstrip(),
        "",
        f"{len(problems)} problem(s) to fix before landing" + (":" if problems else ""),
    ]
    lines += [f"  - {p}" for p in problems]
    if notes:
        lines += [f"{len(notes)} note(s), taken care of by the settings above or by the contract:"]
        lines += [f"  - {n}" for n in notes]
    return "\n".join(lines)
