"""User-facing errors and the process exit codes: what went wrong, what to do about it, and
the status a script or scheduler can act on, never a bare stack trace.

The exit codes are the table of docs/operations.md, section "Exit codes"; `exit_code()` is the
one place that maps an error to its code.
"""

from __future__ import annotations

import errno
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    PUBLISHED = 0  # the run published (or the command did what it was asked)
    BLOCKED = 1  # a validation check or dbt test blocked publish; see the message's way out
    BAD_INPUT = 2  # the raw folder or the command line breaks the contract / usage
    WAREHOUSE_BUSY = 3  # another run holds the warehouse lease; try again when it ends
    OUT_OF_RESOURCES = 4  # out of disk or memory (or killed by the kernel for it)
    FAILED = 5  # a step failed for another reason (dbt model error, publish error)
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, the shell's convention)


class Cx360Error(Exception):
    """An error the user can act on. `hint` says what to do next. Unless a subclass says
    otherwise it is bad input or usage (exit 2): a name, folder or option to correct."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ContractError(Cx360Error):
    """Raw input breaks the landing contract as a whole (missing table or column)."""

    exit_code = ExitCode.BAD_INPUT


class BuildError(Cx360Error):
    """A dbt build, validation or publish step failed."""

    exit_code = ExitCode.FAILED


class WarehouseBusy(Cx360Error):
    """Another run holds the warehouse lease (cx360/lease.py)."""

    exit_code = ExitCode.WAREHOUSE_BUSY


class OutOfResources(Cx360Error):
    """Disk full, out of memory, or a child killed by the kernel: one line naming the cause,
    the folder and the fix (str() is that line; no hint paragraph, no log pages)."""

    exit_code = ExitCode.OUT_OF_RESOURCES

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}; {self.hint}"


def exit_code(err: BaseException) -> ExitCode:
    """The process exit status for an error that ended a command."""
    if isinstance(err, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(err, Cx360Error):
        return err.exit_code
    return ExitCode.FAILED


# Markers of an exhausted machine in messages of DuckDB, dbt and the OS.
DISK_FULL_MARKERS = ("No space left on device", "Disk quota exceeded")
MEMORY_MARKERS = ("Out of Memory Error", "Cannot allocate memory", "MemoryError")


def _disk_fix(folder: Path) -> str:
    return (
        f"free space in {folder} or point CX360_WAREHOUSE_DIR at a larger disk "
        "(sizes: docs/benchmarks.md, 'Disk at 10 M')"
    )


MEMORY_FIX = (
    "build one model at a time (CX360_THREADS=1) or lower CX360_MEMORY_LIMIT (default 6GB) "
    "so DuckDB spills to disk (docs/benchmarks.md, 'Memory at 10 M customers')"
)


def disk_full(step: str, folder: Path) -> OutOfResources:
    return OutOfResources(f"{step}: out of disk space in {folder}", _disk_fix(folder))


def out_of_memory(step: str, folder: Path) -> OutOfResources:
    return OutOfResources(f"{step}: out of memory (warehouse {folder})", MEMORY_FIX)


def killed_child(step: str, program: str, returncode: int, folder: Path) -> OutOfResources:
    """A child process (dbt) that ended by a signal: SIGKILL is how the kernel's OOM killer
    ends a process, so that one is named as memory."""
    try:
        name = signal.Signals(-returncode).name
    except ValueError:
        name = f"signal {-returncode}"
    cause = "most likely by the kernel, out of memory" if -returncode == signal.SIGKILL else name
    return OutOfResources(
        f"{step}: {program} was killed ({name}, {cause}; warehouse {folder})", MEMORY_FIX
    )


def resource_error_in(text: str, step: str, folder: Path) -> OutOfResources | None:
    """The resource error a message reports, if any."""
    if any(marker in text for marker in DISK_FULL_MARKERS):
        return disk_full(step, folder)
    if any(marker in text for marker in MEMORY_MARKERS):
        return out_of_memory(step, folder)
    return None


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def as_resource_error(err: BaseException, step: str, folder: Path) -> OutOfResources | None:
    """The OutOfResources an exception (or one it was raised from) stands for, if any."""
    for cause in _chain(err):
        if isinstance(cause, OutOfResources):
            return cause
        if isinstance(cause, MemoryError):
            return out_of_memory(step, folder)
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            return disk_full(step, folder)
        found = resource_error_in(str(cause), step, folder)
        if found is not None:
            return found
    return None


@contextmanager
def resource_errors(step: str, folder: Path) -> Iterator[None]:
    """Turn disk full / out of memory raised inside a step into OutOfResources naming the
    step and the folder (the original stays attached as __cause__ for a debugger)."""
    try:
        yield
    except Exception as err:
        found = as_resource_error(err, step, folder)
        if found is None or found is err:
            raise
        raise found from err
