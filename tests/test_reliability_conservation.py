"""Row conservation on a generated dataset at dirty rate 5 %: for every contract table, every
record of the raw files is accounted for exactly once (audit.row_conservation):

    records in the files = quarantined at landing + current + superseded + erased
                           + quarantined by a dbt rule

The file side is counted here with Python's csv module, independently of landing and dbt.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from _rel_support import DIRTY_RATE, PublishedRun

from cx360.contract import load_contract

pytestmark = pytest.mark.slow  # one shared pipeline run (tests/_rel_support.py)

RECONCILIATION_MACRO = Path(__file__).parent.parent / "macros" / "reconciliation.sql"


@pytest.fixture(scope="module")
def run(rel_run: PublishedRun) -> PublishedRun:
    """The shared published run (tests/conftest.py)."""
    assert DIRTY_RATE == 0.05
    return rel_run


def _records_in_files(raw_dir: Path) -> dict[str, int]:
    """Records per contract table in the raw folder (CSV records, header excluded)."""
    counts: dict[str, int] = {}
    for table in load_contract():
        files = [raw_dir / f"{table}.csv", *sorted((raw_dir / table).glob("*.csv"))]
        total = 0
        for path in (f for f in files if f.is_file()):
            with path.open(newline="", encoding="utf-8", errors="replace") as handle:
                total += max(sum(1 for _ in csv.reader(handle)) - 1, 0)
        counts[table] = total
    return counts


def test_the_conservation_model_covers_every_contract_table() -> None:
    listed = re.findall(r"\['\w+', '(\w+)', 'stg_\w+'\]", RECONCILIATION_MACRO.read_text())
    assert sorted(listed) == sorted(load_contract())


def test_every_raw_record_is_accounted_for_once(run: PublishedRun) -> None:
    with run.published() as con:
        rows = con.execute(
            """select table_name, sum(rows_read), sum(rows_quarantined_at_landing),
                sum(rows_landed), sum(rows_current), sum(rows_superseded), sum(rows_erased),
                sum(rows_quarantined_in_dbt), bool_and(is_balanced)
            from audit.row_conservation group by 1"""
        ).fetchall()
    per_table = {r[0]: r[1:] for r in rows}
    in_files = _records_in_files(run.raw_dir)
    for table, records in in_files.items():
        if records == 0:
            continue
        read, at_landing, landed, current, superseded, erased, in_dbt, balanced = per_table[table]
        assert read == records, f"{table}: landing read {read} of {records} records"
        assert balanced, table
        assert read == at_landing + current + superseded + erased + in_dbt, table
        assert landed == current + superseded + erased + in_dbt, table
    # the dirty data exercised every category somewhere; the erased customers' rows stay in
    # staging, anonymised, as current rows (var erasure_policy anonymise, macros/erasure.sql)
    totals = [sum(v[i] for v in per_table.values()) for i in range(1, 7)]
    at_landing, _, _, superseded, erased, in_dbt = totals
    assert at_landing > 0 and superseded > 0 and in_dbt > 0
    assert erased == 0
