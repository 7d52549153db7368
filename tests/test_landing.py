"""Landing into DuckDB: quarantine, idempotence, incremental = all at once, contract errors."""

from __future__ import annotations

import gzip
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from cx360.contract import Column, load_contract
from cx360.errors import ContractError, Cx360Error
from cx360.landing import LandingReport, duckdb_loader, land
from cx360.landing.casting import column_sql
from cx360.reporting import print_landing_report
from cx360.warehouse import Warehouse

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from landing_raw import (  # noqa: E402
    DEFAULT_TABLES,
    csv_text,
    valid_rows,
    valid_value,
    write_table_csv,
    write_valid_raw,
)

CONTRACT = load_contract()
CUSTOMERS = CONTRACT["crm_customers"]


def _query(warehouse: Warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _snapshot(warehouse: Warehouse, *, ignore: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every landed table, sorted, without the columns named in `ignore` (load times)."""
    con = duckdb.connect(str(warehouse.landing_db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'audit') order by all"
        ).fetchall()
        out = {}
        for schema, name in tables:
            rel = con.table(f"{schema}.{name}")
            kept = [c for c in rel.columns if c not in ignore]
            cols = ", ".join(f'"{c}"' for c in kept)
            out[f"{schema}.{name}"] = con.execute(
                f"select {cols} from {schema}.{name} order by all"
            ).fetchall()
        return out
    finally:
        con.close()


def _assert_balanced(warehouse: Warehouse, report: LandingReport) -> None:
    """rows read = accepted + quarantined, per batch and per table, and the tables agree."""
    assert all(entry.balanced for entry in report.tables)
    unbalanced = _query(
        warehouse,
        "select batch_name from audit.landed_batches "
        "where rows_read != rows_accepted + rows_quarantined",
    )
    assert unbalanced == []
    for table in CONTRACT:
        accepted, quarantined = _query(
            warehouse,
            "select coalesce(sum(rows_accepted), 0), coalesce(sum(rows_quarantined), 0) "
            f"from audit.landed_batches where table_name = '{table}'",
        )[0]
        assert _query(warehouse, f"select count(*) from raw.{table}")[0][0] == accepted
        in_quarantine = _query(
            warehouse,
            f"select count(*) from audit.landing_quarantine where table_name = '{table}'",
        )[0][0]
        assert in_quarantine == quarantined


def _customer_line(values: dict[str, str], extra: str = "gold") -> str:
    return ",".join([values[c] for c in CUSTOMERS.column_names] + [extra])


@pytest.fixture(params=["small files copied", "files read directly"])
def parquet_read(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a parquet group is read (GroupLoader._copy_small_files): the tests' files are
    small, so they are copied first unless the copy is switched off."""
    if request.param == "files read directly":
        monkeypatch.setattr(duckdb_loader, "PARQUET_COPY_MAX_BYTES", -1)
    return str(request.param)


@pytest.fixture
def dirty_raw(tmp_path: Path) -> Path:
    """Valid tables, plus a crm_customers batch with one defect per record (see comments)."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").unlink()
    rows = valid_rows(CUSTOMERS, range(1, 9))
    rows[1]["birth_date"] = "31/12/1980"  # record 2: optional field invalid -> NULL, recorded
    rows[3]["customer_id"] = ""  # record 4, line 5: missing_required
    rows[6]["created_at"] = "2026-01-03T10:00:00+02:00"  # record 7: offset -> 08:00 UTC
    rows[6]["marketing_consent"] = "YES"
    rows[7]["city"] = "Zürich"  # valid UTF-8: the file is UTF-8 with one broken line (line 7)
    lines = [",".join([*CUSTOMERS.column_names, "loyalty_tier"]).encode()]  # unknown: ignored
    for i, row in enumerate(rows, start=1):
        line = _customer_line(row).encode()
        if i == 3:
            line += b",one_too_many"  # record 3, line 4: unparseable (field count)
        if i == 5:
            line = line.replace(b"first_name_5", b'"Ann"x')  # record 5, line 6: bad quoting
        if i == 6:
            line = line.replace(b"city_6", b"Z\xff\xferich")  # record 6, line 7: invalid UTF-8
        lines.append(line if i != 8 else line.decode().encode("utf-8"))
    folder = raw / "crm_customers"
    folder.mkdir()
    (folder / "2026-01-01.csv").write_bytes(b"\n".join(lines) + b"\n")
    return raw


def test_bad_rows_go_to_quarantine_with_reason_file_and_line(
    dirty_raw: Path, tmp_path: Path
) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    report = land(dirty_raw, warehouse, progress=False)

    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (8, 4, 4)
    quarantine = _query(
        warehouse,
        "select reason_code, batch_name, source_line, source_row, column_name "
        "from audit.landing_quarantine order by source_row",
    )
    batch = "crm_customers/2026-01-01.csv"
    assert [(q[0], q[1], q[2], q[3]) for q in quarantine] == [
        ("unparseable_line", batch, 4, 3),
        ("missing_required", batch, 5, 4),
        ("unparseable_line", batch, 6, 5),
        ("unparseable_line", batch, 7, 6),
    ]
    assert quarantine[1][4] == "customer_id"
    records = dict(_query(warehouse, "select source_row, raw_record from audit.landing_quarantine"))
    assert "loyalty_tier" in records[4]  # the record as sent
    assert "one_too_many" in records[3]
    # the bad birth date loses the field, not the customer: NULL, and recorded with its key
    assert _query(warehouse, "select * exclude (recorded_at) from audit.landing_field_issues") == [
        (
            "crm_customers",
            batch,
            3,
            2,
            "customer_id_2",
            "birth_date",
            "invalid_type",
            "31/12/1980",
            "birth_date=31/12/1980 is not a valid date",
        )
    ]
    assert customers.fields_nulled == {"birth_date: invalid_type": 1}

    accepted = _query(
        warehouse,
        "select customer_id, _source_row, created_at, marketing_consent, _batch_name "
        "from raw.crm_customers order by _source_row",
    )
    assert [(a[0], a[1]) for a in accepted] == [
        ("customer_id_1", 1),
        ("customer_id_2", 2),
        ("customer_id_7", 7),
        ("customer_id_8", 8),
    ]
    assert _query(
        warehouse,
        "select birth_date, city from raw.crm_customers "
        "where _source_row in (2, 8) order by _source_row",
    ) == [(None, "city_2"), (date(2026, 1, 8), "Zürich")]
    assert accepted[2][2] == datetime(2026, 1, 3, 8, 0)
    assert accepted[2][3] is True
    assert {a[4] for a in accepted} == {batch}

    assert any("loyalty_tier" in w for w in report.warnings)
    ignored = _query(
        warehouse,
        f"select ignored_columns from audit.landed_batches where batch_name = '{batch}'",
    )
    assert ignored == [("loyalty_tier",)]
    _assert_balanced(warehouse, report)


def test_a_warehouse_landed_before_settings_were_recorded_is_upgraded_in_place(
    tmp_path: Path,
) -> None:
    """audit.landed_batches gained settings_sha256: an older warehouse gets the column on its
    next landing, and its batches (NULL there) are not read again on that account."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    con = duckdb.connect(str(warehouse.landing_db))
    try:
        con.execute("alter table audit.landed_batches drop column settings_sha256")
    finally:
        con.close()

    report = land(raw, warehouse, progress=False)

    assert report.total.rows_read == 0
    assert all(t.batches_loaded == 0 for t in report.tables)
    fingerprints = _query(warehouse, "select distinct settings_sha256 from audit.landed_batches")
    assert fingerprints == [(None,)]


def test_every_contract_table_exists_after_landing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)  # optional tables absent
    (raw / "fx_rates.csv").write_text("currency,rate_date,rate_to_reporting\n")  # header only
    (raw / "crm_referrals.csv").write_bytes(b"")  # empty file
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    landed = {r[0] for r in _query(warehouse, "select table_name from information_schema.tables")}
    assert set(CONTRACT) <= landed
    for name, table in CONTRACT.items():
        expected = 3 if table.name in DEFAULT_TABLES else 0
        assert _query(warehouse, f"select count(*) from raw.{name}")[0][0] == expected
    columns = [r[0] for r in _query(warehouse, "describe raw.crm_customers")]
    assert columns == [*CUSTOMERS.column_names, "_batch_name", "_source_row", "_loaded_at"]
    zero_batches = _query(
        warehouse,
        "select batch_name, rows_read from audit.landed_batches "
        "where table_name in ('fx_rates', 'crm_referrals') order by 1",
    )
    assert zero_batches == [("crm_referrals.csv", 0), ("fx_rates.csv", 0)]
    assert any("crm_referrals.csv: empty file" in w for w in report.warnings)
    _assert_balanced(warehouse, report)


def test_landing_the_same_batches_twice_changes_nothing(dirty_raw: Path, tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "wh")
    first = land(dirty_raw, warehouse, progress=False)
    before = _snapshot(warehouse)
    second = land(dirty_raw, warehouse, progress=False)

    assert _snapshot(warehouse) == before  # load times included: nothing was rewritten
    assert second.total.batches_loaded == 0
    assert second.total.batches_skipped == first.total.batches_loaded
    assert second.total.rows_read == 0


def test_resent_batch_with_new_content_replaces_its_rows(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, as_folders=True)
    tickets = CONTRACT["support_tickets"]
    write_table_csv(raw / "support_tickets" / "2026-01-02.csv", tickets, range(10, 12))
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)

    # the source system re-sends day 1 corrected: two rows instead of three, one now bad
    resent = valid_rows(tickets, range(20, 22))
    resent[1]["opened_at"] = "yesterday"
    header = list(tickets.column_names)
    (raw / "support_tickets" / "2026-01-01.csv").write_text(
        csv_text(header, [[r[c] for c in header] for r in resent])
    )
    report = land(raw, warehouse, progress=False)

    entry = report.table("support_tickets")
    assert (entry.batches_loaded, entry.batches_replaced, entry.batches_skipped) == (1, 1, 1)
    ids = _query(warehouse, "select ticket_id from raw.support_tickets order by 1")
    assert ids == [("ticket_id_10",), ("ticket_id_11",), ("ticket_id_20",)]
    ledger = _query(
        warehouse,
        "select batch_name, rows_read, rows_accepted, rows_quarantined from audit.landed_batches "
        "where table_name = 'support_tickets' order by 1",
    )
    assert ledger == [
        ("support_tickets/2026-01-01.csv", 2, 1, 1),
        ("support_tickets/2026-01-02.csv", 2, 2, 0),
    ]
    _assert_balanced(warehouse, report)


def test_day_by_day_equals_all_at_once(tmp_path: Path) -> None:
    day1, day2, both = tmp_path / "day1", tmp_path / "day2", tmp_path / "both"
    for folder, batch, rows in (
        (day1, "2026-01-01", range(1, 4)),
        (day2, "2026-01-02", range(4, 7)),
        (both, "2026-01-01", range(1, 4)),
        (both, "2026-01-02", range(4, 7)),
    ):
        write_valid_raw(folder, as_folders=True, batch=batch, rows=rows)
    bad = both / "interactions" / "2026-01-02.csv"  # a defect on day 2, in both deliveries
    for target in (bad, day2 / "interactions" / "2026-01-02.csv"):
        target.write_text(target.read_text().replace("interaction_id_5,", ",", 1))

    incremental = Warehouse(tmp_path / "wh_incremental")
    land(day1, incremental, progress=False)
    report = land(day2, incremental, progress=False)
    at_once = Warehouse(tmp_path / "wh_at_once")
    land(both, at_once, progress=False)

    load_times = ("_loaded_at", "landed_at", "quarantined_at")
    assert _snapshot(incremental, ignore=load_times) == _snapshot(at_once, ignore=load_times)
    assert _query(at_once, "select count(*) from audit.landing_quarantine")[0][0] == 1
    assert report.total.batches_loaded == len(DEFAULT_TABLES)


def test_missing_required_table_is_a_contract_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "crm_customers.csv").unlink()
    warehouse = Warehouse(tmp_path / "wh")
    with pytest.raises(ContractError, match="crm_customers") as caught:
        land(raw, warehouse, progress=False)
    assert caught.value.hint
    assert not warehouse.landing_db.exists()  # raised before anything was written


def test_a_revenue_source_is_required(tmp_path: Path) -> None:
    """Orders or invoices, either is enough; without both the folder is refused."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "billing_orders.csv").unlink()
    (raw / "billing_invoices.csv").unlink()
    with pytest.raises(ContractError, match="billing_orders or billing_invoices"):
        land(raw, Warehouse(tmp_path / "wh"), progress=False)


def test_customers_and_orders_alone_land_with_absent_optional_columns_null(
    tmp_path: Path,
) -> None:
    """An order-only folder: every other table is an empty table of the contract's shape, and
    optional columns left out of a file land as NULL (status, channel: not in the header)."""
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    for path in raw.iterdir():
        if path.stem not in ("crm_customers", "billing_orders"):
            path.unlink()
    text = (raw / "billing_orders.csv").read_text().splitlines()
    header = text[0].split(",")
    keep = [i for i, name in enumerate(header) if name not in ("status", "channel")]
    (raw / "billing_orders.csv").write_text(
        "\n".join(",".join(f for i, f in enumerate(line.split(",")) if i in keep) for line in text)
        + "\n"  # a complete file ends in a newline (discovery's completeness rule)
    )
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)
    assert report.table("billing_orders").rows_accepted == len(text) - 1
    assert _query(warehouse, "select count(*) from raw.crm_contracts")[0][0] == 0
    nulls = _query(
        warehouse,
        "select count(*), count(status), count(channel), count(currency) from raw.billing_orders",
    )[0]
    assert nulls == (len(text) - 1, 0, 0, len(text) - 1)


def test_missing_column_is_a_contract_error_and_writes_nothing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    before = _snapshot(warehouse)

    write_valid_raw(raw, rows=range(5, 7))  # new content everywhere ...
    text = (raw / "billing_orders.csv").read_text().splitlines()
    header = text[0].split(",")
    drop = header.index("currency")  # ... and one file lacks a contract column
    (raw / "billing_orders.csv").write_text(
        "\n".join(",".join(f for i, f in enumerate(line.split(",")) if i != drop) for line in text)
        + "\n"
    )
    with pytest.raises(ContractError) as caught:
        land(raw, warehouse, progress=False)
    message = str(caught.value)
    assert "currency" in message and "billing_orders.csv" in message
    assert "billing_orders" in message
    assert _snapshot(warehouse) == before


def test_a_warehouse_landed_for_another_contract_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    con = duckdb.connect(str(warehouse.landing_db))
    try:  # as if landed under an older contract with one more column
        con.execute("alter table raw.crm_customers add column loyalty_tier varchar")
    finally:
        con.close()
    before = _snapshot(warehouse)

    write_valid_raw(raw, rows=range(5, 7))
    with pytest.raises(ContractError, match="raw.crm_customers in the warehouse") as caught:
        land(raw, warehouse, progress=False)
    assert "loyalty_tier" in str(caught.value) and caught.value.hint
    assert _snapshot(warehouse) == before


def test_parquet_and_csv_land_the_same_rows(tmp_path: Path, parquet_read: str) -> None:
    from_csv, from_parquet = Warehouse(tmp_path / "wh_csv"), Warehouse(tmp_path / "wh_parquet")
    write_valid_raw(tmp_path / "raw_csv", fmt="csv", include_optional=True)
    write_valid_raw(tmp_path / "raw_parquet", fmt="parquet", include_optional=True)
    csv_report = land(tmp_path / "raw_csv", from_csv, progress=False)
    parquet_report = land(tmp_path / "raw_parquet", from_parquet, progress=False)

    assert csv_report.total.rows_accepted == parquet_report.total.rows_accepted > 0
    ignore = ("_loaded_at", "landed_at", "quarantined_at", "_batch_name", "batch_name")
    csv_tables = _snapshot(from_csv, ignore=(*ignore, "content_sha256"))
    parquet_tables = _snapshot(from_parquet, ignore=(*ignore, "content_sha256"))
    assert csv_tables == parquet_tables


def test_typed_parquet_columns_are_converted(tmp_path: Path, parquet_read: str) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, fmt="parquet")
    n = 3
    columns = {
        c: pa.array([valid_value(CUSTOMERS, c, i) for i in range(n)])
        for c in CUSTOMERS.column_names
    }
    columns["birth_date"] = pa.array([date(1980, 1, 2)] * n)
    created = [datetime(2026, 1, 3, 10, 0)] * n
    columns["created_at"] = pa.array(created, pa.timestamp("us", tz="+02:00"))
    columns["updated_at"] = pa.array(created, pa.timestamp("us"))
    columns["marketing_consent"] = pa.array([True, False, None])
    columns["customer_id"] = pa.array(["C1", None, "C3"])  # row 2: missing_required
    pq.write_table(pa.table(columns), raw / "crm_customers.parquet")
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    rows = _query(
        warehouse,
        "select customer_id, birth_date, created_at, updated_at, marketing_consent, _source_row "
        "from raw.crm_customers order by _source_row",
    )
    # pyarrow stores tz-aware values as UTC instants: 10:00 UTC shown as 12:00+02:00
    assert rows[0] == ("C1", date(1980, 1, 2), created[0], created[0], True, 1)
    assert [r[5] for r in rows] == [1, 3]
    quarantine = _query(
        warehouse,
        "select reason_code, column_name, source_row, source_line from audit.landing_quarantine",
    )
    assert quarantine == [("missing_required", "customer_id", 2, None)]
    _assert_balanced(warehouse, report)


def test_parquet_batches_quarantine_bad_text_values_with_the_record_as_sent(
    tmp_path: Path, parquet_read: str
) -> None:
    """Two parquet batches read in one scan: day 1 typed, day 2 all text with defects and an
    extra column. Text values are checked as in CSV (invalid_type, blank = missing)."""
    raw = tmp_path / "raw"
    write_valid_raw(raw, fmt="parquet")
    (raw / "crm_customers.parquet").unlink()
    folder = raw / "crm_customers"
    folder.mkdir()
    day1 = {
        c: pa.array([r[c] for r in valid_rows(CUSTOMERS, range(1, 4))])
        for c in CUSTOMERS.column_names
    }
    day1["birth_date"] = pa.array([date(1980, 1, 2)] * 3)
    for column in ("created_at", "updated_at"):
        day1[column] = pa.array([datetime(2026, 1, 3, 10, 0)] * 3, pa.timestamp("us"))
    day1["marketing_consent"] = pa.array([True, False, None])
    pq.write_table(pa.table(day1), folder / "2026-01-01.parquet")
    rows = valid_rows(CUSTOMERS, range(1, 6))
    rows[0]["birth_date"] = "31/12/1980"  # record 1: optional field -> NULL, recorded
    rows[2]["customer_id"] = "  "  # record 3: blank text is missing_required
    rows[3]["created_at"] = "yesterday"  # record 4: required value invalid: quarantined
    rows[3]["marketing_consent"] = "maybe"  # (a field problem of a quarantined row: in it)
    rows[4]["marketing_consent"] = " Yes "  # record 5: valid once trimmed
    day2 = {c: pa.array([r[c] for r in rows], pa.string()) for c in CUSTOMERS.column_names}
    day2["loyalty_tier"] = pa.array(["gold"] * len(rows))  # not in the contract
    pq.write_table(pa.table(day2), folder / "2026-01-02.parquet")
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    customers = report.table("crm_customers")
    assert (customers.rows_read, customers.rows_accepted, customers.rows_quarantined) == (8, 6, 2)
    day2_name = "crm_customers/2026-01-02.parquet"
    quarantine = _query(
        warehouse,
        "select batch_name, source_line, source_row, reason_code, column_name, reason_detail "
        "from audit.landing_quarantine order by source_row",
    )
    assert quarantine == [
        (day2_name, None, 3, "missing_required", "customer_id", "customer_id is empty"),
        (
            day2_name,
            None,
            4,
            "invalid_type",
            "created_at",
            "created_at=yesterday is not a valid timestamp",
        ),
    ]
    records = dict(_query(warehouse, "select source_row, raw_record from audit.landing_quarantine"))
    fourth = json.loads(records[4])
    assert fourth["marketing_consent"] == "maybe" and fourth["loyalty_tier"] == "gold"
    assert list(fourth)[: len(CUSTOMERS.column_names)] == list(CUSTOMERS.column_names)
    issues = _query(
        warehouse,
        "select batch_name, source_row, key_value, column_name, reason_code, raw_value "
        "from audit.landing_field_issues",
    )
    assert issues == [(day2_name, 1, "customer_id_1", "birth_date", "invalid_type", "31/12/1980")]

    accepted = _query(
        warehouse,
        "select _batch_name, _source_row, customer_id, marketing_consent "
        "from raw.crm_customers order by all",
    )
    assert [(a[0][-13:], a[1], a[2]) for a in accepted] == [
        ("01-01.parquet", 1, "customer_id_1"),
        ("01-01.parquet", 2, "customer_id_2"),
        ("01-01.parquet", 3, "customer_id_3"),
        ("01-02.parquet", 1, "customer_id_1"),
        ("01-02.parquet", 2, "customer_id_2"),
        ("01-02.parquet", 5, "customer_id_5"),
    ]
    assert accepted[-1][3] is True
    ledger = _query(
        warehouse,
        "select batch_name, rows_read, rows_accepted, rows_quarantined, ignored_columns "
        "from audit.landed_batches where table_name = 'crm_customers' order by 1",
    )
    assert ledger == [
        ("crm_customers/2026-01-01.parquet", 3, 3, 0, None),
        (day2_name, 5, 3, 2, "loyalty_tier"),
    ]
    _assert_balanced(warehouse, report)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("timestamp", "2026-01-03T10:00:00+02:00", datetime(2026, 1, 3, 8, 0)),
        ("timestamp", "2026-01-03T10:00:00+0530", datetime(2026, 1, 3, 4, 30)),
        ("timestamp", "2026-01-03T10:00:00Z", datetime(2026, 1, 3, 10, 0)),
        ("timestamp", "2026-01-03 10:00:00.5", datetime(2026, 1, 3, 10, 0, 0, 500000)),
        ("timestamp", "03/01/2026 10:00", None),
        ("bool", " Yes ", True),
        ("bool", "FALSE", False),
        ("bool", "0", False),
        ("bool", "Y", True),
        ("bool", "n", False),
        ("bool", "t", True),  # a PostgreSQL export
        ("bool", "F", False),
        ("bool", "maybe", None),
        ("bool", "2", None),
        ("int", " 42 ", 42),
        ("int", "1.5", None),
        ("int", "1_000", None),
        ("decimal", "-12.34567", Decimal("-12.3457")),
        ("decimal", "12,5", None),
        ("numeric", "1e3", 1000.0),
        ("numeric", "nan", None),
        ("date", "2026-02-28", date(2026, 2, 28)),
        ("date", "2026-02-30", None),
        ("string", "  kept as sent ", "  kept as sent "),
    ],
)
def test_text_conversion_rules(kind: str, text: str, expected: object) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    sql = column_sql(Column(name="v", type=kind), "VARCHAR")
    assert con.execute(f"select {sql.typed} from (select ? as v) as s", [text]).fetchone() == (
        expected,
    )


def test_landing_report_prints_every_table_and_warnings(dirty_raw: Path, tmp_path: Path) -> None:
    report = land(dirty_raw, Warehouse(tmp_path / "wh"), progress=False)
    console = Console(record=True, width=160)
    print_landing_report(report, console=console)
    text = console.export_text()
    for name in CONTRACT:
        assert name in text
    assert "total" in text and "loyalty_tier" in text
    total = report.total
    assert f"{total.rows_read:,}" in text and f"{total.rows_quarantined:,}" in text


def test_lines_are_counted_per_file_when_batches_are_read_together(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    tickets = CONTRACT["support_tickets"]
    header = list(tickets.column_names)
    folder = raw / "support_tickets"
    for day, broken_record in ((1, 2), (2, 4)):
        rows = [[r[c] for c in header] for r in valid_rows(tickets, range(10 * day, 10 * day + 5))]
        rows[broken_record - 1] = ["too", "few"]
        text = csv_text(header, rows)
        folder.mkdir(exist_ok=True)
        if day == 1:
            (folder / "2026-01-01.csv").write_text(text)
        else:
            with gzip.open(folder / "2026-01-02.csv.gz", "wt") as handle:  # gzip works too
                handle.write(text)
    (raw / "support_tickets.csv").unlink()
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    quarantine = _query(
        warehouse,
        "select batch_name, source_line, source_row from audit.landing_quarantine order by 1",
    )
    assert quarantine == [
        ("support_tickets/2026-01-01.csv", 3, 2),
        ("support_tickets/2026-01-02.csv.gz", 5, 4),
    ]
    rows = _query(
        warehouse,
        "select _batch_name, _source_row, ticket_id from raw.support_tickets order by 1, 2",
    )
    assert [(r[0][-9:], r[1], r[2]) for r in rows] == [
        ("01-01.csv", 1, "ticket_id_10"),
        ("01-01.csv", 3, "ticket_id_12"),
        ("01-01.csv", 4, "ticket_id_13"),
        ("01-01.csv", 5, "ticket_id_14"),
        ("02.csv.gz", 1, "ticket_id_20"),
        ("02.csv.gz", 2, "ticket_id_21"),
        ("02.csv.gz", 3, "ticket_id_22"),
        ("02.csv.gz", 5, "ticket_id_24"),
    ]
    _assert_balanced(warehouse, report)


def test_a_file_duckdb_cannot_read_fails_the_run_and_writes_nothing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw, fmt="parquet", as_folders=True)
    warehouse = Warehouse(tmp_path / "wh")
    land(raw, warehouse, progress=False)
    before = _snapshot(warehouse)

    write_valid_raw(raw, fmt="parquet", as_folders=True, batch="2026-01-02", rows=range(4, 6))
    names = list(CONTRACT["interactions"].column_names)
    big = pa.table({c: [f"{c}_{i}" for i in range(50_000)] for c in names})
    broken = raw / "interactions" / "2026-01-03.parquet"
    pq.write_table(big, broken, compression="snappy")
    data = bytearray(broken.read_bytes())
    data[1000:5000] = bytes((b * 7 + 3) % 256 for b in data[1000:5000])  # header intact
    broken.write_bytes(bytes(data))
    with pytest.raises(Cx360Error, match="failed while reading") as caught:
        land(raw, warehouse, progress=False)
    assert "interactions/2026-01-03.parquet" in str(caught.value)
    assert _snapshot(warehouse) == before  # earlier tables of this run were rolled back too


def test_an_unreadable_header_is_a_contract_error(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    write_valid_raw(raw)
    (raw / "interactions").mkdir()
    (raw / "interactions" / "2026-01-02.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ContractError, match="interactions/2026-01-02.csv.gz"):
        land(raw, Warehouse(tmp_path / "wh"), progress=False)


def test_out_of_range_values_land_null_with_value_out_of_range(tmp_path: Path) -> None:
    """Rating, severity and duration outside their contract ranges: the field is NULL in raw
    (so no model or mart can read it) and each is recorded with value_out_of_range."""
    raw = tmp_path / "raw"
    contract = write_valid_raw(raw, include_optional=True)
    cases = {  # table: (column, out of range, in range)
        "product_reviews": ("rating", "7", "5"),
        "network_incidents": ("severity", "9", "4"),
        "interactions": ("duration_seconds", "-5", "0"),
    }
    for name, (column, bad, good) in cases.items():
        table = contract[name]
        rows = valid_rows(table, range(1, 4))
        rows[0][column], rows[1][column] = bad, good
        (raw / f"{name}.csv").write_text(
            csv_text(list(table.column_names), [[r[c] for c in table.column_names] for r in rows])
        )
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    for name, (column, bad, good) in cases.items():
        entry = report.table(name)
        assert (entry.rows_read, entry.rows_accepted, entry.rows_quarantined) == (3, 3, 0)
        assert entry.fields_nulled == {f"{column}: value_out_of_range": 1}
        values = _query(warehouse, f"select {column} from raw.{name} order by _source_row")
        assert values[0] == (None,) and float(values[1][0]) == float(good)
        issues = _query(
            warehouse,
            "select source_row, reason_code, raw_value, reason_detail "
            f"from audit.landing_field_issues where table_name = '{name}'",
        )
        assert [i[:3] for i in issues] == [(1, "value_out_of_range", bad)]
        assert "outside its contract range" in issues[0][3]


def test_values_outside_the_vocabulary_land_null_or_quarantine_the_row(tmp_path: Path) -> None:
    """An optional vocabulary column with an unknown code lands NULL (the row is kept, recorded
    with value_not_in_vocabulary); a required one quarantines its row. Case and spaces are
    not a new code: ' Complaint ' is complaint, as staging reads it."""
    raw = tmp_path / "raw"
    contract = write_valid_raw(raw, include_optional=True)
    tickets = contract["support_tickets"]
    rows = valid_rows(tickets, range(1, 4))
    rows[0]["category"], rows[1]["category"] = "refund_request", " Complaint "
    (raw / "support_tickets.csv").write_text(
        csv_text(list(tickets.column_names), [[r[c] for c in tickets.column_names] for r in rows])
    )
    spend = contract["marketing_spend"]  # channel is required there
    rows = valid_rows(spend, range(1, 4))
    rows[2]["channel"] = "tv_ads"
    (raw / "marketing_spend.csv").write_text(
        csv_text(list(spend.column_names), [[r[c] for c in spend.column_names] for r in rows])
    )
    warehouse = Warehouse(tmp_path / "wh")
    report = land(raw, warehouse, progress=False)

    entry = report.table("support_tickets")
    assert (entry.rows_read, entry.rows_accepted, entry.rows_quarantined) == (3, 3, 0)
    assert entry.fields_nulled == {"category: value_not_in_vocabulary": 1}
    categories = _query(warehouse, "select category from raw.support_tickets order by _source_row")
    assert categories[0] == (None,) and categories[1] == (" Complaint ",)
    (detail,) = _query(
        warehouse,
        "select reason_detail from audit.landing_field_issues where table_name = 'support_tickets'",
    )
    assert "refund_request" in detail[0] and "complaint | technical" in detail[0]

    entry = report.table("marketing_spend")
    assert (entry.rows_read, entry.rows_accepted, entry.rows_quarantined) == (3, 2, 1)
    (quarantined,) = _query(
        warehouse,
        "select reason_code, column_name from audit.landing_quarantine "
        "where table_name = 'marketing_spend'",
    )
    assert quarantined == ("value_not_in_vocabulary", "channel")
