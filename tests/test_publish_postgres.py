"""Write-audit-publish on Postgres: dbt builds `marts__build`, the marts suites validate it,
publish swaps it in as `marts` in one transaction (cx360/publish.py).

A reader connected as the BI role (var bi_role) polls every marts table in one statement
through two rebuilds. It must only ever see the whole old marts or the whole new ones (each
table's content fingerprint taken from the same state), never a mix, never `permission denied`;
after a rebuild whose marts validation fails it still reads the old marts.
"""

from __future__ import annotations

import io
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest
from _orch_support import write_batch
from conftest import PostgresRun
from rich.console import Console

import cx360.pipeline as pipeline_module
from cx360.pipeline import run_pipeline
from cx360.validation import validate_marts
from cx360.warehouse import PostgresSettings, Warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BI_ROLE = "cx360_bi"  # dbt_project.yml var bi_role


@dataclass(frozen=True)
class Published:
    database: str
    raw_dir: Path
    warehouse: Warehouse
    tables: tuple[str, ...]


def _run(published: Published) -> tuple[int, str]:
    out = io.StringIO()
    status = run_pipeline(
        published.raw_dir,
        published.warehouse,
        progress=False,
        console=Console(file=out, width=200),
    )
    return status, out.getvalue()


@pytest.fixture(scope="module")
def published(postgres_run: PostgresRun) -> Published:
    """The shared published Postgres run (tests/conftest.py) and its marts tables."""
    with _admin(postgres_run.database) as cur:
        cur.execute(
            "select c.relname from pg_class as c join pg_namespace as n "
            "on n.oid = c.relnamespace where n.nspname = 'marts' "
            "and c.relkind in ('r', 'v') order by 1"
        )
        tables = tuple(t for (t,) in cur.fetchall())
    assert {"customer_360", "fct_kpi"} <= set(tables)
    return Published(postgres_run.database, postgres_run.raw_dir, postgres_run.warehouse, tables)


@pytest.fixture(autouse=True)
def _database(published: Published, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CX360_PG_DATABASE", published.database)


class _admin:
    """Cursor of the owner (autocommit) on the test database."""

    def __init__(self, database: str) -> None:
        self.con = psycopg2.connect(**PostgresSettings.from_env().connect_kwargs(database))
        self.con.autocommit = True

    def __enter__(self) -> psycopg2.extensions.cursor:
        return self.con.cursor()

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def _bi_connection(database: str) -> psycopg2.extensions.connection:
    kwargs = {**PostgresSettings.from_env().connect_kwargs(database), "user": BI_ROLE}
    con = psycopg2.connect(**kwargs)
    con.autocommit = True  # each poll is its own statement, like a BI tool's query
    return con


def _fingerprint_sql(tables: tuple[str, ...]) -> str:
    """One statement: per marts table, an md5 of all its rows (order-free)."""
    return "select " + ", ".join(
        f"(select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) "
        f'from marts."{table}" as t)'
        for table in tables
    )


def _state(published: Published) -> tuple[str, ...]:
    con = _bi_connection(published.database)
    try:
        with con.cursor() as cur:
            cur.execute(_fingerprint_sql(published.tables))
            return tuple(cur.fetchone())
    finally:
        con.close()


@dataclass
class Reader:
    """Polls the marts as the BI role in a thread until stopped."""

    published: Published
    states: list[tuple[str, ...]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        con = _bi_connection(self.published.database)
        query = _fingerprint_sql(self.published.tables)
        try:
            with con.cursor() as cur:
                while not self.stop.is_set():
                    try:
                        cur.execute(query)
                        self.states.append(tuple(cur.fetchone()))
                    except psycopg2.Error as err:
                        self.errors.append(f"{type(err).__name__}: {err}".strip())
                    time.sleep(0.01)
        finally:
            con.close()

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def _erase_one_customer(published: Published, batch: str) -> str:
    """A new erasure-request batch for a published customer: the next build differs."""
    with _admin(published.database) as cur:
        cur.execute("select min(customer_id) from marts.customer_360")
        (customer_id,) = cur.fetchone()
    write_batch(
        published.raw_dir,
        "erasure_requests",
        batch,
        [
            {
                "request_id": f"req-{batch}",
                "customer_id": customer_id,
                "requested_at": "2026-06-30T12:00:00",
            }
        ],
    )
    return customer_id


def test_bi_reads_whole_old_or_whole_new_marts_through_a_rebuild(published: Published) -> None:
    old = _state(published)
    erased = _erase_one_customer(published, "wap-1.csv")

    with Reader(published) as reader:
        status, output = _run(published)
        time.sleep(0.5)  # a few polls of the new state

    assert status == 0, output
    new = _state(published)
    assert new != old, "the rebuild must change the marts, or the test cannot see a mix"
    assert reader.errors == [], reader.errors[:3]
    assert len(reader.states) > 50
    mixed = {s for s in reader.states if s not in (old, new)}
    assert not mixed, f"{len(mixed)} mixed state(s) seen by BI"
    assert reader.states[0] == old and reader.states[-1] == new
    with _admin(published.database) as cur:
        cur.execute("select count(*) from marts.customer_360 where customer_id = %s", [erased])
        assert cur.fetchone() == (0,)
        cur.execute("select nspname from pg_namespace where nspname like 'marts%' order by 1")
        assert cur.fetchall() == [("marts",)]  # build and previous schemas are gone


def test_failed_marts_validation_leaves_the_old_marts(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _state(published)
    _erase_one_customer(published, "wap-2.csv")

    def corrupt_then_validate(warehouse: Warehouse, run_id: str, **kwargs: object):  # noqa: ANN202
        # a duplicated customer: the marts suite's unique customer_id check must reject it
        with _admin(published.database) as cur:
            cur.execute(
                "insert into marts__build.customer_360 "
                "select * from marts__build.customer_360 limit 1"
            )
        return validate_marts(warehouse, run_id, **kwargs)

    monkeypatch.setattr(pipeline_module, "validate_marts", corrupt_then_validate)
    with Reader(published) as reader:
        status, output = _run(published)
        time.sleep(0.3)

    assert status == 1, output
    assert "marts validation failed" in output and "nothing was published" in output
    assert reader.errors == [], reader.errors[:3]
    assert reader.states and set(reader.states) == {before}
    assert _state(published) == before
    # the rejected build stays for inspection, out of BI's reach
    con = _bi_connection(published.database)
    try:
        with con.cursor() as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("select count(*) from marts__build.customer_360")
    finally:
        con.close()


def test_a_mart_that_lost_its_active_customers_is_not_published(
    published: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mart guard on Postgres: the built marts (marts__build) against the published ones
    (marts) before the swap; a fall of active customers beyond the limit blocks publish."""
    before = _state(published)
    _erase_one_customer(published, "wap-guard.csv")

    def lose_customers_then_validate(warehouse: Warehouse, run_id: str, **kwargs: object):  # noqa: ANN202
        with _admin(published.database) as cur:  # as a wrongly accepted batch would
            cur.execute(
                "update marts__build.customer_360 set is_active = false "
                "where customer_id in (select customer_id from marts__build.customer_360 "
                "where is_active order by customer_id limit "
                "(select count(*) / 2 from marts__build.customer_360 where is_active))"
            )
        return validate_marts(warehouse, run_id, **kwargs)

    monkeypatch.setattr(pipeline_module, "validate_marts", lose_customers_then_validate)
    status, output = _run(published)

    assert status == 1, output
    drop = re.search(r"active customers fell from ([\d,]+) \(last published\) to ([\d,]+)", output)
    assert drop, output
    assert int(drop.group(2).replace(",", "")) < 0.6 * int(drop.group(1).replace(",", ""))
    assert _state(published) == before
