"""Helpers shared by the pipeline and orchestration tests: small generated raw folders and
hand-made batch files appended to them."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from cx360.contract import load_contract
from cx360.generate import generate

# Small on purpose: the tests build dbt several times and run in CI on 2 cores.
CUSTOMERS = 200


def generated_raw(out: Path, *, seed: int = 5) -> Path:
    generate(
        customers=CUSTOMERS,
        seed=seed,
        out=out,
        fmt="csv",
        months=24,
        dirty_rate=0.02,
        batches="daily",
        progress=False,
    )
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_batch(raw_dir: Path, table: str, name: str, rows: list[dict[str, str]]) -> str:
    """Write raw_dir/<table>/<name> with the contract header; returns the batch name."""
    columns = load_contract()[table].column_names
    path = raw_dir / table / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])
    return f"{table}/{name}"


def ticket_rows(prefix: str, count: int, *, bad: int) -> list[dict[str, str]]:
    """Support tickets; the first `bad` have an unparseable opened_at (landing quarantines
    them as invalid_type)."""
    return [
        {
            "ticket_id": f"{prefix}-{i}",
            "requester_email": f"someone{i}@example.com",
            "channel": "email",
            "category": "billing",
            "priority": "normal",
            "opened_at": "not-a-timestamp" if i < bad else "2026-06-30T09:00:00",
            "status": "open",
            "reopen_count": "0",
            "updated_at": "2026-06-30T10:00:00",
        }
        for i in range(count)
    ]


def interaction_rows(prefix: str, count: int, *, bad: int) -> list[dict[str, str]]:
    return [
        {
            "interaction_id": f"{prefix}-{i}",
            "contact_email": f"someone{i}@example.com",
            "occurred_at": "31/06/2026 25:61" if i < bad else "2026-06-30T11:00:00",
            "channel": "web",
            "touchpoint": "support",
            "interaction_type": "session",
            "direction": "inbound",
            "duration_seconds": "60",
        }
        for i in range(count)
    ]
