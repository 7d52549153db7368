"""`cx360 dashboard`: run the Streamlit app on a warehouse folder's published database."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cx360.warehouse import Warehouse

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_command(
    warehouse_dir: Path, port: int, host: str, target: str = "duckdb"
) -> list[str]:
    """The `streamlit run` command line: headless (no browser opened on a server), no usage
    statistics sent, the toolbar in viewer mode (no Deploy button or developer menu: the
    readers are not the developers), the warehouse folder and target passed after `--`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        host,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--warehouse-dir",
        str(Path(warehouse_dir).resolve()),
        "--target",
        target,
    ]


def serve(
    warehouse_dir: Path, *, port: int = 8501, host: str = "127.0.0.1", target: str = "duckdb"
) -> int:
    """Become the Streamlit server (exec, so a signal to this process reaches the server and
    no orphan is left behind); returns only if the exec itself fails."""
    published = Warehouse(warehouse_dir).published_db
    if target == "duckdb" and not published.exists():
        # Not fatal: the app says so too, and shows the data as soon as a run publishes.
        print(
            f"cx360 dashboard: no published warehouse at {published} yet; "
            "run `cx360 run` to publish one",
            file=sys.stderr,
        )
    print(f"cx360 dashboard: http://{host}:{port}/ (Ctrl-C to stop)")
    sys.stdout.flush()
    command = streamlit_command(warehouse_dir, port, host, target)
    os.execv(command[0], command)
    return 1  # not reached: execv replaces the process or raises OSError
