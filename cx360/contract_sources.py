"""The dbt sources of the raw schema, generated from the raw contract.

`models/staging/<source>/_<source>__sources.yml` describe the raw tables dbt reads. They are
written from cx360/contract/raw_contract.yml (its `sources` block says which source system
holds which tables) and checked in, so dbt docs and the lineage show them; nobody edits them:

    python -m cx360.contract_sources --write    # after changing the contract
    python -m cx360.contract_sources --check    # exit 1 when a file is not what the contract gives

tests/test_contract_sync.py runs the check. What dbt reads from them: the columns and their
descriptions, not_null on required columns, and in each column's `meta` the contract type,
`required`, the vocabulary (`values`, which staging's accepted_contract_values tests read) and
the range.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from cx360.contract import CONTRACT_PATH, Column, Table, load_contract

STAGING_DIR = Path(__file__).resolve().parent.parent / "models" / "staging"

# Columns landing adds to every raw table (cx360/landing), after the contract's.
LINEAGE_COLUMNS = (
    (
        "_batch_name",
        "Landing lineage: batch file relative to the raw folder, e.g. "
        "support_tickets/2026-01-03.parquet.",
    ),
    ("_source_row", "Landing lineage: 1-based record number within the batch file."),
    ("_loaded_at", "Landing lineage: when landing wrote the row."),
)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a YAML double-quoted scalar


def _column_meta(column: Column) -> str:
    parts = [f"contract_type: {column.type}", f"required: {str(column.required).lower()}"]
    if column.values:
        parts.append(f"values: [{', '.join(column.values)}]")
    if column.range is not None:
        low, high = ("null" if bound is None else str(bound) for bound in column.range)
        parts.append(f"range: [{low}, {high}]")
    return "{" + ", ".join(parts) + "}"


def _table_lines(table: Table) -> list[str]:
    lines = [
        f"      - name: {table.name}",
        f"        description: {_quoted(table.description)}",
        "        meta:",
        f"          contract_key: [{', '.join(table.key)}]",
        f"          contract_optional: {str(table.optional).lower()}",
        "        columns:",
    ]
    for column in table.columns:
        lines += [
            f"          - name: {column.name}",
            f"            description: {_quoted(column.description)}",
            f"            meta: {_column_meta(column)}",
        ]
        if column.required:
            lines += ["            data_tests:", "              - not_null"]
    for name, description in LINEAGE_COLUMNS:
        lines += [f"          - name: {name}", f"            description: {_quoted(description)}"]
    return lines


def source_files(contract_path: Path = CONTRACT_PATH) -> dict[Path, str]:
    """Every sources file the contract gives: path -> text."""
    spec = yaml.safe_load(Path(contract_path).read_text(encoding="utf-8"))
    tables = load_contract(contract_path)
    files: dict[Path, str] = {}
    placed: list[str] = []
    for source, body in spec["sources"].items():
        lines = [
            "# Generated from cx360/contract/raw_contract.yml by `python -m cx360.contract_sources",
            "# --write`: edit the contract, not this file.",
            "version: 2",
            "",
            "sources:",
            f"  - name: {source}",
            f"    description: {_quoted(body['description'])}",
            "    schema: raw",
            "    tables:",
        ]
        for name in body["tables"]:
            lines += _table_lines(tables[name])
            placed.append(name)
        files[STAGING_DIR / source / f"_{source}__sources.yml"] = "\n".join(lines) + "\n"
    missing = sorted(set(tables) - set(placed))
    doubled = sorted({name for name in placed if placed.count(name) > 1})
    if missing or doubled:
        raise ValueError(
            f"contract sources: tables in no source {missing}, in more than one {doubled}"
        )
    return files


def stale_files(contract_path: Path = CONTRACT_PATH) -> list[Path]:
    """The sources files that differ from what the contract gives (or do not exist)."""
    return [
        path
        for path, text in source_files(contract_path).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cx360.contract_sources", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write the sources files")
    action.add_argument("--check", action="store_true", help="exit 1 if one is out of date")
    args = parser.parse_args(argv)
    if args.write:
        for path, text in source_files().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(STAGING_DIR.parent.parent)}")
        return 0
    stale = stale_files()
    for path in stale:
        print(f"out of date: {path} (run python -m cx360.contract_sources --write)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
