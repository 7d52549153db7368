"""The raw landing contract is written once; what dbt reads of it is generated or checked here.

cx360/contract/raw_contract.yml is the living contract (the spec in ../shared/spec is the
contract as first given; the project's copy has moved on: optional tables and columns, the order
status rule, rules on values as data). From it:
- the dbt sources (models/staging/*/_*__sources.yml) are generated (cx360.contract_sources),
  vocabularies and ranges in their columns' meta, which staging's accepted_contract_values
  tests read: the files must be what the contract gives, and no staging test may restate a
  vocabulary;
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

import yaml

from cx360.contract import CONTRACT_PATH, load_contract
from cx360.contract_sources import source_files, stale_files

REPO_DIR = Path(__file__).resolve().parent.parent
STAGING_DIR = REPO_DIR / "models" / "staging"
RAW_SOURCES_MACRO = REPO_DIR / "macros" / "raw_sources.sql"
REASON_CODES_SEED = REPO_DIR / "seeds" / "quarantine_reason_codes.csv"
ARCHITECTURE_DOC = REPO_DIR / "docs" / "architecture.md"


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


def test_dbt_sources_are_generated_from_the_contract() -> None:
    """The checked-in sources files are exactly what the contract gives (python -m
    cx360.contract_sources --write after a contract change)."""
    assert stale_files() == []
    assert sorted(_raw_source_tables()) == sorted(load_contract())


def test_a_contract_change_makes_the_sources_stale(tmp_path: Path) -> None:
    changed = tmp_path / "raw_contract.yml"
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    changed.write_text(text.replace("values: [consumer, business]", "values: [consumer, pro]"))
    stale = stale_files(changed)
    assert stale == [STAGING_DIR / "crm" / "_crm__sources.yml"]
    assert "values: [consumer, pro]" in source_files(changed)[stale[0]]


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
