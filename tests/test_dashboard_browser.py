"""The dashboard in a real browser (headless Debian chromium through Playwright).

A warehouse is built once from generated data with the real pipeline (`cx360 generate` then
`cx360 run`); each test serves a copy of its published file with `cx360 dashboard` on a free
port. The headline numbers are read from the page text and compared with marts.fct_kpi read
here, directly; filters must move them to the filtered rows. Screenshots of every page go to
docs/img/ (used by docs/dashboard.md).

Set CX360_TEST_PUBLISHED_WAREHOUSE=<warehouse dir> to reuse an already published warehouse
instead of building one (its cx360.duckdb is copied, never modified).

Chromium: `apt-get install -y chromium` (scripts/install_chromium.sh); never `playwright install`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "docs" / "img"
CHROMIUM = Path(os.environ.get("CX360_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 90
RENDER_SECONDS = 60
# Headline label on the executive page -> (kpi_name, decimals the page rounds to).
HEADLINES = {
    "NPS": ("nps", 1),
    "CSAT": ("csat", 1),
    "CES": ("ces", 1),
    "Churn rate": ("churn_rate", 1),
    "Retention rate": ("retention_rate", 1),
    "CLV (historical)": ("clv_historical", 2),
    "CAC": ("cac", 2),
    "MTTR": ("mttr_hours", 1),
}
# The service page's headlines, same rules.
SERVICE_HEADLINES = {
    "MTTR": ("mttr_hours", 1),
    "First response": ("first_response_hours", 1),
    "First contact resolution": ("first_contact_resolution_rate", 1),
    "Complaints per 1,000 customers": ("complaint_rate", 1),
}
# url path -> title the page shows; "" is the default page (executive view).
PAGES = {
    "": "Executive view",
    "segments": "Segments and value tiers",
    "journey": "Touchpoint journey",
    "cohorts": "Cohort retention",
    "service": "Service",
    "network": "Network quality",
    "customers-to-act-on": "Customers to act on",
}

pytestmark = pytest.mark.slow


# --- fixtures ---------------------------------------------------------------------------


def _cx360(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cx360.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="session")
def published_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published cx360.duckdb built by the real pipeline from generated data."""
    reuse = os.environ.get("CX360_TEST_PUBLISHED_WAREHOUSE")
    if reuse:
        path = Path(reuse) / "cx360.duckdb"
        assert path.exists(), f"CX360_TEST_PUBLISHED_WAREHOUSE has no {path}"
        return path
    root = tmp_path_factory.mktemp("dashboard")
    generated = _cx360(
        "generate", "--customers", "800", "--seed", "5", "--out", str(root / "raw"), timeout=600
    )
    assert generated.returncode == 0, generated.stderr[-3000:]
    run = _cx360(
        "run", "--raw-dir", str(root / "raw"), "--warehouse-dir", str(root / "wh"), timeout=3600
    )
    assert run.returncode == 0, f"cx360 run failed:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    return root / "wh" / "cx360.duckdb"


@pytest.fixture
def warehouse_dir(published_db: Path, tmp_path: Path) -> Path:
    """A warehouse folder holding a copy of the published file (tests may replace it)."""
    folder = tmp_path / "wh"
    folder.mkdir()
    shutil.copy2(published_db, folder / "cx360.duckdb")
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), (
        f"no chromium at {CHROMIUM}: run scripts/install_chromium.sh (apt-get install chromium)"
    )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    url: str
    process: subprocess.Popen[str]


def _start_dashboard(warehouse_dir: Path, log: Path) -> Dashboard:
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cx360.cli",
                "dashboard",
                "--warehouse-dir",
                str(warehouse_dir),
                "--port",
                str(port),
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"dashboard exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return Dashboard(url, process)
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise AssertionError(
        f"dashboard did not answer within {SERVER_START_SECONDS}s:\n{log.read_text()}"
    )


def _stop(dashboard: Dashboard) -> None:
    dashboard.process.terminate()
    try:
        dashboard.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        dashboard.process.kill()
        dashboard.process.wait()


@pytest.fixture
def dashboard(warehouse_dir: Path, tmp_path: Path) -> Iterator[Dashboard]:
    served = _start_dashboard(warehouse_dir, tmp_path / "dashboard.log")
    yield served
    _stop(served)


# --- reading the truth from the published file and the numbers from the page ---------------


def _query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _reporting_month(db: Path) -> dt.date:
    """The month the dashboard opens on: the last full month (kpi_reporting_window), else the
    newest month of fct_kpi."""
    window = _query(db, "select last_full_month_start from marts.kpi_reporting_window")
    if window and window[0][0] is not None:
        return window[0][0]
    return _query(db, "select max(period_start) from marts.fct_kpi where period_grain='month'")[0][
        0
    ]


Headlines = dict[str, tuple[str, int]]


def _expected(
    db: Path, month: dt.date, segment: str | None = None, headlines: Headlines = HEADLINES
) -> dict[str, float | None]:
    """Headline values straight from fct_kpi: the segment row when the KPI has one."""
    expected: dict[str, float | None] = {}
    for label, (kpi, _) in headlines.items():
        rows = _query(
            db,
            """
            select dimension_name, value from marts.fct_kpi
            where kpi_name = ? and period_grain = 'month' and period_start = ?
              and ((dimension_name = 'overall')
                   or (dimension_name = 'segment' and dimension_value = ?))
            """,
            [kpi, month, segment or ""],
        )
        by_dimension = dict(rows)
        expected[label] = by_dimension.get("segment", by_dimension.get("overall"))
    return expected


NUMBER = re.compile(r"-?[\d,]*\.?\d+")


def _shown_metrics(page: Page) -> dict[str, str]:
    shown: dict[str, str] = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def _mismatches(
    shown: dict[str, str], expected: dict[str, float | None], headlines: Headlines
) -> list[str]:
    problems = []
    for label, value in expected.items():
        text = shown.get(label)
        decimals = headlines[label][1]
        if text is None:
            problems.append(f"{label}: not on the page")
        elif value is None:
            if text != "n/a":
                problems.append(f"{label}: page {text!r}, fct_kpi has no value")
        else:
            match = NUMBER.search(text)
            number = float(match.group().replace(",", "")) if match else None
            if number is None or abs(number - value) > 0.5 * 10**-decimals + 1e-9:
                problems.append(f"{label}: page {text!r}, fct_kpi {value:.4f}")
    return problems


def _wait_for_headlines(
    page: Page, expected: dict[str, float | None], headlines: Headlines = HEADLINES
) -> dict[str, str]:
    """Poll until the page shows the expected numbers (Streamlit reruns asynchronously)."""
    deadline = time.monotonic() + RENDER_SECONDS
    problems: list[str] = ["never read"]
    shown: dict[str, str] = {}
    while time.monotonic() < deadline:
        shown = _shown_metrics(page)
        problems = _mismatches(shown, expected, headlines)
        if not problems:
            return shown
        page.wait_for_timeout(500)
    raise AssertionError("headline numbers differ from marts.fct_kpi:\n  " + "\n  ".join(problems))


def _wait_rendered(page: Page, title: str) -> None:
    page.get_by_role("heading", name=re.compile(re.escape(title))).first.wait_for(
        timeout=RENDER_SECONDS * 1000
    )
    # the script has finished once the "running" status widget is gone
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=RENDER_SECONDS * 1000,
    )
    page.wait_for_timeout(1000)  # let charts draw before a screenshot
    errors = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not errors, f"page {title!r} raised:\n{errors[0]}"


def _choose(page: Page, widget_label: str, option: str) -> None:
    """Pick an option of a sidebar selectbox, as a user does."""
    page.get_by_role("combobox", name=widget_label).click()
    page.get_by_role("option", name=option, exact=True).click()


def _check_export(page: Page, db: Path) -> None:
    """The CSV export holds the list the page shows: every retention target, in rank order."""
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    expected = [
        r[0]
        for r in _query(db, "select customer_id from marts.retention_targets order by target_rank")
    ]
    assert [row["customer_id"] for row in rows] == expected
    shown = _shown_metrics(page)["Customers to act on"]
    assert int(shown.replace(",", "")) == len(expected)


# --- tests ------------------------------------------------------------------------------


def test_every_page_renders_and_headlines_equal_fct_kpi(
    dashboard: Dashboard, warehouse_dir: Path, page: Page
) -> None:
    db = warehouse_dir / "cx360.duckdb"
    month = _reporting_month(db)
    page.goto(dashboard.url + "/")
    _wait_rendered(page, "Executive view")
    overall = _wait_for_headlines(page, _expected(db, month))
    assert month.strftime("%b %Y") in page.locator('[data-testid="stMain"] h1').first.inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    (run_id,) = _query(db, "select run_id from audit.publish_log order by published_at desc")[0]
    assert run_id in sidebar and "Validation passed" in sidebar
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard_executive.png", full_page=True)

    for url_path, title in PAGES.items():
        if not url_path:
            continue
        page.goto(f"{dashboard.url}/{url_path}")
        _wait_rendered(page, title)
        alerts = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()
        assert not any("has no" in alert for alert in alerts), f"{title}: {alerts}"
        page.screenshot(path=SCREENSHOTS / f"dashboard_{url_path}.png", full_page=True)
        if url_path == "service":
            _wait_for_headlines(
                page, _expected(db, month, headlines=SERVICE_HEADLINES), SERVICE_HEADLINES
            )
        if url_path == "customers-to-act-on":
            _check_export(page, db)

    # The segment filter (a user picking it in the sidebar) moves the numbers to its rows.
    segments = [
        r[0]
        for r in _query(
            db,
            "select distinct dimension_value from marts.fct_kpi where kpi_name = 'nps' "
            "and dimension_name = 'segment' order by 1",
        )
    ]
    segment = max(
        segments,
        key=lambda s: abs(
            (_expected(db, month, s)["NPS"] or 0) - (_expected(db, month)["NPS"] or 0)
        ),
    )
    page.goto(dashboard.url + "/")
    _wait_rendered(page, "Executive view")
    _choose(page, "Segment", segment)
    filtered = _wait_for_headlines(page, _expected(db, month, segment))
    assert filtered["NPS"] != overall["NPS"], "the segment filter did not change NPS"
    assert f"segment={segment}" in page.url  # the filter is shareable through the URL

    # The period filter through the URL: an earlier month shows that month's rows.
    earlier = _query(
        db,
        "select max(period_start) from marts.fct_kpi where kpi_name = 'nps' "
        "and period_grain = 'month' and period_start < ?",
        [month],
    )[0][0]
    page.goto(f"{dashboard.url}/?month={earlier:%Y-%m}")
    _wait_rendered(page, "Executive view")
    shown = _wait_for_headlines(page, _expected(db, earlier))
    assert shown != overall or _expected(db, earlier) == _expected(db, month)


def test_serves_published_data_while_a_refresh_holds_the_build_db(
    warehouse_dir: Path, tmp_path: Path, page: Page
) -> None:
    """A refresh in progress holds the build database's write lock; the dashboard only reads
    the published file, so it starts, serves the last publish, and shows the next publish as
    soon as it replaces the file."""
    build_db = warehouse_dir / "build" / "cx360_build.duckdb"
    build_db.parent.mkdir(parents=True)
    ready = tmp_path / "writer-ready"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, pathlib, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "con.execute('begin transaction')\n"
            "con.execute('create table refresh_in_progress as select 1 as n')\n"
            "pathlib.Path(sys.argv[2]).touch()\n"
            "time.sleep(600)\n",
            str(build_db),
            str(ready),
        ]
    )
    dashboard = None
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "writer did not start"
            time.sleep(0.2)
        with pytest.raises(duckdb.IOException):  # the lock is really held
            duckdb.connect(str(build_db), read_only=True)

        dashboard = _start_dashboard(warehouse_dir, tmp_path / "dashboard.log")
        db = warehouse_dir / "cx360.duckdb"
        month = _reporting_month(db)
        page.goto(dashboard.url + "/")
        _wait_rendered(page, "Executive view")
        before = _expected(db, month)
        _wait_for_headlines(page, before)

        # A new publish replaces the file atomically (as cx360.publish does): NPS moved.
        staged = warehouse_dir / "cx360.duckdb.publishing-test"
        shutil.copy2(db, staged)
        with duckdb.connect(str(staged)) as con:
            con.execute(
                "update marts.fct_kpi set value = value - 7.5 where kpi_name = 'nps' "
                "and period_grain = 'month' and dimension_name = 'overall' and period_start = ?",
                [month],
            )
            con.execute(
                "insert into audit.publish_log select 'run-after-refresh', now()::timestamp, "
                "true, table_name, row_count from audit.publish_log limit 1"
            )
        os.replace(staged, db)
        page.reload()
        _wait_rendered(page, "Executive view")
        after = _expected(db, month)
        assert after["NPS"] == pytest.approx((before["NPS"] or 0) - 7.5)
        _wait_for_headlines(page, after)
        assert "run-after-refresh" in page.locator('[data-testid="stSidebar"]').inner_text()
        assert writer.poll() is None, "the writer lost its lock"
    finally:
        if dashboard is not None:
            _stop(dashboard)
        writer.terminate()
        writer.wait(timeout=20)
