"""Access on Postgres: the read-only BI role (var bi_role, cx360_bi) reads `marts` and nothing
else. Granted by the on-run-end hook (macros/grants.sql) and the publish swap (cx360/publish.py);
tested by connecting as that role.

Reads the shared Postgres run of tests/conftest.py (postgres_run).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
from conftest import PostgresRun

from cx360.warehouse import PostgresSettings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

BI_ROLE = "cx360_bi"  # dbt_project.yml var bi_role


@pytest.fixture(scope="module")
def database(postgres_run: PostgresRun) -> str:
    """The shared published Postgres run (tests/conftest.py): landed, built by dbt with its
    grant hook, validated and swapped in by publish."""
    return postgres_run.database


def _connect_as_bi(database: str) -> psycopg2.extensions.connection:
    settings = PostgresSettings.from_env()
    kwargs = {**settings.connect_kwargs(database), "user": BI_ROLE, "password": ""}
    return psycopg2.connect(**kwargs)


@pytest.fixture
def bi(database: str) -> Iterator[psycopg2.extensions.cursor]:
    con = _connect_as_bi(database)
    con.autocommit = True  # one failed statement must not poison the next
    try:
        with con.cursor() as cur:
            yield cur
    finally:
        con.close()


def test_bi_role_reads_the_marts(bi: psycopg2.extensions.cursor) -> None:
    bi.execute("select current_user")
    assert bi.fetchone() == (BI_ROLE,)
    bi.execute("select count(*), count(distinct customer_id) from marts.customer_360")
    rows, customers = bi.fetchone()
    assert rows > 0 and rows == customers


@pytest.mark.parametrize(
    "relation",
    ["staging.stg_crm__customers", "raw.crm_customers", "audit.quarantine"],
)
def test_bi_role_cannot_read_internal_schemas(
    bi: psycopg2.extensions.cursor, relation: str
) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied"):
        bi.execute(f"select count(*) from {relation}")


@pytest.mark.parametrize(
    "statement",
    [
        "delete from marts.customer_360",
        "update marts.customer_360 set segment = 'x'",
        "insert into marts.customer_360 (customer_id) values ('intruder')",
        "create table marts.bi_scratch (n int)",
        "drop table marts.customer_360",
    ],
)
def test_bi_role_cannot_write_marts(bi: psycopg2.extensions.cursor, statement: str) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        bi.execute(statement)


def test_every_mart_table_is_readable(bi: psycopg2.extensions.cursor) -> None:
    """The hook grants every table of marts, not just customer_360 (tables dbt recreated)."""
    bi.execute(
        "select c.relname, has_table_privilege(c.oid, 'select') from pg_class as c "
        "join pg_namespace as n on n.oid = c.relnamespace "
        "where n.nspname = 'marts' and c.relkind in ('r', 'v', 'm', 'p')"
    )
    privileges = dict(bi.fetchall())
    assert "customer_360" in privileges
    assert all(privileges.values()), [t for t, ok in privileges.items() if not ok]


def test_bi_role_exists_only_as_a_reader(database: str) -> None:
    admin = psycopg2.connect(**PostgresSettings.from_env().connect_kwargs(database))
    try:
        with admin.cursor() as cur:
            cur.execute(
                "select rolsuper, rolcreatedb, rolcreaterole from pg_roles where rolname = %s",
                [BI_ROLE],
            )
            assert cur.fetchone() == (False, False, False)
    finally:
        admin.close()
