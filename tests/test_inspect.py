"""`cx360 inspect`: guesses a raw folder's settings before anything lands, and the settings it
prints land the folder without loss; misnamed files get a "did you mean"."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from cx360.cli import main as cli_main
from cx360.contract import load_contract
from cx360.errors import ContractError
from cx360.landing import land
from cx360.landing.inspect import inspect_raw_dir, render, suggest_table
from cx360.landing.settings import SETTINGS_FILE
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import valid_rows, write_valid_raw  # noqa: E402

CONTRACT = load_contract()
CUSTOMERS = CONTRACT["crm_customers"]


def _european_customers(path: Path) -> None:
    """Windows-1252, semicolons, DD/MM/YYYY dates, day-first timestamps, a renamed column."""
    rows = valid_rows(CUSTOMERS, range(1, 21))
    header = ["Customer ID" if c == "customer_id" else c for c in CUSTOMERS.column_names]
    lines = [";".join(header)]
    for i, row in enumerate(rows, start=1):
        row["last_name"] = "Müller"
        row["birth_date"] = f"{i:02d}/03/1980"
        row["created_at"] = f"{i:02d}/01/2026 10:00"
        row["updated_at"] = f"{i:02d}/01/2026 11:00"
        lines.append(";".join(row[c] for c in CUSTOMERS.column_names))
    path.write_bytes(("\n".join(lines) + "\n").encode("cp1252"))


def _inspect(raw: Path, capsys: pytest.CaptureFixture) -> tuple[dict, str]:
    """`cx360 inspect` on a folder that lands with the settings it prints: (those, its output)."""
    assert cli_main(["inspect", "--raw-dir", str(raw)]) == 0
    output = capsys.readouterr().out
    return yaml.safe_load(output.split("\n\n")[0]), output


def test_inspect_guesses_settings_that_land_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    _european_customers(raw / "crm_customers.csv")

    guessed, output = _inspect(raw, capsys)
    assert guessed == {
        "tables": {
            "crm_customers": {
                "encoding": "cp1252",
                "delimiter": ";",
                "columns": {"Customer ID": "customer_id"},
                "date_format": "%d/%m/%Y",
                "timestamp_format": "%d/%m/%Y %H:%M",
            }
        }
    }
    assert "birth_date dates look like DD/MM/YYYY" in output
    assert "0 problem(s) to fix before landing" in output  # the settings shown take care of it
    warehouse = Warehouse(tmp_path / "wh")
    assert not warehouse.root.exists()  # inspect wrote nothing

    (raw / SETTINGS_FILE).write_text(output.split("\n\n")[0], encoding="utf-8")
    report = land(raw, warehouse, progress=False)
    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (20, 20, 0)
    assert customers.fields_nulled == {}


def test_inspect_reads_an_excel_unicode_text_export(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Excel's "Save as Unicode Text": UTF-16 with a byte-order mark, tab-separated, CRLF."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    rows = valid_rows(CUSTOMERS, range(1, 21))
    lines = ["\t".join(CUSTOMERS.column_names)]
    for row in rows:
        row["last_name"] = "Łukasiewicz"
        lines.append("\t".join(row[c] for c in CUSTOMERS.column_names))
    (raw / "crm_customers.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-16"))

    guessed, output = _inspect(raw, capsys)
    assert guessed == {"tables": {"crm_customers": {"encoding": "utf-16", "delimiter": "\t"}}}
    assert "0 problem(s) to fix before landing" in output

    (raw / SETTINGS_FILE).write_text(output.split("\n\n")[0], encoding="utf-8")
    report = land(raw, Warehouse(tmp_path / "wh"), progress=False)
    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (20, 20, 0)


def test_inspect_reads_a_us_export_with_a_12_hour_clock_and_a_total_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """MM/DD/YYYY dates, `11/20/2025 07:58 PM` timestamps and a `Total:` line at the end, as
    US CRM reports come: inspect guesses both formats, landing reads every timestamp right and
    quarantines the total line with its text."""
    from datetime import datetime

    raw = tmp_path / "raw"
    write_valid_raw(raw)
    rows = valid_rows(CUSTOMERS, range(1, 21))
    lines = [",".join(CUSTOMERS.column_names)]
    for i, row in enumerate(rows, start=1):
        row["birth_date"] = f"3/{i}/1980"
        row["created_at"] = f"11/{i}/2025 {i % 12 or 12:02d}:05 {'AM' if i <= 12 else 'PM'}"
        row["updated_at"] = row["created_at"]
        lines.append(",".join(row[c] for c in CUSTOMERS.column_names))
    lines.append("Total: 20 customers")
    (raw / "crm_customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    guessed, output = _inspect(raw, capsys)
    assert guessed == {
        "tables": {
            "crm_customers": {
                "date_format": "%m/%d/%Y",
                "timestamp_format": "%m/%d/%Y %I:%M %p",
            }
        }
    }

    (raw / SETTINGS_FILE).write_text(output.split("\n\n")[0], encoding="utf-8")
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)
    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (21, 20, 1)
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        created = con.execute(
            "select created_at from raw.crm_customers order by _source_row"
        ).fetchall()
        quarantined = con.execute(
            "select reason_code, raw_record from audit.landing_quarantine"
            " where table_name = 'crm_customers'"
        ).fetchall()
    finally:
        con.close()
    # day i at hour i, on a 12-hour clock, except 12:05 AM (day 12), which is 00:05
    assert [c for (c,) in created] == [
        datetime(2025, 11, i, 0 if i == 12 else i, 5) for i in range(1, 21)
    ]
    ((code, record),) = quarantined
    assert code == "unparseable_line" and "Total: 20 customers" in record


@pytest.mark.parametrize(
    ("date_format", "timestamp_format", "write_date", "write_timestamp"),
    [
        # SAP-style extracts
        ("%Y%m%d", "%Y%m%d%H%M%S", "{:%Y%m%d}".format, "{:%Y%m%d%H%M%S}".format),
        # a spreadsheet's day numbers: days since 1899-12-30, the time as a fraction
        (
            "excel_serial",
            "excel_serial",
            lambda d: str((d - date(1899, 12, 30)).days),
            lambda t: f"{(t - datetime(1899, 12, 30)).total_seconds() / 86400:.10f}",
        ),
    ],
)
def test_inspect_reads_compact_and_spreadsheet_dates(
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
    date_format: str,
    timestamp_format: str,
    write_date: Callable[[date], str],
    write_timestamp: Callable[[datetime], str],
) -> None:
    """Dates as SAP extracts and spreadsheets write them: inspect guesses the format and the
    folder lands every date and timestamp as written in ISO."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    rows = valid_rows(CUSTOMERS, range(1, 21))
    lines = [",".join(CUSTOMERS.column_names)]
    expected = []
    for i, row in enumerate(rows, start=1):
        born, created = date(1950 + i, i % 12 + 1, i), datetime(2025, 11, i, i, 2 * i, 2 * i)
        expected.append((born, created))
        row["birth_date"], row["created_at"] = write_date(born), write_timestamp(created)
        row["updated_at"] = row["created_at"]
        lines.append(",".join(row[c] for c in CUSTOMERS.column_names))
    (raw / "crm_customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    guessed, _ = _inspect(raw, capsys)
    settings = {"date_format": date_format, "timestamp_format": timestamp_format}
    assert guessed == {"tables": {"crm_customers": settings}}

    (raw / SETTINGS_FILE).write_text(yaml.safe_dump(guessed), encoding="utf-8")
    warehouse = Warehouse(tmp_path / "wh")
    customers = land(raw, warehouse, progress=False).table("crm_customers")
    assert (customers.rows_accepted, customers.fields_nulled) == (20, {})
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        landed = con.execute(
            "select birth_date, created_at from raw.crm_customers order by _source_row"
        ).fetchall()
    finally:
        con.close()
    assert landed == expected


def test_misnamed_files_get_did_you_mean(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").rename(raw / "crm_customer.csv")
    (raw / "crm_contracts.csv").rename(raw / "CRM_Contracts.CSV")

    problems = inspect_raw_dir(raw).all_problems()
    assert "crm_customer.csv is not a contract table: did you mean crm_customers?" in problems
    assert "CRM_Contracts.CSV is not a contract table: did you mean crm_contracts?" in problems
    assert cli_main(["inspect", "--raw-dir", str(raw)]) == 2  # a script can stop here
    with pytest.raises(ContractError) as failure:
        land(raw, Warehouse(tmp_path / "wh"), progress=False)
    message = str(failure.value)
    # crm_customers is required: its absence stops the load, with the suggestion
    assert "crm_customer.csv: did you mean crm_customers?" in message
    # crm_contracts is optional: landing (once crm_customers is there) warns with the suggestion
    (raw / "crm_customer.csv").rename(raw / "crm_customers.csv")
    report = land(raw, Warehouse(tmp_path / "wh"), progress=False)
    assert (
        "ignored CRM_Contracts.CSV: not a contract table: did you mean crm_contracts? "
        "(rename it to land it)" in report.warnings
    )


def test_inspect_sees_the_files_landing_lands(tmp_path: Path) -> None:
    """One set of naming rules (discovery.py): an upper-case `.CSV` lands, so inspect must not
    call it a problem (it said "write the suffix in lower case"); a folder's `_SUCCESS` marker
    and a file still being copied under a temporary name are not batches to either."""
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    (raw / "crm_customers").rename(raw / "customers_tmp")
    (raw / "customers_tmp" / "2026-01-01.csv").rename(raw / "crm_customers.CSV")
    (raw / "customers_tmp").rmdir()
    folder = raw / "support_tickets"
    (folder / "_SUCCESS").touch()
    (folder / "2026-01-02.csv.part").write_text("ticket_id,cut sho")

    result = inspect_raw_dir(raw)

    assert result.all_problems() == []
    assert result.tables["support_tickets"].files == ["support_tickets/2026-01-01.csv"]
    report = land(raw, Warehouse(tmp_path / "wh"), progress=False)
    assert report.table("crm_customers").rows_accepted == 3


def test_a_table_folder_with_mixed_delimiters_is_reported(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    text = (raw / "crm_customers.csv").read_text()
    (raw / "crm_customers.csv").unlink()
    (raw / "crm_customers").mkdir()
    (raw / "crm_customers" / "a.csv").write_text(text)
    (raw / "crm_customers" / "b.csv").write_text(text.replace(",", ";"))

    found = inspect_raw_dir(raw)
    output = render(found)
    assert "crm_customers: files with different delimiters" in output
    assert any("different delimiters" in p for p in found.all_problems())
    assert "'b.csv'" not in output and "crm_customers/b.csv" in output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("crm_customer.csv", "crm_customers"),
        ("CRM_CUSTOMERS.CSV", "crm_customers"),
        ("crm-contracts", "crm_contracts"),
        ("billing_invoice.parquet", "billing_invoices"),
        ("holidays.csv", None),
    ],
)
def test_suggest_table(name: str, expected: str | None) -> None:
    assert suggest_table(name, CONTRACT) == expected


def test_a_missing_optional_column_is_a_note_a_missing_required_one_a_problem(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    lines = (raw / "crm_customers.csv").read_text().splitlines()
    header = lines[0].split(",")
    drop = {header.index("birth_date"), header.index("customer_id")}
    kept = [",".join(v for i, v in enumerate(line.split(",")) if i not in drop) for line in lines]
    (raw / "crm_customers.csv").write_text("\n".join(kept) + "\n")

    found = inspect_raw_dir(raw)
    assert any("crm_customers.birth_date (optional: lands as NULL)" in n for n in found.all_notes())
    assert any("crm_customers.customer_id (required)" in p for p in found.all_problems())
    assert not any("birth_date" in p for p in found.all_problems())
