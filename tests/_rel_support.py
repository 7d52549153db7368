"""A small generated dataset run once through the whole pipeline and published (DuckDB), shared
by the reliability and privacy tests (test_pii.py, test_erasure.py): a full run costs about a
minute on 2 cores, so it is built once per pytest session (cached under pytest's basetemp).

Next to the generated erasure requests, the dataset holds traces of an erased customer that
only erasure by identity finds (add_erasure_traces): a re-registration under a new id with the
same e-mail (other case, padded) and the phone in national format, a ticket naming the erased
id in lower case, a ticket rejected at landing that holds the reformatted phone, and a DD/MM
birth date on the re-registration (landed NULL, recorded with its key)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from _orch_support import write_batch
from rich.console import Console

from cx360.dbt_runner import dbt_paths
from cx360.generate import generate
from cx360.pipeline import run_pipeline
from cx360.run_settings import RunSettings
from cx360.warehouse import Warehouse

CUSTOMERS = 200
SEED = 21
DIRTY_RATE = 0.05
ERASURE_REQUESTS = 3
# add_erasure_traces(): the new id the erased customer registers again under
REREGISTERED_ID = "C09999999"
TRACES_BATCH = "9999-12-31-traces.csv"  # sorts after every generated daily batch


@dataclass(frozen=True)
class ErasureTraces:
    """Identifiers of one erased customer as the traces spell them."""

    customer_id: str
    case_variant_id: str
    reregistered_id: str
    email_as_reregistered: str
    phone_reformatted: str
    phone_national_digits: str


def _rows(folder: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows += list(csv.DictReader(handle))
    return rows


def add_erasure_traces(raw_dir: Path) -> ErasureTraces:
    """Write the trace batches (idempotent) for the first erased customer with e-mail and an
    international phone; returns how the traces spell them."""
    requested = {r["customer_id"].strip() for r in _rows(raw_dir / "erasure_requests")}
    crm = [
        r
        for r in _rows(raw_dir / "crm_customers")
        if r["customer_id"].strip() in requested
        and r["email"].strip()
        and r["phone"].strip().startswith("+33")
    ]
    person = sorted(crm, key=lambda r: (r["customer_id"].strip(), r["updated_at"]))[-1]
    customer_id = person["customer_id"].strip()
    national = "0" + person["phone"].strip().removeprefix("+33").replace(" ", "")
    reformatted = " ".join(national[i : i + 2] for i in range(0, len(national), 2))
    email = "  " + person["email"].strip().upper() + " "
    write_batch(
        raw_dir,
        "crm_customers",
        TRACES_BATCH,
        # a DD/MM birth date lands NULL, recorded with the row's key in audit.landing_field_issues
        [
            {
                **person,
                "customer_id": REREGISTERED_ID,
                "email": email,
                "phone": reformatted,
                "birth_date": "31/12/1980",
            }
        ],
    )
    ticket = {
        "channel": "email",
        "category": "billing",
        "priority": "normal",
        "opened_at": "2026-06-30T09:00:00",
        "status": "open",
        "reopen_count": "0",
        "updated_at": "2026-06-30T10:00:00",
    }
    write_batch(
        raw_dir,
        "support_tickets",
        TRACES_BATCH,
        [
            {**ticket, "ticket_id": "T-TRACE-1", "customer_id": customer_id.lower()},
            {**ticket, "ticket_id": "T-TRACE-2", "customer_id": REREGISTERED_ID},
            # rejected at landing (opened_at), kept as delivered: holds the phone as written
            {
                **ticket,
                "ticket_id": "T-TRACE-3",
                "requester_phone": reformatted,
                "opened_at": "not-a-timestamp",
            },
        ],
    )
    return ErasureTraces(
        customer_id=customer_id,
        case_variant_id=customer_id.lower(),
        reregistered_id=REREGISTERED_ID,
        email_as_reregistered=email,
        phone_reformatted=reformatted,
        phone_national_digits=national[1:],
    )


@dataclass(frozen=True)
class PublishedRun:
    raw_dir: Path
    warehouse: Warehouse

    @property
    def manifest(self) -> Path:
        return dbt_paths(self.warehouse)[0] / "manifest.json"

    def published(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse.published_db), read_only=True)

    def build(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse.build_db), read_only=True)


def run_quietly(
    raw_dir: Path, warehouse: Warehouse, settings: RunSettings | None = None
) -> tuple[int, str]:
    out = io.StringIO()
    status = run_pipeline(
        raw_dir,
        warehouse,
        progress=False,
        console=Console(file=out, width=200),
        settings=settings,
    )
    return status, out.getvalue()


def published_run(tmp_path_factory: pytest.TempPathFactory) -> PublishedRun:
    root = tmp_path_factory.getbasetemp() / "rel_published_run"
    run = PublishedRun(root / "raw", Warehouse(root / "wh"))
    done = root / "published.ok"
    if done.exists():
        return run
    generate(
        customers=CUSTOMERS,
        seed=SEED,
        out=run.raw_dir,
        fmt="csv",
        months=12,
        dirty_rate=DIRTY_RATE,
        batches="daily",
        erasure_requests=ERASURE_REQUESTS,
        progress=False,
    )
    add_erasure_traces(run.raw_dir)
    status, output = run_quietly(run.raw_dir, run.warehouse)
    assert status == 0, output
    done.touch()
    return run


def published_tables(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> list[str]:
    """`schema.table` of every table in a connection (one schema if given)."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('information_schema', 'pg_catalog') "
        "and (? is null or table_schema = ?) order by 1, 2",
        [schema, schema],
    ).fetchall()
    return [f'{s}."{t}"' for s, t in rows]


def columns(con: duckdb.DuckDBPyConnection, qualified: str) -> dict[str, str]:
    """Column name -> DuckDB type of a table."""
    return {name: kind for name, kind, *_ in con.execute(f"describe {qualified}").fetchall()}
