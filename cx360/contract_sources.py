"""What dbt reads of the raw contract, generated from it: the sources and the staging columns.

`models/staging/<source>/_<source>__sources.yml` describe the raw tables dbt reads, and
`macros/contract_tables.sql` gives each raw table's key and columns with the rule staging reads
them by (cx360.contract.Column.staging_rule), which the staging models select through
macros/staging.sql instead of listing columns. Both are written from
cx360/contract/raw_contract.yml (its `sources` block says which source system holds which
tables) and checked in, so dbt docs, the lineage and unit tests see them; nobody edits them:

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

from cx360.contract import CONTRACT_PATH, IDENTITIES, Column, Table, load_contract

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGING_DIR = PROJECT_ROOT / "models" / "staging"
CONTRACT_TABLES_MACRO = PROJECT_ROOT / "macros" / "contract_tables.sql"

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
    files[CONTRACT_TABLES_MACRO] = contract_tables_macro(tables, spec["sources"])
    missing = sorted(set(tables) - set(placed))
    doubled = sorted({name for name in placed if placed.count(name) > 1})
    if missing or doubled:
        raise ValueError(
            f"contract sources: tables in no source {missing}, in more than one {doubled}"
        )
    return files


def contract_tables_macro(tables: dict[str, Table], sources: dict[str, dict]) -> str:
    """macros/contract_tables.sql: the contract as dbt macros, plain Jinja literals (not read
    from the dbt graph, so they work at parse time and in unit tests):

    - cx360_contract_table(name): a raw table's key, its columns as [name, contract type,
      staging rule] (cx360.contract.Column.staging_rule) and the column that orders its
      versions (updated_at, or none); read by macros/staging.sql;
    - cx360_raw_sources(): every table as [source, table], in contract order; the models that
      loop over all raw tables (audit.row_reconciliation) read it;
    - cx360_erasure_columns(): per table holding an identity, its `identifies` columns by kind,
      `contact_of` and its `personal` columns; read by macros/erasure.sql.
    """
    source_of = {name: source for source, body in sources.items() for name in body["tables"]}
    lines = [
        "{#- Generated from cx360/contract/raw_contract.yml by `python -m cx360.contract_sources",
        "    --write`: edit the contract, not this file (cx360/contract_sources.py says what",
        "    each macro holds and who reads it). -#}",
        "{% macro cx360_contract_table(name) -%}",
        "    {%- set tables = {",
    ]
    for table in tables.values():
        ordered_by = "'updated_at'" if table.has_updated_at else "none"
        lines += [
            f"        '{table.name}': {{",
            f"            'key': [{', '.join(repr(k) for k in table.key)}],",
            f"            'ordered_by': {ordered_by},",
            "            'columns': [",
            *(
                f"                ['{c.name}', '{c.type}', '{c.staging_rule}'],"
                for c in table.columns
            ),
            "            ],",
            "        },",
        ]
    lines += [
        "    } -%}",
        "    {%- if name not in tables -%}",
        "        {{ exceptions.raise_compiler_error(",
        "            'cx360_contract_table: the raw contract has no table ' ~ name) }}",
        "    {%- endif -%}",
        "    {{ return(tables[name]) }}",
        "{%- endmacro %}",
        "",
        "",
        "{% macro cx360_raw_sources() -%}",
        "    {{ return([",
        *(f"        ['{source_of[name]}', '{name}']," for name in tables),
        "    ]) }}",
        "{%- endmacro %}",
        "",
        "",
        "{% macro cx360_erasure_columns() -%}",
        "    {{ return({",
    ]
    for table in tables.values():
        found = {
            kind: [c.name for c in table.columns if c.identifies == kind] for kind in IDENTITIES
        }
        if not any(found.values()):
            continue
        parts = [f"'{kind}': {names!r}" for kind, names in found.items()]
        if table.contact_of is not None:
            parts.append(f"'contact_of': {list(table.contact_of)!r}")
        parts.append(f"'personal': {[c.name for c in table.columns if c.personal]!r}")
        lines.append(f"        '{table.name}': {{{', '.join(parts)}}},")
    lines += ["    }) }}", "{%- endmacro %}"]
    return "\n".join(lines) + "\n"


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
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        return 0
    stale = stale_files()
    for path in stale:
        print(f"out of date: {path} (run python -m cx360.contract_sources --write)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
