"""Replay a daily-batch raw folder one day late, for the incremental benchmark.

`cx360 generate --batches daily` writes `<table>/<YYYY-MM-DD>.<fmt>` per day. The benchmark
lands a copy that holds every day but the last (the full run), then adds the last day's files
and runs again (the incremental day), exactly as a daily feed would arrive. Files are hard
links (no copy, no extra disk) where the file system allows, else copies.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
    days = {batch_day(p.relative_to(raw_dir)) for p in raw_dir.rglob("*") if p.is_file()}
    days.discard(None)
    if not days:
        raise Cx360Error(
            f"{raw_dir} holds no daily batch folders",
            hint="generate it with --batches daily",
        )
    return max(d for d in days if d is not None)


def stage_all_but_last_day(source: Path, staged: Path) -> str:
    """Fill `staged` (emptied first) with every file of `source` except the last day's.
    Returns that last day."""
    day = last_day(source)
    if staged.exists():
        shutil.rmtree(staged)
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and batch_day(relative) != day:
            _link(path, staged / relative)
    return day


def add_day(source: Path, staged: Path, day: str) -> int:
    """Add the batch files of `day` from `source` to `staged`; returns how many."""
    added = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_file() and batch_day(relative) == day:
            _link(path, staged / relative)
            added += 1
    return added
