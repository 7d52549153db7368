"""Loss is visible and blocking: a table that loses more than its share of rows to landing's
quarantine blocks the refresh with a message naming table, column, reason, examples and fix;
a bad optional value loses no row (the field is NULL, recorded, and noted)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from cx360.contract import load_contract
from cx360.landing import land
from cx360.landing.guess import NumberFormat, guess_date_format, number_formats
from cx360.landing.settings import SETTINGS_FILE
from cx360.validation import accept_batch, validate_raw
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import csv_text, valid_rows, write_valid_raw  # noqa: E402

CONTRACT = load_contract()
ROWS = range(1, 26)  # day numbers up to 25: a DD/MM date with a day above 12 tells the order


def _dd_mm(iso: str) -> str:
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}{iso[10:]}"


def _write(raw: Path, table: str, rows: list[dict[str, str]]) -> None:
    columns = list(CONTRACT[table].column_names)
    (raw / f"{table}.csv").write_text(csv_text(columns, [[r[c] for c in columns] for r in rows]))


def _raw_with_dd_mm(raw: Path, table: str, column: str) -> None:
    write_valid_raw(raw, rows=ROWS)
    rows = valid_rows(CONTRACT[table], ROWS)
    for row in rows:
        row[column] = _dd_mm(row[column])
    _write(raw, table, rows)


def test_dd_mm_contract_dates_block_with_a_message_naming_column_and_format(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    _raw_with_dd_mm(raw, "crm_contracts", "started_at")
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)

    report = validate_raw(warehouse, "run-1")

    assert not report.passed
    assert [loss.table for loss in report.losses] == ["crm_contracts"]
    message = report.describe_failures()
    assert "crm_contracts lost 25 of 25 rows (100.0%)" in message
    assert "started_at invalid_type" in message
    assert "'01/01/2026', '02/01/2026', '03/01/2026'" in message  # three example values
    assert 'dates look like DD/MM/YYYY: set date_format: "%d/%m/%Y"' in message
    # the batch stays under audit: the next validation blocks again
    assert not validate_raw(warehouse, "run-2").passed

    # following the fix lands every contract, and the check passes
    (raw / SETTINGS_FILE).write_text(
        "tables:\n  crm_contracts:\n    date_format: '%d/%m/%Y'\n", encoding="utf-8"
    )
    (raw / "crm_contracts.csv").write_text((raw / "crm_contracts.csv").read_text() + "\n")
    report = land(raw, warehouse, progress=False)  # new content: the batch is replaced
    assert report.table("crm_contracts").rows_accepted == 25
    assert validate_raw(warehouse, "run-3").losses == []


def test_grouped_amounts_block_with_the_thousands_separator_to_set(tmp_path: Path) -> None:
    """A US billing export writes 1,642.80: without settings every such invoice is quarantined
    and the loss check blocks naming the setting; `cx360 inspect` guesses the same setting,
    with which every invoice lands with its amount."""
    from cx360.landing.inspect import inspect_raw_dir

    raw = tmp_path / "raw"
    write_valid_raw(raw, rows=ROWS)
    rows = valid_rows(CONTRACT["billing_invoices"], ROWS)
    for i, row in enumerate(rows, start=1):
        row["amount"] = f'"{i},{i:03d}.50"'  # 1,001.50 ... 25,025.50
    _write(raw, "billing_invoices", rows)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)

    message = validate_raw(warehouse, "run-1").describe_failures()
    assert "billing_invoices lost 25 of 25 rows" in message
    assert 'set thousands_separator: "," for billing_invoices' in message

    guessed = inspect_raw_dir(raw).tables["billing_invoices"].settings
    assert guessed == {"thousands_separator": ","}
    (raw / SETTINGS_FILE).write_text(
        "tables:\n  billing_invoices:\n    thousands_separator: ','\n", encoding="utf-8"
    )
    assert land(raw, warehouse, progress=False).table("billing_invoices").rows_accepted == 25
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        amounts = con.execute("select amount from raw.billing_invoices order by _source_row")
        landed = [float(a) for (a,) in amounts.fetchall()]
    finally:
        con.close()
    assert landed == [i * 1000 + i + 0.5 for i in ROWS]
    assert validate_raw(warehouse, "run-2").losses == []


def test_an_accepted_batch_is_not_judged_on_its_loss(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _raw_with_dd_mm(raw, "crm_contracts", "started_at")
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    accept_batch(warehouse, "crm_contracts.csv", reason="test")

    assert validate_raw(warehouse, "run-1").losses == []


def test_dd_mm_birth_dates_lose_no_customer_and_are_noted(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _raw_with_dd_mm(raw, "crm_customers", "birth_date")
    warehouse = Warehouse(tmp_path / "wh")
    landing = land(raw, warehouse, progress=False)

    customers = landing.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (25, 25, 0)
    assert customers.fields_nulled == {"birth_date: invalid_type": 25}
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        nulls = con.execute(
            "select count(*) from raw.crm_customers where birth_date is null"
        ).fetchone()
        recorded = con.execute(
            "select key_value, raw_value from audit.landing_field_issues "
            "where column_name = 'birth_date' order by source_row limit 1"
        ).fetchone()
    finally:
        con.close()
    assert nulls == (25,)
    assert recorded == ("customer_id_1", "01/01/2026")

    report = validate_raw(warehouse, "run-1")
    assert report.losses == []
    assert any(
        "crm_customers.birth_date invalid_type: 25 row(s)" in n and "date_format" in n
        for n in report.notes
    )


def test_date_order_is_guessed_from_the_values() -> None:
    assert guess_date_format(["31/12/2020", "01/02/2021"]) == ("%d/%m/%Y", "DD/MM/YYYY")
    assert guess_date_format(["12/31/2020", "01/02/2021"]) == ("%m/%d/%Y", "MM/DD/YYYY")
    assert guess_date_format(["31.12.2020 10:30"]) == ("%d.%m.%Y %H:%M", "DD.MM.YYYY")
    assert guess_date_format(["2020/12/31"]) == ("%Y/%m/%d", "YYYY/MM/DD")
    fmt, spoken = guess_date_format(["01/02/2021"]) or ("", "")
    assert fmt == "%d/%m/%Y" and "day first assumed" in spoken
    assert guess_date_format(["yesterday"]) is None
    # a 12-hour clock (US exports): hour %I, AM/PM %p, with or without the space
    assert guess_date_format(["11/20/2014 07:58 AM", "12/13/2014 6:45 pm"]) == (
        "%m/%d/%Y %I:%M %p",
        "MM/DD/YYYY",
    )
    assert guess_date_format(["13/01/2014 07:58:09PM"]) == ("%d/%m/%Y %I:%M:%S%p", "DD/MM/YYYY")
    assert guess_date_format(["11/20/2014 07:58 AM", "11/21/2014 19:58"]) is None
    # SAP-style compact dates, with or without the time
    assert guess_date_format(["20240704", "19991231"]) == ("%Y%m%d", "YYYYMMDD")
    assert guess_date_format(["20240704153307"]) == ("%Y%m%d%H%M%S", "YYYYMMDDhhmmss")
    assert guess_date_format(["20241304"]) is None  # month 13: a number, not a date
    assert guess_date_format(["20240704", "20240704153307"]) is None
    # a spreadsheet's day numbers (a date column formatted as a number)
    assert guess_date_format(["45477", "45477.6479976852"])[0] == "excel_serial"  # type: ignore[index]
    assert guess_date_format(["12", "45477"]) is None  # 1900-01-11: not taken for a date


def test_number_notation_is_guessed_from_the_values() -> None:
    assert number_formats(["41.62", "1,642.80"]) == [NumberFormat(".", ",")]
    assert number_formats(["12,50", "3"]) == [NumberFormat(",", None)]
    assert number_formats(["1.234,56", "7,1"]) == [NumberFormat(",", ".")]
    assert number_formats(["1 234,5", "12"]) == [NumberFormat(",", " ")]
    assert number_formats(["41.62", "abc"]) == []  # the contract reads them; junk is junk
    # one stray decimal comma among dot decimals is a defect to quarantine, not a notation
    assert number_formats(["1.0834"] * 50 + ["7,5"]) == []
    # 1,234 is 1.234 or 1234: only the user knows
    assert number_formats(["1,234", "5,678"]) == [NumberFormat(",", None), NumberFormat(".", ",")]
