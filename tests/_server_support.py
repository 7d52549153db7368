"""A port for a test's own web server (the Dagster UI, the Streamlit dashboard).

Why not bind port 0 and pass the number on: the kernel picks that port from its ephemeral range,
the same range it takes every outgoing connection's local port from. Between the probe closing
and the server binding (seconds, while it imports its code), the other pytest worker's Postgres,
Spark and HTTP clients open hundreds of connections, and one of them can take the port: the
server then exits with "address already in use" and the test sees "connection refused" (CI, stop
24). A port below the ephemeral range is never handed out implicitly, so only another explicit
bind can race for it; the probe still checks that nothing listens there now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PORT = 20000


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def unused_listen_port(host: str = "127.0.0.1") -> int:
    """A port in [20000, start of the ephemeral range) that nothing listens on at the moment."""
    top = _ephemeral_start()
    if top <= _LOWEST_PORT + 100:
        raise RuntimeError(f"the ephemeral port range starts at {top}: no room below it")
    for port in random.sample(range(_LOWEST_PORT, top), 50):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port found in [{_LOWEST_PORT}, {top}) after 50 tries")
