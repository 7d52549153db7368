"""Your own data: encodings detected, and cx360_sources.yml (delimiter, encoding, formats,
decimal separator, time zone, column mapping) read per table. No customer is lost to any of it."""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cx360.contract import load_contract
from cx360.errors import ContractError
from cx360.landing import land
from cx360.landing.encoding import detect_encoding
from cx360.landing.settings import SETTINGS_FILE
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import valid_rows, write_valid_raw  # noqa: E402

CONTRACT = load_contract()
CUSTOMERS = CONTRACT["crm_customers"]
CONTRACTS = CONTRACT["crm_contracts"]
NAMES = ["José", "François", "Müller", "Øresund", "Ålborg", "Señor", "Zoë", "Ça va", "Grüße"]


def _query(warehouse: Warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _customers_text(names: list[str], sep: str = ",", header: list[str] | None = None) -> str:
    rows = valid_rows(CUSTOMERS, range(1, len(names) + 1))
    for row, name in zip(rows, names, strict=True):
        row["last_name"] = name
    lines = [sep.join(header or CUSTOMERS.column_names)]
    lines += [sep.join(r[c] for c in CUSTOMERS.column_names) for r in rows]
    return "\n".join(lines) + "\n"


def _assert_every_customer_lands(
    raw: Path, warehouse_dir: Path, names: list[str], encoding: str
) -> None:
    """Landing reads crm_customers.csv in `encoding` (detected) with every name intact."""
    warehouse = Warehouse(warehouse_dir)
    customers = land(raw, warehouse, progress=False).table("crm_customers")
    n = len(names)
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (n, n, 0)
    assert customers.encodings == {"crm_customers.csv": encoding}
    landed = _query(warehouse, "select last_name from raw.crm_customers order by _source_row")
    assert [name for (name,) in landed] == names


def test_a_windows_1252_customers_file_lands_every_customer_without_settings(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    path = raw / "crm_customers.csv"
    path.write_bytes(_customers_text(NAMES).encode("cp1252"))
    assert detect_encoding(path) == "cp1252"

    _assert_every_customer_lands(raw, tmp_path / "wh", NAMES, "cp1252")


# Beyond Windows-1252: Polish, Turkish, Serbian, Japanese, and an emoji (a UTF-16 surrogate pair)
UNICODE_NAMES = ["Łódź", "Şahin", "Đorđević", "山田", "Zoë 🙂"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_a_byte_order_mark_lands_every_customer_without_settings(
    tmp_path: Path, codec: str
) -> None:
    """Excel's "Unicode Text" and other Windows exports are UTF-16 with a byte-order mark: it
    is detected, read whole, CRLF line ends and all, and every name kept."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    path = raw / "crm_customers.csv"
    text = _customers_text(UNICODE_NAMES).replace("\n", "\r\n")
    path.write_bytes(("\ufeff" + text).encode(codec))
    assert detect_encoding(path) == "utf-16"

    _assert_every_customer_lands(raw, tmp_path / "wh", UNICODE_NAMES, "utf-16")


def test_a_utf16_file_without_a_byte_order_mark_lands_once_declared(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").write_bytes(_customers_text(UNICODE_NAMES).encode("utf-16-le"))
    with pytest.raises(ContractError, match="UTF-16 without a byte-order mark") as raised:
        land(raw, Warehouse(tmp_path / "wh"), progress=False)
    assert "encoding: utf-16-le" in raised.value.hint

    (raw / SETTINGS_FILE).write_text("tables:\n  crm_customers:\n    encoding: utf-16-le\n")
    warehouse = Warehouse(tmp_path / "wh2")
    land(raw, warehouse, progress=False)
    landed = _query(warehouse, "select last_name from raw.crm_customers order by _source_row")
    assert [n for (n,) in landed] == UNICODE_NAMES


def test_a_spreadsheet_export_with_trailing_empty_columns_lands_every_customer(
    tmp_path: Path,
) -> None:
    """Excel writes the empty cells of formatted, unused columns: every line ends in `,,`, the
    header too. Those columns have no name: they are ignored by position, with a warning, not
    a duplicated name '' that stops the landing."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    lines = _customers_text(NAMES).splitlines()
    (raw / "crm_customers.csv").write_text("".join(f"{line},,\n" for line in lines))

    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (9, 9, 0)
    unnamed = f"(unnamed column {len(CUSTOMERS.columns) + 1}), (unnamed column "
    assert any(unnamed in w for w in report.warnings), report.warnings
    landed = _query(warehouse, "select last_name from raw.crm_customers order by _source_row")
    assert [n for (n,) in landed] == NAMES


def test_ids_a_spreadsheet_saved_in_scientific_notation_are_refused(tmp_path: Path) -> None:
    """Long numeric ids (account numbers, MSISDNs) opened in Excel and saved come out as
    3.31517E+11: digits lost, different customers one id, which staging would merge into one
    customer. Such a key quarantines its row, such an optional id or phone lands NULL, with
    reason id_in_scientific_notation; ids that merely hold an E stay ids."""
    from cx360.validation import validate_raw

    raw = tmp_path / "raw"
    write_valid_raw(raw, rows=range(1, 31))
    rows = valid_rows(CUSTOMERS, range(1, 31))
    for row in rows[:3]:
        row["customer_id"] = "3.31517E+11"
    rows[3]["customer_id"] = "1E5"  # no '+': Excel never writes this, an id like any other
    rows[4]["customer_id"] = "C3.3E+11"
    rows[5]["phone"] = "3.37517E+11"
    lines = [",".join(CUSTOMERS.column_names)]
    lines += [",".join(r[c] for c in CUSTOMERS.column_names) for r in rows]
    (raw / "crm_customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    warehouse = Warehouse(tmp_path / "wh")

    customers = land(raw, warehouse, progress=False).table("crm_customers")

    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (30, 27, 3)
    assert customers.fields_nulled == {"phone: id_in_scientific_notation": 1}
    quarantined = _query(
        warehouse,
        "select source_row, reason_code, column_name from audit.landing_quarantine "
        "order by source_row",
    )
    assert quarantined == [(n, "id_in_scientific_notation", "customer_id") for n in (1, 2, 3)]
    landed = _query(warehouse, "select customer_id, phone from raw.crm_customers")
    assert {"1E5", "C3.3E+11"} <= {c for c, _ in landed}
    assert ("customer_id_6", None) in landed
    message = validate_raw(warehouse, "run-1").describe_failures()
    assert "customer_id id_in_scientific_notation: 3 row(s)" in message
    assert "Export the column again as text" in message


def test_a_declared_encoding_overrides_detection(tmp_path: Path) -> None:
    """cp1250 bytes read as cp1252 would be wrong letters: the declared encoding wins."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    names = ["Dvořák", "Łódź", "Šťastný"]
    (raw / "crm_customers.csv").write_bytes(_customers_text(names).encode("cp1250"))
    (raw / SETTINGS_FILE).write_text("tables:\n  crm_customers:\n    encoding: cp1250\n")

    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)

    landed = _query(warehouse, "select last_name from raw.crm_customers order by _source_row")
    assert [n for (n,) in landed] == names


def test_a_declared_encoding_the_file_does_not_fit_is_a_clear_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").write_bytes(_customers_text(["Müller"]).encode("latin-1"))
    (raw / SETTINGS_FILE).write_text("tables:\n  crm_customers:\n    encoding: utf-8\n")
    # utf-8 declared: no transcoding, the reader quarantines the undecodable line, nothing lost
    report = land(raw, Warehouse(tmp_path / "wh"), progress=False)
    assert report.table("crm_customers").rows_quarantined == 1
    (raw / SETTINGS_FILE).write_text("tables:\n  crm_customers:\n    encoding: ascii\n")
    with pytest.raises(ContractError, match="crm_customers.csv is not ascii"):
        land(raw, Warehouse(tmp_path / "wh2"), progress=False)


def test_a_semicolon_file_with_european_formats_lands_with_a_settings_file(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    header = ";".join(CONTRACTS.column_names)
    row = {
        "contract_id": "K1",
        "customer_id": "customer_id_1",
        "product": "Fibre; 1 Gbit",  # the delimiter inside quotes stays text
        "plan": "basic",
        "started_at": "31/12/2020",
        "ended_at": "",
        "renewal_due_at": "15/01/2022",
        "monthly_fee": "1234,56",
        "currency": "EUR",
        "status": "active",
        "updated_at": "02/01/2021 10:30",
    }
    line = ";".join(f'"{v}"' if ";" in v else v for v in row.values())
    (raw / "crm_contracts.csv").write_text(f"{header}\n{line}\n", encoding="utf-8")
    (raw / SETTINGS_FILE).write_text(
        "tables:\n"
        "  crm_contracts:\n"
        '    delimiter: ";"\n'
        '    date_format: "%d/%m/%Y"\n'
        '    timestamp_format: "%d/%m/%Y %H:%M"\n'
        '    decimal_separator: ","\n'
        "    time_zone: Europe/Paris\n"
    )
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    assert report.table("crm_contracts").rows_accepted == 1
    assert not any(SETTINGS_FILE in w for w in report.warnings)
    landed = _query(
        warehouse,
        "select product, started_at, renewal_due_at, monthly_fee, updated_at "
        "from raw.crm_contracts",
    )
    # 10:30 in Paris in winter is 09:30 UTC
    assert landed == [
        (
            "Fibre; 1 Gbit",
            date(2020, 12, 31),
            date(2022, 1, 15),
            Decimal("1234.5600"),
            datetime(2021, 1, 2, 9, 30),
        )
    ]


@pytest.mark.parametrize(
    ("settings", "written"),
    [
        # US/UK exports: 1,234.56
        ('thousands_separator: ","', ["41.62", "1,642.80", "-12,345,678.9", "2,000"]),
        # German: 1.234,56
        ('decimal_separator: ","\n    thousands_separator: "."', ["41,62", "1.642,80"]),
        # French: 1 234,56 with the no-break space spreadsheets write
        (
            'decimal_separator: ","\n    thousands_separator: "\\u00a0"',
            ["41,62", "1\u00a0642,80", "-12\u00a0345\u00a0678,9"],
        ),
        # Swiss: 1'234.56
        ('thousands_separator: "\'"', ["41.62", "1'642.80"]),
    ],
)
def test_numbers_with_digit_grouping_land_with_a_thousands_separator(
    tmp_path: Path, settings: str, written: list[str]
) -> None:
    """The separator is removed only from numbers grouped by it exactly: `1,2345` is not 12345
    (nor `1.2345,6` 12345.6) but invalid: the optional fee lands NULL, recorded as a field
    issue, never misread."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    badly_grouped = "1.2345,6" if 'decimal_separator: ","' in settings else "1,2345"
    values = [*written, badly_grouped]
    rows = valid_rows(CONTRACTS, range(1, len(values) + 1))
    for row, value in zip(rows, values, strict=True):
        row["monthly_fee"] = f'"{value}"'
    lines = [",".join(CONTRACTS.column_names)]
    lines += [",".join(r[c] for c in CONTRACTS.column_names) for r in rows]
    (raw / "crm_contracts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / SETTINGS_FILE).write_text(f"tables:\n  crm_contracts:\n    {settings}\n")

    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    contracts = report.table("crm_contracts")
    assert (contracts.rows_read, contracts.rows_accepted) == (len(values), len(values))
    assert contracts.fields_nulled == {"monthly_fee: invalid_type": 1}  # an optional column
    landed = _query(warehouse, "select monthly_fee from raw.crm_contracts order by _source_row")
    plain = [Decimal("41.62"), Decimal("1642.80"), Decimal("-12345678.9"), Decimal("2000")]
    assert [fee for (fee,) in landed] == [*plain[: len(written)], None]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_column_mapping_lands_a_file_with_foreign_column_names(tmp_path: Path, fmt: str) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").unlink()
    foreign = {"customer_id": "Kundennummer", "last_name": "Nachname", "email": "E-Mail"}
    header = [foreign.get(c, c) for c in CUSTOMERS.column_names]
    if fmt == "csv":
        (raw / "crm_customers.csv").write_text(
            _customers_text(["Müller", "Schmidt"], header=header), encoding="utf-8"
        )
    else:
        rows = valid_rows(CUSTOMERS, range(1, 3))
        rows[0]["last_name"], rows[1]["last_name"] = "Müller", "Schmidt"
        columns = {
            foreign.get(c, c): pa.array([r[c] for r in rows]) for c in CUSTOMERS.column_names
        }
        pq.write_table(pa.table(columns), raw / "crm_customers.parquet")
    mapping = "".join(f"      {theirs}: {ours}\n" for ours, theirs in foreign.items())
    (raw / SETTINGS_FILE).write_text(f"tables:\n  crm_customers:\n    columns:\n{mapping}")

    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    assert report.table("crm_customers").rows_accepted == 2
    landed = _query(
        warehouse, "select customer_id, last_name, email from raw.crm_customers order by 1"
    )
    assert landed == [
        ("customer_id_1", "Müller", "email_1"),
        ("customer_id_2", "Schmidt", "email_2"),
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("tables:\n  crm_customer:\n    delimiter: ';'\n", "not contract tables"),
        ("tables:\n  crm_customers:\n    separator: ';'\n", "unknown setting"),
        ("tables:\n  crm_customers:\n    delimiter: ';;'\n", "one character"),
        ("defaults:\n  encoding: klingon\n", "unknown encoding"),
        ("tables:\n  crm_customers:\n    columns: {Nr: kunde}\n", "not columns of crm_customers"),
        ("defaults:\n  thousands_separator: '_'\n", "thousands_separator must be one of"),
        (
            "defaults:\n  thousands_separator: ','\ntables:\n  crm_contracts:\n"
            "    decimal_separator: ','\n",
            "tables.crm_contracts: thousands_separator and decimal_separator are the same",
        ),
    ],
)
def test_a_wrong_settings_file_is_a_clear_error_before_anything_lands(
    tmp_path: Path, settings: str, message: str
) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / SETTINGS_FILE).write_text(settings)
    warehouse = Warehouse(tmp_path / "wh")
    with pytest.raises(ContractError, match=message):
        land(raw, warehouse, progress=False)
    assert not warehouse.landing_db.exists()
