"""PII discipline: personal data is tagged in the dbt yml (`config: {meta: {pii: true}}`) and
never reaches the published `marts` schema; e-mail is there only as the SHA-256 of the
normalised address.

Three angles, so that a rename cannot sneak a column through: the manifest (no mart declares a
tagged column), the published file (no mart holds a column of a tagged name) and the values
(no mart text cell holds a raw e-mail, phone or full name of the generated dataset).
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from _rel_support import PublishedRun, columns, published_tables

from cx360.contract import load_contract

pytestmark = pytest.mark.slow  # one shared pipeline run (tests/_rel_support.py)

EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


@pytest.fixture(scope="module")
def run(rel_run: PublishedRun) -> PublishedRun:
    """The shared published run (tests/conftest.py)."""
    return rel_run


@pytest.fixture(scope="module")
def manifest(run: PublishedRun) -> dict:
    return json.loads(run.manifest.read_text(encoding="utf-8"))


def _is_pii(column: dict) -> bool:
    meta = {**column.get("meta", {}), **column.get("config", {}).get("meta", {})}
    return bool(meta.get("pii"))


def _tagged(manifest: dict) -> dict[str, set[str]]:
    """model/source name -> its pii-tagged columns."""
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    tagged = {n["name"]: {c for c, spec in n["columns"].items() if _is_pii(spec)} for n in nodes}
    return {name: cols for name, cols in tagged.items() if cols}


def _required_pii(manifest: dict) -> dict[str, set[str]]:
    """Staging model -> the columns it keeps of its raw table that the contract marks
    `personal: true` (cx360/contract/raw_contract.yml, docs/reliability.md)."""
    contract = load_contract()
    required: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or not node["name"].startswith("stg_"):
            continue
        for parent in node["depends_on"]["nodes"]:
            source = manifest["sources"].get(parent)
            if source is None or source["schema"] != "raw" or source["name"] not in contract:
                continue
            personal = {c.name for c in contract[source["name"]].columns if c.personal}
            kept = personal & set(node["columns"])
            if kept:
                required.setdefault(node["name"], set()).update(kept)
    return required


def test_personal_columns_are_tagged(manifest: dict) -> None:
    tagged = _tagged(manifest)
    required = _required_pii(manifest)
    # the contract's personal columns of crm_customers reach their staging model, tagged
    assert required["stg_crm__customers"] >= {"email", "phone", "first_name", "birth_date"}
    for model, expected in required.items():
        assert expected <= tagged.get(model, set()), f"{model}: untagged {expected - tagged[model]}"


def test_no_mart_declares_a_tagged_column(manifest: dict) -> None:
    pii_names = set().union(*_tagged(manifest).values())
    marts = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("schema") == "marts"
    ]
    assert len(marts) >= 5, "no mart models found in the manifest"
    for node in marts:
        leaked = set(node["columns"]) & pii_names
        assert not leaked, f"{node['name']} declares personal column(s) {leaked}"
        assert not any(_is_pii(c) for c in node["columns"].values()), node["name"]


def test_no_published_mart_has_a_personal_column(run: PublishedRun, manifest: dict) -> None:
    pii_names = set().union(*_tagged(manifest).values())
    with run.published() as con:
        tables = published_tables(con, "marts")
        assert any(t.endswith('"customer_360"') for t in tables)
        for table in tables:
            names = set(columns(con, table))
            assert not names & pii_names, f"{table} holds personal column(s) {names & pii_names}"
            emails = {n for n in names if "email" in n or "phone" in n}
            assert emails <= {"email_sha256"}, f"{table}: {emails}"


def _raw_personal_values(run: PublishedRun) -> tuple[set[str], set[str], set[str]]:
    """E-mails (normalised), phones (as sent and digits only) and full names of the raw data."""
    with run.build() as con:
        emails = {
            r[0]
            for sql in (
                "select lower(trim(email)) from raw.crm_customers",
                "select lower(trim(respondent_email)) from raw.survey_responses",
                "select lower(trim(requester_email)) from raw.support_tickets",
                "select lower(trim(contact_email)) from raw.interactions",
                "select lower(trim(referred_email)) from raw.crm_referrals",
            )
            for r in con.execute(sql).fetchall()
            if r[0]
        }
        phones = {
            p
            for sql in (
                "select phone from raw.crm_customers",
                "select requester_phone from raw.support_tickets",
                "select contact_phone from raw.interactions",
            )
            for (raw,) in con.execute(sql).fetchall()
            if raw
            for p in (raw.strip(), re.sub(r"\D", "", raw))
            if len(re.sub(r"\D", "", p)) >= 6
        }
        names = {
            f"{first} {last}".lower()
            for first, last in con.execute(
                "select trim(first_name), trim(last_name) from raw.crm_customers"
            ).fetchall()
            if first and last
        }
    return emails, phones, names


def test_no_raw_personal_value_reaches_a_mart(run: PublishedRun) -> None:
    emails, phones, names = _raw_personal_values(run)
    assert emails and phones and names, "the dataset has no personal data to look for"
    with run.published() as con:
        for table in published_tables(con, "marts"):
            for column, kind in columns(con, table).items():
                if kind != "VARCHAR":
                    continue
                distinct = con.execute(f'select distinct "{column}" from {table}').fetchall()
                values = {v for (v,) in distinct}
                values.discard(None)
                where = f"{table}.{column}"
                assert not {v for v in values if EMAIL_LIKE.search(v)}, f"e-mail in {where}"
                assert not values & phones, f"phone number in {where}"
                assert not {v.lower() for v in values} & names, f"a customer's name in {where}"
                assert not {v.lower().strip() for v in values} & emails, f"e-mail in {where}"


def test_email_is_published_only_as_sha256_of_the_normalised_address(run: PublishedRun) -> None:
    with run.build() as con:
        # normalised independently of the dbt macro: trimmed, lower-case, latest version
        addresses = dict(
            con.execute(
                "select customer_id, arg_max(lower(trim(email)), (updated_at, _batch_name, "
                "_source_row)) from raw.crm_customers group by 1"
            ).fetchall()
        )
    with run.published() as con:
        published = dict(
            con.execute("select customer_id, email_sha256 from marts.customer_360").fetchall()
        )
    assert published, "customer_360 is empty"
    checked = 0
    for customer_id, digest in published.items():
        address = addresses.get(customer_id)
        if not address:
            assert digest is None, f"{customer_id} has no e-mail but a hash"
            continue
        assert digest == hashlib.sha256(address.encode("utf-8")).hexdigest(), customer_id
        checked += 1
    assert checked > len(published) / 2
