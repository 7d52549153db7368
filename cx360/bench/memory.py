"""Peak memory of the whole process tree (this process + dbt + a Spark JVM ...), sampled.

A child process's own peak (VmHWM) is lost when it exits and getrusage(RUSAGE_CHILDREN) only
keeps the largest single child, so a sampler thread sums the resident set size (RSS) of this
process and every descendant a few times per second and remembers the largest sum. Short
spikes between two samples are missed: the interval is the resolution of the figure.
"""

from __future__ import annotations

import resource
import threading
from dataclasses import dataclass, field
from types import TracebackType

import psutil

DEFAULT_INTERVAL_SECONDS = 0.2


def tree_rss_bytes(process: psutil.Process) -> int:
    """RSS of `process` and all its descendants now; processes that vanish count 0."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


@dataclass
class PeakMemorySampler:
    """Context manager: `peak_bytes` is the largest tree RSS seen while it was open.

    `mark()` starts a new window, so one sampler can report the peak of each stage too."""

    interval: float = DEFAULT_INTERVAL_SECONDS
    peak_bytes: int = 0
    window_peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _sample(self) -> None:
        current = tree_rss_bytes(psutil.Process())
        with self._lock:
            self.peak_bytes = max(self.peak_bytes, current)
            self.window_peak_bytes = max(self.window_peak_bytes, current)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def mark(self) -> int:
        """Return the peak since the previous mark (sampling once more first) and reset it."""
        self._sample()
        with self._lock:
            peak, self.window_peak_bytes = self.window_peak_bytes, 0
        return peak

    def __enter__(self) -> PeakMemorySampler:
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="cx360-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()


def largest_child_peak_bytes() -> int:
    """Largest peak RSS of any finished child (kernel's own figure, no sampling gap)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
