"""Source settings: how a user's files differ from the contract's CSV defaults, per table.

They live in a small YAML file beside the data, `<raw_dir>/cx360_sources.yml` (`cx360 inspect
--raw-dir DIR` prints one guessed from the files):

    defaults:                      # every table, unless the table says otherwise
      encoding: cp1252
    tables:
      crm_customers:
        delimiter: ";"
        encoding: cp1252           # any Python codec name; absent: detected per file
        date_format: "%d/%m/%Y"    # strptime codes, or excel_serial (45477 = 2024-07-04);
                                   # absent: ISO-8601 YYYY-MM-DD
        timestamp_format: "%d/%m/%Y %H:%M"
        decimal_separator: ","
        thousands_separator: "."   # digit grouping (1.234,56); absent: none
        time_zone: Europe/Paris    # for timestamps without an offset; default UTC
        columns:                   # your column name -> the contract's
          Kundennummer: customer_id

Without the file every table reads as the contract says (comma, ISO dates, UTC), except the
encoding, which is detected per file (cx360/landing/encoding.py).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cx360.contract import Table
from cx360.errors import ContractError

SETTINGS_FILE = "cx360_sources.yml"
# digit grouping as written around the world: 1,234.56 / 1.234,56 / 1 234,56 (a space, or the
# no-break spaces French exports use) / 1'234.56 (Switzerland)
THOUSANDS_SEPARATORS = (",", ".", " ", "'", "\u00a0", "\u202f")
_KEYS = (
    "delimiter",
    "encoding",
    "date_format",
    "timestamp_format",
    "decimal_separator",
    "thousands_separator",
    "time_zone",
    "columns",
)


@dataclass(frozen=True)
class SourceSettings:
    delimiter: str = ","
    encoding: str | None = None  # None: detected per file
    date_format: str | None = None  # None: ISO-8601
    timestamp_format: str | None = None  # None: ISO-8601, with or without offset
    decimal_separator: str = "."
    thousands_separator: str | None = None  # None: digits are not grouped
    time_zone: str = "UTC"
    columns: dict[str, str] = field(default_factory=dict)  # file column -> contract column

    def contract_name(self, file_column: str) -> str:
        return self.columns.get(file_column, file_column)

    def fingerprint(self) -> str:
        """sha256 of the settings that differ from the defaults: a batch read with other
        settings is landed again (audit.landed_batches.settings_sha256). Defaults are left out,
        so a setting added to cx360 later changes no existing fingerprint."""
        declared = {k: v for k, v in asdict(self).items() if v != _DEFAULT_VALUES[k]}
        return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()


DEFAULT_SETTINGS = SourceSettings()
_DEFAULT_VALUES = asdict(DEFAULT_SETTINGS)


def _problem(path: Path, where: str, message: str) -> ContractError:
    return ContractError(
        f"{path}: {where}: {message}",
        hint=f"fix {SETTINGS_FILE} (its format is described in cx360/landing/settings.py and "
        "README.md, 'Your own data'); `cx360 inspect --raw-dir <folder>` prints one to start from",
    )


def _parse(path: Path, where: str, body: Any, table: Table | None) -> dict[str, Any]:
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise _problem(path, where, "expected a mapping of settings")
    unknown = sorted(set(body) - set(_KEYS))
    if unknown:
        raise _problem(path, where, f"unknown setting(s) {unknown}; known: {', '.join(_KEYS)}")
    out = dict(body)
    delimiter = out.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise _problem(path, where, f"delimiter must be one character, not {delimiter!r}")
    if out.get("decimal_separator") not in (None, ".", ","):
        raise _problem(path, where, "decimal_separator must be '.' or ','")
    if out.get("thousands_separator") not in (None, *THOUSANDS_SEPARATORS):
        raise _problem(
            path, where, f"thousands_separator must be one of {list(THOUSANDS_SEPARATORS)}"
        )
    encoding = out.get("encoding")
    if encoding is not None:
        try:
            out["encoding"] = codecs.lookup(str(encoding)).name
        except LookupError:
            raise _problem(path, where, f"unknown encoding {encoding!r}") from None
    for key in ("date_format", "timestamp_format", "time_zone"):
        if key in out and not isinstance(out[key], str):
            raise _problem(path, where, f"{key} must be text, e.g. '%d/%m/%Y'")
    mapping = out.get("columns")
    if mapping is not None:
        if not isinstance(mapping, dict):
            raise _problem(path, where, "columns must map your column names to the contract's")
        out["columns"] = {str(k): str(v) for k, v in mapping.items()}
        if table is not None:
            wrong = sorted(set(out["columns"].values()) - set(table.column_names))
            if wrong:
                raise _problem(
                    path,
                    where,
                    f"columns maps to {wrong}, not columns of {table.name} "
                    f"({', '.join(table.column_names)})",
                )
    return out


def load_source_settings(raw_dir: Path, contract: dict[str, Table]) -> dict[str, SourceSettings]:
    """Settings per contract table: the file's defaults, then its per-table entries."""
    path = Path(raw_dir) / SETTINGS_FILE
    if not path.is_file():
        return {name: DEFAULT_SETTINGS for name in contract}
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise _problem(path, "not readable as YAML", str(err)) from err
    if not isinstance(spec, dict) or set(spec) - {"defaults", "tables"}:
        raise _problem(path, "top level", "expected only `defaults:` and `tables:`")
    defaults = _parse(path, "defaults", spec.get("defaults"), None)
    if "columns" in defaults:
        raise _problem(path, "defaults", "columns are mapped per table, under tables:")
    tables = spec.get("tables") or {}
    if not isinstance(tables, dict):
        raise _problem(path, "tables", "expected a mapping of table name to settings")
    unknown = sorted(set(tables) - set(contract))
    if unknown:
        raise _problem(path, "tables", f"{unknown} are not contract tables")
    merged = {
        name: SourceSettings(
            **{**defaults, **_parse(path, f"tables.{name}", tables.get(name), table)}
        )
        for name, table in contract.items()
    }
    for name, settings in merged.items():
        if settings.thousands_separator == settings.decimal_separator:
            raise _problem(
                path, f"tables.{name}", "thousands_separator and decimal_separator are the same"
            )
    return merged
