"""`cx360 ui`: the Dagster web UI and daemon (schedules, sensors, run queue) over this project.

DAGSTER_HOME defaults to <project>/.dagster_home/ and receives orchestration/dagster.yaml (run
queue with one warehouse writer at a time). The code location reads its raw folder and
warehouse from CX360_RAW_DIR / CX360_WAREHOUSE_DIR / CX360_TARGET, set here from the options.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cx360.warehouse import PROJECT_DIR

INSTANCE_TEMPLATE = Path(__file__).with_name("dagster.yaml")
CODE_LOCATION = ["-m", "orchestration.definitions", "-d", str(PROJECT_DIR)]


def prepare_dagster_home(home: Path) -> Path:
    """Create DAGSTER_HOME with the project's instance settings (kept if already edited) and
    its storage.

    The storage (SQLite run, event and schedule databases) is created here, once, before the
    daemon and the webserver start: each would otherwise create it on first use, and two
    processes doing that at the same moment stamp the schema version twice ("Version table
    'alembic_version' has more than one head present"), after which the code location fails
    to load in every later process.
    """
    from dagster import DagsterInstance

    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_TEMPLATE, config)
    DagsterInstance.from_config(str(home)).dispose()
    return home


def ui_environment(
    *, raw_dir: Path, warehouse_dir: Path, target: str, dagster_home: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(dagster_home.resolve()),
        "CX360_RAW_DIR": str(Path(raw_dir).resolve()),
        "CX360_WAREHOUSE_DIR": str(Path(warehouse_dir).resolve()),
        "CX360_TARGET": target,
    }


def _tool(name: str) -> str:
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def start_processes(
    env: dict[str, str], *, host: str, port: int
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """Start (daemon, webserver); the caller owns both processes."""
    # Parse the dbt manifest once here: the two processes would otherwise race to write it.
    subprocess.run(
        [sys.executable, "-c", "from orchestration.dbt_project import cx360_dbt_project as p; p()"],
        env=env,
        cwd=PROJECT_DIR,
        check=True,
    )
    daemon = subprocess.Popen(
        [_tool("dagster-daemon"), "run", *CODE_LOCATION], env=env, cwd=PROJECT_DIR
    )
    webserver = subprocess.Popen(
        [_tool("dagster-webserver"), "-h", host, "-p", str(port), *CODE_LOCATION],
        env=env,
        cwd=PROJECT_DIR,
    )
    return daemon, webserver


def serve(*, raw_dir: Path, warehouse_dir: Path, target: str, host: str, port: int) -> int:
    home = Path(os.environ.get("DAGSTER_HOME", PROJECT_DIR / ".dagster_home"))
    env = ui_environment(
        raw_dir=raw_dir,
        warehouse_dir=warehouse_dir,
        target=target,
        dagster_home=prepare_dagster_home(home),
    )
    daemon, webserver = start_processes(env, host=host, port=port)
    print(f"cx360 ui: http://{host}:{port}  (DAGSTER_HOME={env['DAGSTER_HOME']}; Ctrl-C stops)")
    try:
        return webserver.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (webserver, daemon):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
