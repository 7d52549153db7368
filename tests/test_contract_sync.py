"""The raw landing contract is described once and copied in three places; keep them in sync.

cx360/contract/raw_contract.yml is the living contract (the spec in ../shared/spec is the
contract as first given; the project's copy has moved on: optional tables and columns, the order
status rule). Against it:
- the dbt sources (models/staging/*/_*__sources.yml, schema raw) must describe exactly the
  contract's tables and columns, plus the landing lineage columns, with descriptions, and carry
  each column's vocabulary and range in meta (`values`, `range`): the copy dbt's staging tests
  read (accepted_contract_values), never written by hand elsewhere;
- var erasure_identities in dbt_project.yml (what macros/erasure.sql matches on) must be the
  contract's `identifies` / `contact_of`;
- seeds/quarantine_reason_codes.csv must list the reason codes and stages of
  docs/architecture.md;
- macros/raw_sources.sql (the table list audit.row_reconciliation loops over) must list every
  contract table under the source that declares it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from cx360.contract import load_contract

REPO_DIR = Path(__file__).resolve().parent.parent
STAGING_DIR = REPO_DIR / "models" / "staging"
RAW_SOURCES_MACRO = REPO_DIR / "macros" / "raw_sources.sql"
REASON_CODES_SEED = REPO_DIR / "seeds" / "quarantine_reason_codes.csv"
ARCHITECTURE_DOC = REPO_DIR / "docs" / "architecture.md"
LINEAGE_COLUMNS = ("_batch_name", "_source_row", "_loaded_at")


def _raw_source_tables() -> dict[str, tuple[str, dict]]:
    """Every table of a schema-raw dbt source: table name -> (source name, table yaml)."""
    tables: dict[str, tuple[str, dict]] = {}
    for path in sorted(STAGING_DIR.glob("*/_*__sources.yml")):
        for source in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]:
            assert source.get("schema") == "raw", f"{path}: source {source['name']} not in raw"
            for table in source["tables"]:
                assert table["name"] not in tables, f"{table['name']} declared twice"
                tables[table["name"]] = (source["name"], table)
    return tables


def test_sources_declare_exactly_the_contract_tables() -> None:
    assert sorted(_raw_source_tables()) == sorted(load_contract())


@pytest.mark.parametrize("table_name", list(load_contract()))
def test_source_columns_match_the_contract(table_name: str) -> None:
    contract_table = load_contract()[table_name]
    source_name, table = _raw_source_tables()[table_name]
    columns = table["columns"]
    declared = [column["name"] for column in columns]
    assert declared == [*contract_table.column_names, *LINEAGE_COLUMNS], (
        f"source {source_name}.{table_name}: columns differ from the contract (+ lineage)"
    )
    assert table.get("description"), f"source {source_name}.{table_name} has no description"
    if contract_table.description:
        assert contract_table.description in table["description"]
    for column in columns:
        assert column.get("description"), f"{table_name}.{column['name']} has no description"
    for column in columns[: len(contract_table.columns)]:
        contract_column = contract_table.column(column["name"])
        assert column["meta"]["contract_type"] == contract_column.type, column["name"]
        assert column["meta"]["required"] == contract_column.required, column["name"]
        # the copies dbt reads (accepted_contract_values, dbt docs): equal to the contract's
        assert tuple(column["meta"].get("values", ())) == contract_column.values, column["name"]
        declared_range = column["meta"].get("range")
        assert (tuple(declared_range) if declared_range else None) == contract_column.range, column[
            "name"
        ]
        if contract_column.description:
            assert contract_column.description.rstrip(".") in column["description"], (
                f"{table_name}.{column['name']}: contract description missing from the source"
            )


def test_reconciliation_table_list_covers_the_contract() -> None:
    pairs = re.findall(r"\['(\w+)', '(\w+)'\]", RAW_SOURCES_MACRO.read_text(encoding="utf-8"))
    declared = {name: source for name, (source, _) in _raw_source_tables().items()}
    assert {table: source for source, table in pairs} == declared
    assert len(pairs) == len(declared), "a table is listed twice in macros/raw_sources.sql"


def test_reason_code_seed_matches_the_architecture_doc() -> None:
    with REASON_CODES_SEED.open(encoding="utf-8", newline="") as seed:
        seeded = {row["reason_code"]: row["stage"] for row in csv.DictReader(seed)}
    documented = dict(
        re.findall(
            r"^\| `(\w+)` \| (landing|dbt) \|",
            ARCHITECTURE_DOC.read_text(encoding="utf-8"),
            flags=re.MULTILINE,
        )
    )
    assert documented, f"no reason code table found in {ARCHITECTURE_DOC}"
    assert seeded == documented


def test_staging_vocabulary_tests_point_at_the_contract() -> None:
    """Every staging vocabulary test names a contract column that has a vocabulary, and no
    staging test restates a contract vocabulary as a literal list."""
    contract = load_contract()
    vocabularies = {c.values for t in contract.values() for c in t.columns if c.values}
    pointed = 0
    for path in sorted(STAGING_DIR.glob("*/_*__models.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    if not isinstance(test, dict):
                        continue
                    if "accepted_contract_values" in test:
                        table, name = test["accepted_contract_values"]["arguments"][
                            "contract_column"
                        ].split(".")
                        assert contract[table].column(name).values, (path, column["name"])
                        pointed += 1
                    if "accepted_values" in test:
                        listed = tuple(test["accepted_values"]["arguments"]["values"])
                        assert listed not in vocabularies, (
                            f"{path}: {model['name']}.{column['name']} copies a contract "
                            "vocabulary: use accepted_contract_values"
                        )
    assert pointed >= 15


def test_erasure_identities_are_the_contract_s() -> None:
    declared = yaml.safe_load((REPO_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"][
        "erasure_identities"
    ]
    expected = {}
    for table in load_contract().values():
        found = {
            kind: [c.name for c in table.columns if c.identifies == kind]
            for kind in ("customer", "email", "phone")
        }
        if any(found.values()):
            if table.contact_of is not None:
                found["contact_of"] = list(table.contact_of)
            expected[table.name] = found
    assert declared == expected
