"""Replay a daily-batch raw folder as "history, then one more day", for the benchmark.

`cx360 generate --batches daily` writes `<table>/<YYYY-MM-DD>.parquet` per day. The benchmark
lands a folder holding, per table, every day but the last merged into one backfill batch
`<table>/<first day>_to_<day before last>.parquet` (the initial extract a new warehouse starts
from), then adds the last day's file and runs again: the incremental day, as a daily feed
arrives.

Why merge the history: the raw volume suite compares each batch with the previous ones, and
daily invoice batches follow billing cycles (a 10x spike on billing days), so landing two years
day by day is blocked as anomalous. One backfill batch is what a first load looks like anyway.
The merged file keeps the days in batch order and the rows in file order, so the current version
of every key (latest updated_at, then latest batch, then last row) is unchanged. Static tables
(single files) are hard-linked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from cx360.errors import Cx360Error


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def batch_day(relative: Path) -> str | None:
    """The day a batch file holds (`table/2026-06-30.parquet` -> 2026-06-30); None for a
    table stored as a single file."""
    if len(relative.parts) < 2:
        return None
    return relative.name.split(".", 1)[0]


def last_day(raw_dir: Path) -> str:
    days = {batch_day(p.relative_to(raw_dir)) for p in raw_dir.rglob("*.parquet")}
    days.discard(None)
    if not days:
        raise Cx360Error(
            f"{raw_dir} holds no daily batch folders",
            hint="generate it with --batches daily --format parquet",
        )
    return max(d for d in days if d is not None)


def _merge(files: list[Path], target: Path) -> int:
    """Concatenate parquet files in the given order, one file at a time (bounded memory)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = pq.read_schema(files[0])
    rows = 0
    with pq.ParquetWriter(target, schema, compression="snappy") as writer:
        for path in files:
            table = pq.read_table(path)
            writer.write_table(table.cast(schema) if table.schema != schema else table)
            rows += table.num_rows
    return rows


def stage_history(source: Path, staged: Path) -> str:
    """Fill `staged` (emptied first): per table folder one backfill batch of every day but the
    last, static tables as they are. Returns the last day, left out."""
    day = last_day(source)
    if staged.exists():
        shutil.rmtree(staged)
    staged.mkdir(parents=True)
    for entry in sorted(source.iterdir()):
        if entry.is_file():
            _link(entry, staged / entry.name)
            continue
        history = sorted(
            p for p in entry.glob("*.parquet") if batch_day(Path(entry.name, p.name)) != day
        )
        if history:
            name = f"{history[0].name.split('.', 1)[0]}_to_{history[-1].name.split('.', 1)[0]}"
            _merge(history, staged / entry.name / f"{name}.parquet")
    return day


def add_day(source: Path, staged: Path, day: str) -> int:
    """Add the batch files of `day` from `source` to `staged`; returns how many."""
    added = 0
    for path in sorted(source.glob(f"*/{day}.parquet")):
        _link(path, staged / path.relative_to(source))
        added += 1
    return added
