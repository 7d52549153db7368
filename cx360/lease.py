"""The warehouse lease: one run at a time reads and writes a warehouse, from its first read
(landing) to the end of its publish.

Without it two runs interleave: run B lands a batch that fails validation while run A builds,
A then builds on B's rows and publishes them. With it, the batch set a run validated is the set
it builds and publishes, because nothing else can land in between.

The lease is the file `<warehouse>/cx360.lease`, holding the holder's run id, host, pid and
start time as JSON. Taking it is atomic (the check-and-write runs under an flock of
`cx360.lease.guard`). A lease is stale, and taken over with a message, when its holder is gone:
same host and the pid no longer exists (a crash, SIGKILL), or, for a Dagster run, the run is
finished (`holder_finished`). A lease held by another host is never broken automatically: it
names the holder, and the operator deletes the file once that host's run is known dead.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from cx360.errors import WarehouseBusy

log = logging.getLogger("cx360.lease")

LEASE_NAME = "cx360.lease"


@dataclass(frozen=True)
class Holder:
    run_id: str
    host: str
    pid: int
    started_at: str

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.host}, since {self.started_at} UTC)"


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def lease_path(root: Path) -> Path:
    return Path(root) / LEASE_NAME


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def read_holder(root: Path) -> Holder | None:
    """The lease's holder, or None when the warehouse is free (no file, or an unreadable one
    left by a crash mid-write)."""
    try:
        data = json.loads(lease_path(root).read_text(encoding="utf-8"))
        return Holder(str(data["run_id"]), str(data["host"]), int(data["pid"]), data["started_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _is_stale(holder: Holder, holder_finished: Callable[[str], bool] | None) -> bool:
    if holder_finished is not None and holder_finished(holder.run_id):
        return True
    return holder.host == socket.gethostname() and not _pid_alive(holder.pid)


@contextmanager
def _guard(root: Path) -> Iterator[None]:
    with open(Path(root) / f"{LEASE_NAME}.guard", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def acquire(
    root: Path,
    run_id: str,
    *,
    pid: int | None = None,
    holder_finished: Callable[[str], bool] | None = None,
) -> Holder:
    """Take the lease for `run_id`, or raise WarehouseBusy naming the holder. Taking a lease
    the same run already holds is a no-op (the Dagster steps of one run each call this)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with _guard(root):
        current = read_holder(root)
        if current is not None and current.run_id == run_id:
            return current
        if current is not None:
            if not _is_stale(current, holder_finished):
                raise WarehouseBusy(
                    f"warehouse {root} is busy: {current.describe()} holds it",
                    hint="wait until that run ends, then run again; if it is known dead on "
                    f"another host, delete {lease_path(root)}",
                )
            log.warning("taking over the stale warehouse lease of %s", current.describe())
        holder = Holder(
            run_id=run_id,
            host=socket.gethostname(),
            pid=pid if pid is not None else os.getpid(),
            started_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        )
        temp = lease_path(root).with_name(f"{LEASE_NAME}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(asdict(holder)), encoding="utf-8")
        os.replace(temp, lease_path(root))
        return holder


def release(root: Path, run_id: str) -> None:
    """Give the lease back, if `run_id` holds it."""
    with _guard(root):
        current = read_holder(root)
        if current is not None and current.run_id == run_id:
            lease_path(root).unlink(missing_ok=True)


@contextmanager
def warehouse_lease(root: Path, run_id: str) -> Iterator[Holder]:
    """Hold the lease for the block (a whole `cx360 run`, a `cx360 land` or `cx360 accept`)."""
    holder = acquire(root, run_id)
    try:
        yield holder
    finally:
        release(root, run_id)
