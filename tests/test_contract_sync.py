"""The raw landing contract is written once; what dbt reads of it is generated or checked here.

cx360/contract/raw_contract.yml is the living contract (the spec in ../shared/spec is the
contract as first given; the project's copy has moved on: optional tables and columns, the order
status rule, rules on values as data). From it:
- the dbt sources (models/staging/*/_*__sources.yml) and macros/contract_tables.sql (keys,
  columns and staging rules, the table list, the erasure identities) are generated
  (cx360.contract_sources): the files must be what the contract gives;
- every staging model reads its raw table through cx360_staged_columns and
  cx360_current_versions (macros/staging.sql), never a column list of its own, and no staging
  test restates a vocabulary;
- seeds/quarantine_reason_codes.csv must list the reason codes and stages of
  docs/architecture.md.
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
CONTRACT_TABLES_MACRO = REPO_DIR / "macros" / "contract_tables.sql"
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


def test_generated_table_list_covers_the_contract_under_its_sources() -> None:
    text = CONTRACT_TABLES_MACRO.read_text(encoding="utf-8")
    listed = text[text.index("cx360_raw_sources") : text.index("cx360_erasure_columns")]
    pairs = re.findall(r"\['(\w+)', '(\w+)'\]", listed)
    declared = {name: source for name, (source, _) in _raw_source_tables().items()}
    assert [table for _, table in pairs] == list(load_contract())
    assert {table: source for source, table in pairs} == declared


def test_a_new_contract_column_reaches_the_staging_macro(tmp_path: Path) -> None:
    """A column added to the contract is in the generated staging columns, read by its rule."""
    changed = tmp_path / "raw_contract.yml"
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    anchor = "      marketing_consent:"
    changed.write_text(
        text.replace(anchor, '      loyalty_card: {type: string, description: "Card."}\n' + anchor)
    )
    generated = source_files(changed)[CONTRACT_TABLES_MACRO]
    assert "['loyalty_card', 'string', 'text']," in generated
    assert CONTRACT_TABLES_MACRO in stale_files(changed)


def test_staging_rules_follow_the_contract() -> None:
    customers = load_contract()["crm_customers"]
    rules = {name: customers.column(name).staging_rule for name in customers.column_names}
    assert rules["customer_id"] == "text"  # an id: trimmed, case kept
    assert rules["email"] == "email" and rules["phone"] == "phone"
    assert rules["country"] == "iso_code"
    assert rules["segment"] == "code"  # a vocabulary
    assert rules["birth_date"] == "cast" and rules["marketing_consent"] == "cast"
    assert load_contract()["interactions"].column("outcome").staging_rule == "code"


def test_staging_models_read_raw_tables_through_the_contract() -> None:
    """No staging model restates the contract's columns or keys: each raw table is staged by
    one model, which selects through cx360_staged_columns and keeps versions by
    cx360_current_versions (models that only look a raw table up, such as the erased
    identities, select no column list either)."""
    staged: dict[str, list[str]] = {}
    for path in sorted(STAGING_DIR.glob("*/stg_*.sql")):
        text = path.read_text(encoding="utf-8")
        assert "deduplicate_latest(" not in text, f"{path}: use cx360_current_versions"
        for table in re.findall(r"cx360_staged_columns\('(\w+)'", text):
            staged.setdefault(table, []).append(path.name)
            assert f"cx360_current_versions('renamed', '{table}')" in text, path
    assert {t: len(models) for t, models in staged.items()} == dict.fromkeys(load_contract(), 1)


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
