"""Tests of `cx360 generate`: determinism, contract conformance, clean vs dirty data, batch
layout and the correlations the generator promises (docs/generator.md).

Everything is checked by reading the written files back with DuckDB, never by trusting the
generator's own bookkeeping.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from cx360.cli import main
from cx360.contract import load_contract
from cx360.errors import Cx360Error
from cx360.generate import COMPANY_TABLES, generate, shards, writer

CONTRACT = load_contract()
E164 = r"\+33\d{9}"  # the CRM's clean phone spelling
CUSTOMER_REFERENCES = {
    "crm_contracts": "customer_id",
    "crm_referrals": "referrer_customer_id",
    "billing_invoices": "customer_id",
    "billing_orders": "customer_id",
    "survey_responses": "customer_id",
    "support_tickets": "customer_id",
    "interactions": "customer_id",
    "product_reviews": "customer_id",
    "erasure_requests": "customer_id",
}


def _rows_differing(con: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """Rows in one relation and not the other, duplicates counted (EXCEPT ALL both ways)."""
    return con.execute(
        f"select count(*) from ((select * from {left} except all select * from {right}) "
        f"union all (select * from {right} except all select * from {left}))"
    ).fetchone()[0]


def _source(raw: Path, table: str) -> str:
    """A DuckDB table expression over a table's file or batch folder (typed, for parquet)."""
    for fmt in ("parquet", "csv"):
        single = raw / f"{table}.{fmt}"
        folder = raw / table
        if single.exists():
            path = single
        elif folder.is_dir() and any(folder.glob(f"*.{fmt}")):
            path = folder / f"*.{fmt}"
        else:
            continue
        if fmt == "parquet":
            return f"read_parquet('{path}')"
        columns = ", ".join(f"'{c}': 'VARCHAR'" for c in CONTRACT[table].column_names)
        return f"read_csv('{path}', header=true, columns={{{columns}}})"
    raise AssertionError(f"no file for {table} in {raw}")


def _typed(raw: Path, table: str) -> str:
    """The table with every column cast to its contract type (CSV text parsed strictly)."""
    source = _source(raw, table)
    if source.startswith("read_parquet"):
        return source
    casts = ", ".join(
        f"cast({c.name} as {c.duckdb_type}) as {c.name}" for c in CONTRACT[table].columns
    )
    return f"(select {casts} from {source})"


def _phone_key(column: str) -> str:
    """SQL: a phone as digits in international form (national 0... -> 33...)."""
    digits = f"regexp_replace({column}, '[^0-9]', '', 'g')"
    return (
        f"(case when starts_with({digits}, '00') then substr({digits}, 3) "
        f"when starts_with({digits}, '0') then '33' || substr({digits}, 2) else {digits} end)"
    )


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def clean_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean_parquet")
    generate(4000, 7, out, "parquet", 24, 0.0, "single", progress=False)
    return out


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean_csv")
    generate(1500, 7, out, "csv", 12, 0.0, "single", progress=False)
    return out


@pytest.fixture(scope="module")
def dirty_csv_daily(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dirty_csv_daily")
    generate(1500, 11, out, "csv", 12, 0.1, "daily", erasure_requests=3, progress=False)
    return out


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


# --- determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,batches", [("parquet", "single"), ("csv", "daily")])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str, batches: str) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(400, 3, a, fmt, 6, 0.05, batches, progress=False)
    generate(400, 3, b, fmt, 6, 0.05, batches, progress=False)
    generate(400, 4, c, fmt, 6, 0.05, batches, progress=False)
    files_a, files_b, files_c = _files(a), _files(b), _files(c)
    assert files_a == files_b
    assert files_a.keys() and files_a != files_c
    # a different seed changes the content of the big tables, not just one byte somewhere
    changed = [name for name in files_a if files_a[name] != files_c.get(name)]
    assert any(name.startswith("crm_customers") for name in changed)
    assert any(name.startswith("billing_invoices") for name in changed)


def test_rerun_into_same_folder_replaces_previous_output(tmp_path: Path) -> None:
    generate(300, 1, tmp_path, "csv", 3, 0.0, "daily", progress=False)
    generate(300, 1, tmp_path, "parquet", 3, 0.0, "single", progress=False)
    assert not list(tmp_path.rglob("*.csv"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.parquet" for name in CONTRACT
    )


# --- contract conformance ------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["clean_parquet", "clean_csv"])
def test_every_table_and_column_parses_as_its_contract_type(
    request: pytest.FixtureRequest, con: duckdb.DuckDBPyConnection, fixture: str
) -> None:
    raw: Path = request.getfixturevalue(fixture)
    for name, table in CONTRACT.items():
        relation = con.sql(f"select * from {_typed(raw, name)}")
        assert relation.columns == list(table.column_names), name
        types = dict(zip(relation.columns, [str(t) for t in relation.types], strict=True))
        for column in table.columns:
            assert types[column.name] == column.duckdb_type, (name, column.name)
        rows = con.execute(f"select count(*) from {_typed(raw, name)}").fetchone()[0]
        if name != "erasure_requests":
            assert rows > 0, name


def test_clean_data_has_no_defects(clean_parquet: Path, con: duckdb.DuckDBPyConnection) -> None:
    raw = clean_parquet
    customers = _typed(raw, "crm_customers")
    for name, table in CONTRACT.items():
        source = _typed(raw, name)
        key = ", ".join(table.key)
        dupes = con.execute(
            f"select count(*) from (select {key} from {source} group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0, f"{name}: duplicate keys"
        for column in table.columns:
            if column.required:
                nulls = con.execute(
                    f"select count(*) from {source} where {column.name} is null"
                ).fetchone()[0]
                assert nulls == 0, f"{name}.{column.name}: empty required value"
            if column.values:
                distinct = f"select distinct {column.name} from {source}"
                values = {v for (v,) in con.execute(distinct).fetchall()}
                assert values - {None} <= set(column.values), (name, column.name, values)
        if name in CUSTOMER_REFERENCES:
            ref = CUSTOMER_REFERENCES[name]
            unknown = con.execute(
                f"select count(*) from {source} t where {ref} is not null and not exists "
                f"(select 1 from {customers} c where c.customer_id = t.{ref})"
            ).fetchone()[0]
            assert unknown == 0, f"{name}.{ref}: unknown customer ids"
    out_of_range = con.execute(
        f"""select count(*) from {_typed(raw, "survey_responses")} r
        join {_typed(raw, "survey_definitions")} d using (survey_id, question_id)
        where r.score < d.scale_min or r.score > d.scale_max"""
    ).fetchone()[0]
    assert out_of_range == 0
    unmatched = con.execute(
        f"""select count(*) from {_typed(raw, "survey_responses")} r
        anti join {_typed(raw, "survey_definitions")} d using (survey_id, question_id)"""
    ).fetchone()[0]
    assert unmatched == 0
    ranges = con.execute(
        f"""select
            (select count(*) from {_typed(raw, "product_reviews")}
                where rating not between 1 and 5),
            (select count(*) from {_typed(raw, "network_incidents")}
                where severity not between 1 and 4),
            (select count(*) from {_typed(raw, "interactions")} where duration_seconds < 0),
            (select count(*) from {_typed(raw, "employee_survey_responses")}
                where score not between 0 and 10)"""
    ).fetchone()
    assert ranges == (0, 0, 0, 0)
    # identity-only rows exist, some spelled messily (stitching has work), and every one of
    # them matches a CRM customer once normalised
    for name, email_col, phone_col in (
        ("survey_responses", "respondent_email", None),
        ("support_tickets", "requester_email", "requester_phone"),
        ("interactions", "contact_email", "contact_phone"),
    ):
        messy_phone = phone_match = ""
        if phone_col:
            messy_phone = f"or not regexp_full_match(t.{phone_col}, '{E164}')"
            phone_match = f"or {_phone_key(f't.{phone_col}')} = {_phone_key('c.phone')}"
        total, messy, stitched = con.execute(
            f"""select count(*),
                count(*) filter (where t.{email_col} <> lower(trim(t.{email_col})) {messy_phone}),
                count(*) filter (where exists (select 1 from {customers} c
                    where lower(trim(t.{email_col})) = c.email {phone_match}))
            from {_typed(raw, name)} t where t.customer_id is null"""
        ).fetchone()
        assert total > 0 and messy > 0, name
        assert stitched == total, f"{name}: {total - stitched} identity-only rows match nobody"
    # every survey type of the contract is defined, the pillar survey has the 6 pillars
    types = {
        t
        for (t,) in con.execute(
            f"select survey_type from {_typed(raw, 'survey_definitions')}"
        ).fetchall()
    }
    assert types == {"nps", "csat", "ces", "loyalty", "pillar", "employee"}
    pillars = con.execute(
        f"select count(distinct pillar) from {_typed(raw, 'survey_definitions')} "
        "where survey_type = 'pillar'"
    ).fetchone()[0]
    assert pillars == 6


def test_clean_csv_follows_the_csv_conventions(clean_csv: Path) -> None:
    text = (clean_csv / "support_tickets.csv").read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    assert header.replace('"', "").split(",") == list(CONTRACT["support_tickets"].column_names)
    assert re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", first)  # ISO-8601
    assert ",," in text  # nulls are empty fields


def test_volume_is_about_thirty_rows_per_customer(clean_parquet: Path) -> None:
    con = duckdb.connect()
    total = sum(
        con.execute(f"select count(*) from {_typed(clean_parquet, name)}").fetchone()[0]
        for name in CONTRACT
        if name not in ("marketing_spend", "fx_rates")  # per day, not per customer
    )
    assert 22 <= total / 4000 <= 40


# --- dirty data ------------------------------------------------------------------------


def test_dirty_csv_contains_every_defect_kind(
    dirty_csv_daily: Path, con: duckdb.DuckDBPyConnection
) -> None:
    raw = dirty_csv_daily
    customers = _source(raw, "crm_customers")
    invoices = _source(raw, "billing_invoices")

    def one(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    # re-sent: the same row, word for word, twice
    resent = one(
        f"select count(*) from (select * from {invoices} group by all having count(*) > 1)"
    )
    assert resent > 0
    # updated: the same key with two different updated_at, the later one a different status
    updated = one(
        f"""select count(*) from (select invoice_id from {invoices}
        group by invoice_id having count(distinct updated_at) > 1
            and count(distinct status) > 1)"""
    )
    assert updated > 0
    # late: a ticket opened days before the batch file it arrived in
    late = one(
        f"""select count(*) from read_csv('{raw}/support_tickets/*.csv', filename=true,
            columns={{'ticket_id': 'VARCHAR', 'customer_id': 'VARCHAR',
            'requester_email': 'VARCHAR', 'requester_phone': 'VARCHAR', 'channel': 'VARCHAR',
            'category': 'VARCHAR', 'priority': 'VARCHAR', 'opened_at': 'VARCHAR',
            'first_response_at': 'VARCHAR', 'resolved_at': 'VARCHAR', 'closed_at': 'VARCHAR',
            'status': 'VARCHAR', 'reopen_count': 'VARCHAR', 'agent_id': 'VARCHAR',
            'updated_at': 'VARCHAR'}})
        where try_cast(regexp_extract(filename, '(\\d{{4}}-\\d{{2}}-\\d{{2}})', 1) as date)
            > try_cast(updated_at as timestamp)::date + 1"""
    )
    assert late > 0
    # messy identities: the CRM's own contact details typed messily, and people known only
    # by an e-mail that no CRM record has (after normalisation)
    messy_crm = one(
        f"select count(*) from {customers} where email <> lower(trim(email)) "
        "or not regexp_full_match(phone, '\\+33\\d{9}')"
    )
    strangers = one(
        f"""select count(*) from {_source(raw, "interactions")} t where customer_id is null
        and contact_email is not null and not exists (select 1 from {customers} c
            where lower(trim(c.email)) = lower(trim(t.contact_email)))"""
    )
    assert messy_crm > 0 and strangers > 0
    # out-of-range survey scores
    out_of_range = one(
        f"""select count(*) from {_source(raw, "survey_responses")} r
        join {_source(raw, "survey_definitions")} d using (survey_id, question_id)
        where try_cast(r.score as double) not between try_cast(d.scale_min as double)
            and try_cast(d.scale_max as double)"""
    )
    assert out_of_range > 0
    # unknown customer ids
    unknown = one(
        f"""select count(*) from {invoices} i
        where not exists (select 1 from {customers} c where c.customer_id = i.customer_id)"""
    )
    assert unknown > 0
    # bad types: text that does not cast to the contract type
    bad_amount = one(
        f"select count(*) from {invoices} "
        "where amount is not null and try_cast(amount as decimal(18,4)) is null"
    )
    bad_date = one(
        f"""select count(*) from {invoices}
        where (issued_at is not null and try_cast(issued_at as date) is null)
        or (updated_at is not null and try_cast(updated_at as timestamp) is null)"""
    )
    assert bad_amount + bad_date > 0
    # empty required fields
    missing = one(f"select count(*) from {invoices} where amount is null or issued_at is null")
    assert missing > 0


def test_dirty_parquet_keeps_contract_types(tmp_path: Path) -> None:
    """Bad types can only live in CSV: parquet columns stay typed, other defects remain."""
    generate(800, 2, tmp_path, "parquet", 6, 0.1, "single", progress=False)
    con = duckdb.connect()
    for name, table in CONTRACT.items():
        relation = con.sql(f"select * from read_parquet('{tmp_path / name}.parquet')")
        assert [str(t) for t in relation.types] == [c.duckdb_type for c in table.columns], name
    dupes = con.execute(
        f"""select count(*) from (select interaction_id from
        read_parquet('{tmp_path}/interactions.parquet') group by 1 having count(*) > 1)"""
    ).fetchone()[0]
    assert dupes > 0


# --- batches -------------------------------------------------------------------------------


def test_daily_batches_layout(dirty_csv_daily: Path) -> None:
    raw = dirty_csv_daily
    assert (raw / "survey_definitions.csv").is_file()  # static table: one file
    for name in CONTRACT:
        if name == "survey_definitions":
            continue
        folder = raw / name
        assert folder.is_dir(), name
        names = [p.name for p in folder.iterdir()]
        assert names and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.csv", n) for n in names), name
    days = sorted(p.stem for p in (raw / "billing_invoices").iterdir())
    assert len(days) > 100
    assert days[0] >= "2025-07-01" and days[-1] <= "2026-06-30"  # the 12-month window


def test_daily_and_single_batches_hold_the_same_rows(tmp_path: Path) -> None:
    generate(500, 9, tmp_path / "single", "parquet", 6, 0.05, "single", progress=False)
    generate(500, 9, tmp_path / "daily", "parquet", 6, 0.05, "daily", progress=False)
    con = duckdb.connect()
    for name in ("support_tickets", "crm_customers", "billing_invoices"):
        single = _source(tmp_path / "single", name)
        daily = _source(tmp_path / "daily", name)
        assert _rows_differing(con, single, daily) == 0, name


# --- correlations --------------------------------------------------------------------------


def test_detractors_churn_more_than_promoters(
    clean_parquet: Path, con: duckdb.DuckDBPyConnection
) -> None:
    raw = clean_parquet
    rates = dict(
        con.execute(
            f"""with nps as (
                select customer_id, avg(score) as score from {_typed(raw, "survey_responses")}
                where survey_id = 'S_NPS' and score is not null group by 1),
            running as (
                select customer_id, bool_or(ended_at is null) as running
                from {_typed(raw, "crm_contracts")} group by 1)
            select case when score >= 9 then 'promoter' when score <= 6 then 'detractor'
                else 'passive' end, avg(case when running then 0 else 1 end)
            from nps join running using (customer_id) group by 1"""
        ).fetchall()
    )
    assert rates["detractor"] > rates["promoter"] * 1.3


def test_older_customers_churn_less(clean_parquet: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Among customers active at the start of the window, the long-tenured churn less."""
    rates = dict(
        con.execute(
            f"""with c as (
                select customer_id, min(started_at) as started, max(coalesce(ended_at,
                    date '2099-01-01')) as ended
                from {_typed(clean_parquet, "crm_contracts")} group by 1)
            select started < date '2022-07-01' as old, avg(case when ended <= date '2026-06-30'
                then 1 else 0 end)
            from c where started < date '2024-07-01' and ended > date '2024-07-01' group by 1"""
        ).fetchall()
    )
    assert rates[True] < rates[False]


def test_network_incidents_raise_tickets_and_lower_scores(
    clean_parquet: Path, con: duckdb.DuckDBPyConnection
) -> None:
    raw = clean_parquet
    rows = con.execute(
        f"""with exposure as (
            select postal_code, sum(severity * date_diff('minute', started_at,
                coalesce(ended_at, timestamp '2026-07-01')) / 60.0) as hours
            from {_typed(raw, "network_incidents")} group by 1),
        area as (
            select c.postal_code, ntile(2) over (order by coalesce(e.hours, 0)) as half,
                c.customer_id
            from {_typed(raw, "crm_customers")} c left join exposure e using (postal_code)),
        tickets as (select customer_id, count(*) as n from {_typed(raw, "support_tickets")}
            where category = 'technical' group by 1),
        nps as (select customer_id, avg(score) as s from {_typed(raw, "survey_responses")}
            where survey_id = 'S_NPS' group by 1)
        select half, avg(coalesce(t.n, 0)), avg(n.s)
        from area a left join tickets t using (customer_id) left join nps n using (customer_id)
        group by half order by half"""
    ).fetchall()
    (_, calm_tickets, calm_nps), (_, bad_tickets, bad_nps) = rows
    assert bad_tickets > calm_tickets
    assert bad_nps < calm_nps


def test_seasonality_and_referrals(clean_parquet: Path, con: duckdb.DuckDBPyConnection) -> None:
    raw = clean_parquet
    orders = _typed(raw, "billing_orders")
    by_month = dict(
        con.execute(f"select month(ordered_at), count(*) from {orders} group by 1").fetchall()
    )
    average = sum(by_month.values()) / 12
    assert by_month[12] > 1.5 * average and by_month[11] > 1.3 * average
    referred, dangling = con.execute(
        f"""select count(o.referral_id), count(o.referral_id) - count(r.referral_id)
        from {orders} o left join {_typed(raw, "crm_referrals")} r using (referral_id)"""
    ).fetchone()
    assert referred > 0 and dangling == 0
    currencies = {
        c
        for (c,) in con.execute(
            f"select distinct currency from {_typed(raw, 'billing_invoices')}"
        ).fetchall()
    }
    rates = {
        c
        for (c,) in con.execute(
            f"select distinct currency from {_typed(raw, 'fx_rates')}"
        ).fetchall()
    }
    assert len(currencies) >= 3 and currencies <= rates


# --- options -----------------------------------------------------------------------------


def test_erasure_requests_only_when_asked(dirty_csv_daily: Path, clean_parquet: Path) -> None:
    con = duckdb.connect()
    assert (
        con.execute(f"select count(*) from {_typed(clean_parquet, 'erasure_requests')}").fetchone()[
            0
        ]
        == 0
    )
    asked = con.execute(
        f"select count(distinct request_id) from {_source(dirty_csv_daily, 'erasure_requests')}"
    )
    assert asked.fetchone()[0] == 3


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"customers": 0}, "--customers"),
        ({"dirty_rate": 0.9}, "--dirty-rate"),
        ({"months": 0}, "--months"),
        ({"end_date": "2026-13-45"}, "--end-date"),
        ({"fmt": "xlsx"}, "format"),
        ({"batches": "hourly"}, "batches"),
    ],
)
def test_bad_options_give_a_clear_error(tmp_path: Path, kwargs: dict, message: str) -> None:
    args = {"customers": 10, "seed": 1, "out": tmp_path, "progress": False} | kwargs
    with pytest.raises(Cx360Error, match=message):
        generate(**args)


def test_cli_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["generate", "--customers", "200", "--seed", "1", "--out", str(tmp_path),
         "--format", "csv", "--months", "3", "--end-date", "2025-12-31"]
    )  # fmt: skip
    assert code == 0
    assert (tmp_path / "crm_customers.csv").is_file()
    assert "crm_customers" in capsys.readouterr().out  # the summary table
    assert main(["generate", "--customers", "0", "--out", str(tmp_path)]) == 2


def test_latest_version_of_an_updated_row_is_the_clean_row(tmp_path: Path) -> None:
    """Defects do not change the generated world: the same seed gives the same rows with and
    without dirt, and for a key seen in several versions the latest updated_at is the clean
    row (so staging's deduplication recovers the truth)."""
    generate(800, 5, tmp_path / "clean", "parquet", 12, 0.0, "single", progress=False)
    generate(800, 5, tmp_path / "dirty", "parquet", 12, 0.2, "single", progress=False)
    con = duckdb.connect()
    for name, key in (("billing_invoices", "invoice_id"), ("support_tickets", "ticket_id")):
        clean = f"read_parquet('{tmp_path}/clean/{name}.parquet')"
        dirty = f"read_parquet('{tmp_path}/dirty/{name}.parquet')"
        versions, mismatched = con.execute(
            f"""with multi as (
                select {key} from {dirty} group by 1 having count(distinct updated_at) > 1),
            latest as (
                select d.* from {dirty} d join multi using ({key})
                qualify row_number() over (partition by {key} order by updated_at desc) = 1)
            select count(*), count(*) filter (where l.status is distinct from c.status
                or l.updated_at is distinct from c.updated_at)
            from latest l join {clean} c using ({key})"""
        ).fetchone()
        assert versions > 0, name
        assert mismatched == 0, name
    clean, dirty = (
        f"read_parquet('{tmp_path}/{v}/billing_invoices.parquet')" for v in ("clean", "dirty")
    )
    same_keys = con.execute(
        f"select count(*) from (select invoice_id from {clean} "
        f"except select invoice_id from {dirty})"
    ).fetchone()[0]
    assert same_keys == 0


# --- customer shards -------------------------------------------------------------------
# A run above the shard size is generated shard after shard (cx360/generate/shards.py).
# Three shards of 400 customers exercise every path at test size.

SHARD = 400
CUSTOMER_TABLES = [name for name in CONTRACT if name not in COMPANY_TABLES]


def _customer_number(column: str) -> str:
    """SQL: C00000042 -> 42 (the number in a customer id)."""
    return f"cast(substr({column}, 2) as bigint)"


@pytest.fixture(scope="module")
def sharded_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sharded_clean")
    generate(3 * SHARD, 5, out, "parquet", 6, 0.0, "daily", progress=False, shard_customers=SHARD)
    return out


@pytest.fixture(scope="module")
def one_shard_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsharded run of one shard's size, same seed: the sharded run's shard 0."""
    out = tmp_path_factory.mktemp("one_shard_clean")
    generate(SHARD, 5, out, "parquet", 6, 0.0, "daily", progress=False)
    return out


def test_sharded_run_keeps_the_layout_and_unique_keys(
    sharded_clean: Path, con: duckdb.DuckDBPyConnection
) -> None:
    raw = sharded_clean
    # no scratch left; one file per table and day (rows of all shards), daily names only;
    # the static table and the empty one (no erasure asked) stay single files
    single = {"survey_definitions", "erasure_requests"}
    assert {p.name for p in raw.iterdir()} == {
        f"{name}.parquet" if name in single else name for name in CONTRACT
    }
    for name in set(CONTRACT) - single:
        names = [p.name for p in (raw / name).iterdir()]
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.parquet", n) for n in names), name
    for name, table in CONTRACT.items():
        source = _typed(raw, name)
        key = ", ".join(table.key)
        dupes = con.execute(
            f"select count(*) from (select {key} from {source} group by all having count(*) > 1)"
        ).fetchone()[0]
        assert dupes == 0, f"{name}: a key repeats across shards"
    customers = _typed(raw, "crm_customers")
    count, low, high, emails, phones = con.execute(
        f"select count(*), min({_customer_number('customer_id')}), "
        f"max({_customer_number('customer_id')}), count(distinct email), "
        f"count(distinct phone) from {customers}"
    ).fetchone()
    assert (count, low, high) == (3 * SHARD, 1, 3 * SHARD)
    known = con.execute(
        f"select count(email), count(phone) from {customers}"
    ).fetchone()  # fmt: skip
    assert (emails, phones) == known  # unique contact details across shards


def test_sharded_run_references_resolve(
    sharded_clean: Path, con: duckdb.DuckDBPyConnection
) -> None:
    raw = sharded_clean
    customers = _typed(raw, "crm_customers")
    for name, ref in CUSTOMER_REFERENCES.items():
        unknown = con.execute(
            f"select count(*) from {_typed(raw, name)} t where {ref} is not null and not exists "
            f"(select 1 from {customers} c where c.customer_id = t.{ref})"
        ).fetchone()[0]
        assert unknown == 0, f"{name}.{ref}"
    for name, column, parent in (
        ("billing_invoices", "contract_id", "crm_contracts"),
        ("billing_orders", "referral_id", "crm_referrals"),
    ):
        dangling = con.execute(
            f"select count(*) from {_typed(raw, name)} t where {column} is not null and not "
            f"exists (select 1 from {_typed(raw, parent)} p where p.{column} = t.{column})"
        ).fetchone()[0]
        assert dangling == 0, f"{name}.{column}"
    # the tickets of every shard are handled by the run's one staff: max(24, N / 300)
    agents = con.execute(
        f"select max(cast(substr(agent_id, 2) as int)), count(distinct agent_id) "
        f"from {_typed(raw, 'support_tickets')}"
    ).fetchone()
    assert agents[0] <= 24 and agents[1] > 5


def test_shard_zero_is_the_unsharded_run(
    sharded_clean: Path, one_shard_clean: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Shard 0 draws from the streams of an unsharded run: its customers and their rows
    are those of a run of one shard's size (company tables are sized alike here)."""
    for name, column in (
        ("crm_customers", "customer_id"),
        ("billing_invoices", "customer_id"),
        ("support_tickets", "customer_id"),
    ):
        # rows known by customer id (identity-only rows have none to place them by)
        shard0, alone = (
            f"(select * from {_typed(raw, name)} where {_customer_number(column)} <= {SHARD})"
            for raw in (sharded_clean, one_shard_clean)
        )
        assert _rows_differing(con, shard0, alone) == 0, name


def test_sharded_totals_scale_with_the_customers(
    sharded_clean: Path, one_shard_clean: Path, con: duckdb.DuckDBPyConnection
) -> None:
    for name in ("billing_invoices", "interactions", "survey_responses", "crm_contracts"):
        three, one = (
            con.execute(f"select count(*) from {_typed(raw, name)}").fetchone()[0]
            for raw in (sharded_clean, one_shard_clean)
        )
        assert 2.5 * one <= three <= 3.5 * one, name


def test_sharded_spend_follows_every_shards_acquisitions(
    sharded_clean: Path, tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    """Marketing spend is drawn once from the acquisitions of all shards: the same as an
    unsharded run of the same size spends (so cost per acquisition stays realistic)."""
    generate(3 * SHARD, 5, tmp_path, "parquet", 6, 0.0, "single", progress=False)
    cac = []
    for raw in (sharded_clean, tmp_path):
        spend, joined = con.execute(
            f"""select (select sum(amount) from {_typed(raw, "marketing_spend")}),
                (select count(*) from {_typed(raw, "crm_customers")}
                    where created_at >= date '2026-01-01')"""
        ).fetchone()
        cac.append(float(spend) / joined)
    assert 0.85 * cac[1] <= cac[0] <= 1.15 * cac[1]


def test_sharded_dirty_run_sums_defects_and_keeps_unknown_ids_unknown(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    customers = 3 * SHARD
    result = generate(
        customers, 6, tmp_path, "csv", 6, 0.1, "single",
        erasure_requests=6, progress=False, shard_customers=SHARD,
    )  # fmt: skip
    one = generate(SHARD, 6, tmp_path / "one", "csv", 6, 0.1, "single", progress=False)
    total = result.defects.counts

    def customer_defects(counts: dict[tuple[str, str], int]) -> int:
        return sum(n for (name, _), n in counts.items() if name in CUSTOMER_TABLES)

    # defects of the customer tables add up over the shards (company tables are made once)
    assert customer_defects(total) > 2.5 * customer_defects(one.defects.counts)
    for name in CUSTOMER_TABLES:
        rows = con.execute(f"select count(*) from {_source(tmp_path, name)}").fetchone()[0]
        assert rows == result.rows[name], name  # the summary covers every shard
    assert total[("billing_invoices", "unknown_customer")] > 0
    assert (
        con.execute(
            f"select count(distinct request_id) from {_source(tmp_path, 'erasure_requests')}"
        ).fetchone()[0]
        == 6
    )
    crm = _source(tmp_path, "crm_customers")
    for name, ref in CUSTOMER_REFERENCES.items():
        unknown = con.execute(
            f"select count(*), count(*) filter (where try_cast(substr({ref}, 2) as bigint) "
            f"<= {customers}) from {_source(tmp_path, name)} t where {ref} is not null "
            f"and not exists (select 1 from {crm} c where c.customer_id = t.{ref})"
        ).fetchone()
        assert unknown[1] == 0, f"{name}: an unknown customer id that a shard may hold"


@pytest.mark.parametrize("fmt,batches", [("parquet", "daily"), ("parquet", "single")])
def test_sharded_run_is_deterministic(tmp_path: Path, fmt: str, batches: str) -> None:
    runs = []
    for name in ("a", "b"):
        generate(
            3 * SHARD, 8, tmp_path / name, fmt, 3, 0.05, batches,
            progress=False, shard_customers=SHARD,
        )  # fmt: skip
        runs.append(_files(tmp_path / name))
    assert runs[0] == runs[1]


def test_runs_up_to_one_shard_are_not_sharded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """N <= shard size takes the unsharded path, the one that gives the bytes of the
    generator before sharding (docs/generator.md, Sharding): no sharded writer is made, and
    the bytes equal those of a run with sharding out of reach (a huge shard size). CSV
    bytes are compared: pyarrow's parquet bytes of some dictionary columns vary between
    runs in one process (same values), see the same docs section."""

    def no_sharding(*args: object, **kwargs: object) -> None:
        raise AssertionError("a run of one shard used the sharded writer")

    monkeypatch.setattr(writer, "ShardedTable", no_sharding)
    generate(SHARD, 3, tmp_path / "pq", "parquet", 3, 0.05, "daily",
             progress=False, shard_customers=SHARD)  # fmt: skip
    for batches in ("daily", "single"):
        exact, huge = tmp_path / f"exact_{batches}", tmp_path / f"huge_{batches}"
        generate(SHARD, 3, exact, "csv", 3, 0.05, batches, progress=False, shard_customers=SHARD)
        generate(SHARD, 3, huge, "csv", 3, 0.05, batches, progress=False, shard_customers=10**9)
        assert _files(exact) == _files(huge)


def test_numbering_continues_and_widens_only_when_needed() -> None:
    run = shards.split(2_500, 1_000)
    assert [(s.first, s.size) for s in run] == [(0, 1_000), (1_000, 1_000), (2_000, 500)]
    assert sum(s.share_of(7) for s in run) == 7
    numbering = run[0].numbering
    # 2.5 x 3,000 x 1.25 margin fits 5 digits: the usual width stays
    assert numbering.claim("t", 3_000, 5) == (0, 5)
    assert numbering.claim("t", 3_100, 5) == (3_000, 5)
    # 2.5 x 50,000 x 1.25 = 156,250 does not fit 5 digits: 6 from the first shard on
    assert numbering.claim("u", 50_000, 5) == (0, 6)
    # unsharded: the exact count decides, instead of failing on a fixed width
    alone = shards.split(10, 1_000)[0].numbering
    assert alone.claim("v", 99_999, 5) == (0, 5)
    assert alone.claim("w", 100_000, 5) == (0, 6)


def test_bad_shard_size_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Cx360Error, match="shard_customers"):
        generate(10, 1, tmp_path, progress=False, shard_customers=0)
