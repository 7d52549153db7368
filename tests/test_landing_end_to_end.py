"""Issue 2 "Must show", end to end on generated data (DuckDB target):

- a raw folder with a corrupt CSV line, a wrong-typed value, an out-of-range score, an unknown
  column and a re-sent batch goes through `cx360 run` (land, dbt, validate, publish): the run
  succeeds, each bad row is in `audit.quarantine` with its reason (the out-of-range score is a
  dbt rule, the others are landing rules), and every record read is accounted for;
- landing day 1 then day 2 gives the same raw *and staging* tables as landing both at once
  (test_landing.py proves it for raw on hand-made files; staging deduplicates across batches,
  so the order batches arrive in must not change it either).
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from cx360.dbt_runner import dbt_build
from cx360.generate import generate
from cx360.landing import land
from cx360.pipeline import run_pipeline
from cx360.warehouse import Warehouse

pytestmark = pytest.mark.slow  # dbt builds: a few minutes on 2 cores

CUSTOMERS = 150
# Columns that record when a row was loaded: they differ between two landings by design.
LOAD_TIME_COLUMNS = ("_loaded_at", "landed_at", "quarantined_at", "recorded_at")


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _last_batch(raw: Path, table: str, *, min_rows: int = 1) -> Path:
    """The latest daily batch of `table` holding at least `min_rows` records."""
    for path in sorted((raw / table).glob("*.csv"), reverse=True):
        if len(_read_csv(path)[1]) >= min_rows:
            return path
    raise AssertionError(f"no {table} batch with {min_rows} rows")


def _snapshot(db: Path, schemas: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Every table and view of `schemas`, rows sorted, load-time columns left out."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {schemas!r} order by all"
        ).fetchall()
        out = {}
        for schema, name in relations:
            kept = [c for c in con.table(f"{schema}.{name}").columns if c not in LOAD_TIME_COLUMNS]
            cols = ", ".join(f'"{c}"' for c in kept)
            out[f"{schema}.{name}"] = con.execute(
                f"select {cols} from {schema}.{name} order by all"
            ).fetchall()
        return out
    finally:
        con.close()


class Defects:
    """Writes the defects of the Must show into a clean generated folder, remembering where."""

    def __init__(self, raw: Path) -> None:
        # survey_responses, last batch: a wrong-typed score, an out-of-range score and an
        # unknown column ("sentiment"), all in one file
        self.survey_batch = _last_batch(raw, "survey_responses", min_rows=2)
        header, rows = _read_csv(self.survey_batch)
        rows[0]["score"] = "ten"  # invalid_type at landing: score is optional, the field NULL
        rows[1]["score"] = "42"  # parses, but no survey scale reaches 42: dbt quarantines it
        self.out_of_range_key = (rows[1]["response_id"], rows[1]["question_id"])
        for row in rows:
            row["sentiment"] = "neutral"
        _write_csv(self.survey_batch, [*header, "sentiment"], rows)

        # support_tickets, last batch: one line with two fields too many at the end
        self.ticket_batch = _last_batch(raw, "support_tickets")
        header, rows = _read_csv(self.ticket_batch)
        self.corrupt_row = len(rows) + 1
        corrupt = ",".join(rows[0][c] for c in header) + ",surplus,fields"
        with self.ticket_batch.open("a", encoding="utf-8") as handle:
            handle.write(corrupt.replace("ticket_id", "t") + "\n")

        # billing_invoices: the source system re-sends a day's batch under a new file name
        original = _last_batch(raw, "billing_invoices")
        self.resent_batch = original.with_name(f"{original.stem}-resent.csv")
        shutil.copyfile(original, self.resent_batch)

    def batch_name(self, path: Path) -> str:
        return f"{path.parent.name}/{path.name}"


def _run(raw: Path, warehouse: Warehouse) -> tuple[int, str]:
    out = io.StringIO()
    status = run_pipeline(raw, warehouse, progress=False, console=Console(file=out, width=200))
    return status, out.getvalue()


def test_bad_rows_reach_audit_quarantine_and_the_run_publishes(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(CUSTOMERS, 3, raw, "csv", 12, 0.0, "daily", progress=False)
    defects = Defects(raw)
    warehouse = Warehouse(tmp_path / "wh")

    status, output = _run(raw, warehouse)

    assert status == 0, output
    assert "sentiment" in output  # the unknown column is named in a warning
    survey_batch = defects.batch_name(defects.survey_batch)
    ticket_batch = defects.batch_name(defects.ticket_batch)
    with duckdb.connect(str(warehouse.published_db), read_only=True) as con:
        quarantined = con.execute(
            "select table_name, batch_name, source_row, reason_code, column_name "
            "from audit.quarantine order by all"
        ).fetchall()
        out_of_range_key = con.execute(
            "select record_key from audit.quarantine where reason_code = 'score_out_of_range'"
        ).fetchall()
        nulled_fields = con.execute(
            "select table_name, batch_name, source_row, reason_code, column_name, raw_value "
            "from audit.landing_field_issues order by all"
        ).fetchall()
        conservation = con.execute(
            "select table_name, sum(rows_read), sum(rows_quarantined_at_landing), "
            "sum(rows_quarantined_in_dbt), bool_and(is_balanced) "
            "from audit.row_conservation group by 1"
        ).fetchall()
    # clean data plus three defects: two quarantined rows, each with its reason, and the
    # wrong-typed optional score landed NULL, recorded with its raw value (the answer is kept)
    assert quarantined == sorted(
        [
            ("support_tickets", ticket_batch, defects.corrupt_row, "unparseable_line", None),
            ("survey_responses", survey_batch, 2, "score_out_of_range", "score"),
        ]
    )
    assert nulled_fields == [
        ("survey_responses", survey_batch, 1, "invalid_type", "score", "ten"),
    ]
    assert all(part in out_of_range_key[0][0] for part in defects.out_of_range_key)
    per_table = {row[0]: row[1:] for row in conservation}
    assert all(balanced for *_, balanced in per_table.values()), per_table
    assert per_table["survey_responses"][1:3] == (0, 1)
    assert per_table["support_tickets"][1:3] == (1, 0)

    with duckdb.connect(str(warehouse.landing_db), read_only=True) as con:
        unbalanced = con.execute(
            "select batch_name from audit.landed_batches "
            "where rows_read != rows_accepted + rows_quarantined"
        ).fetchall()
        ignored = con.execute(
            "select ignored_columns from audit.landed_batches where batch_name = ?",
            [survey_batch],
        ).fetchall()
        raw_invoices, distinct_invoices = con.execute(
            "select count(*), count(distinct invoice_id) from raw.billing_invoices"
        ).fetchone()
        staged_invoices = con.execute(
            "select count(*) from staging.stg_billing__invoices"
        ).fetchone()[0]
    assert unbalanced == []
    assert ignored == [("sentiment",)]
    assert raw_invoices > distinct_invoices  # the re-sent batch landed as its own batch ...
    assert staged_invoices == distinct_invoices  # ... and staging keeps one row per invoice

    # the same folder again: every batch is skipped, the run still succeeds
    status, output = _run(raw, warehouse)
    assert status == 0, output


def test_day_by_day_equals_all_at_once_in_raw_and_staging(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    # dirty data: updated and re-sent rows across days are what staging deduplicates
    generate(CUSTOMERS, 4, generated, "csv", 6, 0.05, "daily", progress=False)
    days = sorted({p.stem for p in generated.glob("*/*.csv")})
    midpoint = days[len(days) // 2]

    def deliver(target: Path, *, before: str | None) -> None:
        """Copy the batches dated before `before` (all of them when None) into `target`."""
        for path in generated.rglob("*.csv"):
            is_batch = path.parent != generated
            if is_batch and before is not None and path.stem >= before:
                continue
            destination = target / path.relative_to(generated)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)

    def build_staging(warehouse: Warehouse) -> None:
        result = dbt_build(
            warehouse,
            extra_args=["--select", "+staging", "--indirect-selection", "cautious"],
            echo=lambda _: None,
        )
        assert result.success, [n.unique_id for n in result.failed_nodes]

    incremental = Warehouse(tmp_path / "wh_incremental")
    raw = tmp_path / "raw_incremental"
    deliver(raw, before=midpoint)
    land(raw, incremental, progress=False)
    build_staging(incremental)
    deliver(raw, before=None)  # day 2 arrives in the same folder
    land(raw, incremental, progress=False)
    build_staging(incremental)

    at_once = Warehouse(tmp_path / "wh_at_once")
    land(generated, at_once, progress=False)
    build_staging(at_once)

    schemas = ("raw", "audit", "staging")
    incremental_tables = _snapshot(incremental.build_db, schemas)
    at_once_tables = _snapshot(at_once.build_db, schemas)
    assert any(name.startswith("staging.") for name in at_once_tables)
    assert incremental_tables.keys() == at_once_tables.keys()
    for name, rows in at_once_tables.items():
        assert incremental_tables[name] == rows, name
