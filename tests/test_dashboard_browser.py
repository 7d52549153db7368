"""The dashboard in a real browser (headless Debian chromium through Playwright).

A warehouse is built once from generated data with the real pipeline (`cx360 generate` then
`cx360 run`); each test serves a copy of its published file with `cx360 dashboard` on a free
port. The headline numbers are read from the page text and compared with marts.fct_kpi read
here, directly, at every grain; filters must move them to the filtered rows. A change resting
on fewer answers than the registry's minimum must be grey, a drill-down must list exactly the
rows its value counts, a retail-only warehouse must show no empty page, and the same dashboard
must serve a Postgres build through the read-only BI role. With CX360_SCREENSHOTS=<folder>
(`make screenshots`: docs/img, used by docs/dashboard.md) screenshots of every page go there.

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
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg2
import pytest
from _server_support import unused_listen_port
from conftest import PostgresRun
from playwright.sync_api import Browser, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from cx360.warehouse import PostgresSettings

REPO = Path(__file__).resolve().parent.parent
# `make screenshots` sets CX360_SCREENSHOTS=docs/img: the shots docs/dashboard.md shows. Off in
# `make test`: a test run leaves the repository as it was, and the 13 full-page shots (each
# after a resize and 2.5 s for the charts to redraw) cost ~40 s of the suite's critical path.
SCREENSHOTS = Path(os.environ["CX360_SCREENSHOTS"]) if os.environ.get("CX360_SCREENSHOTS") else None
SERVER_START_SECONDS = 90
RENDER_SECONDS = 120  # the machine running it may be shared and busy
# Executive headline KPIs -> decimals the page rounds to; labels come from marts.dim_kpi.
HEADLINES = {
    "nps": 1,
    "csat": 1,
    "ces": 1,
    "churn_rate": 1,
    "retention_rate": 1,
    "clv_historical": 2,
    "cac": 2,
    "mttr_hours": 1,
}
SERVICE_HEADLINES = {
    "mttr_hours": 1,
    "first_response_hours": 1,
    "first_contact_resolution_rate": 1,
    "complaint_rate": 1,
}
# url path -> title the page shows; "" is the default page (executive view).
PAGES = {
    "": "Executive view",
    "experience": "Voice of the customer",
    "segments": "Segments and value tiers",
    "journey": "Touchpoint journey",
    "cohorts": "Cohort retention",
    "service": "Service",
    "network": "Network quality",
    "customers-to-act-on": "Customers to act on",
    "drilldown": "Drill-down",
}
GRAINS = ("week", "month", "quarter")

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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@dataclass
class Dashboard:
    url: str
    process: subprocess.Popen[str]


def _start_dashboard(
    warehouse_dir: Path, log: Path, target: str = "duckdb", env: dict[str, str] | None = None
) -> Dashboard:
    port = unused_listen_port()
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
                "--target",
                target,
            ],
            cwd=REPO,
            env={**os.environ, **(env or {})},
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


# --- reading the truth from the published marts and the numbers from the page ------------


@dataclass(frozen=True)
class Pg:
    """A Postgres database read as the build user (the truth the BI role's page must show)."""

    database: str


Truth = Path | Pg


def _query(db: Truth, sql: str, params: list[object] | None = None) -> list[tuple]:
    if isinstance(db, Pg):
        settings = PostgresSettings.from_env()
        con = psycopg2.connect(**settings.connect_kwargs(db.database))
        try:
            with con.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), params or [])
                return cur.fetchall()
        finally:
            con.close()
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _reporting_month(db: Truth) -> dt.date:
    """The month the dashboard opens on: the last full month (kpi_reporting_window), else the
    newest month of fct_kpi."""
    window = _query(db, "select last_full_month_start from marts.kpi_reporting_window")
    if window and window[0][0] is not None:
        return window[0][0]
    return _query(db, "select max(period_start) from marts.fct_kpi where period_grain='month'")[0][
        0
    ]


def _default_period(db: Truth, grain: str) -> dt.date:
    """The period the sidebar opens on at a grain: the newest starting on or before the
    reporting month's first day."""
    month = _reporting_month(db)
    return _query(
        db,
        "select max(period_start) from marts.fct_kpi where period_grain = ? and period_start <= ?",
        [grain, month],
    )[0][0]


def _label(period: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{period:%Y-%m}"
    if grain == "quarter":
        return f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    return period.isoformat()


def _labels(db: Truth) -> dict[str, str]:
    return dict(_query(db, "select kpi_name, label from marts.dim_kpi"))


Headlines = dict[str, int]


def _expected(
    db: Truth,
    period: dt.date,
    segment: str | None = None,
    headlines: Headlines = HEADLINES,
    grain: str = "month",
) -> dict[str, tuple[float | None, int]]:
    """Headline values straight from fct_kpi, by registry label: the segment row when the KPI
    has one. KPIs without rows at the grain are left out (the page does not show them)."""
    labels = _labels(db)
    expected: dict[str, tuple[float | None, int]] = {}
    for kpi, decimals in headlines.items():
        has_grain = _query(
            db,
            "select count(*) from marts.fct_kpi where kpi_name = ? and period_grain = ?",
            [kpi, grain],
        )[0][0]
        if not has_grain:
            continue
        rows = _query(
            db,
            """
            select dimension_name, value from marts.fct_kpi
            where kpi_name = ? and period_grain = ? and period_start = ?
              and ((dimension_name = 'overall')
                   or (dimension_name = 'segment' and dimension_value = ?))
            """,
            [kpi, grain, period, segment or ""],
        )
        by_dimension = dict(rows)
        value = by_dimension.get("segment", by_dimension.get("overall"))
        expected[labels[kpi]] = (None if value is None else float(value), decimals)
    return expected


NUMBER = re.compile(r"-?[\d,]*\.?\d+")


def _shown_metrics(page: Page) -> dict[str, str]:
    shown: dict[str, str] = {}
    for metric in page.locator('[data-testid="stMetric"]').all():
        label = metric.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def _mismatches(shown: dict[str, str], expected: dict[str, tuple[float | None, int]]) -> list[str]:
    problems = []
    for label, (value, decimals) in expected.items():
        text = shown.get(label)
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
    page: Page, expected: dict[str, tuple[float | None, int]]
) -> dict[str, str]:
    """Poll until the page shows the expected numbers (Streamlit reruns asynchronously)."""
    assert expected, "no headline KPI to compare"
    deadline = time.monotonic() + RENDER_SECONDS
    problems: list[str] = ["never read"]
    shown: dict[str, str] = {}
    while time.monotonic() < deadline:
        shown = _shown_metrics(page)
        problems = _mismatches(shown, expected)
        if not problems:
            return shown
        page.wait_for_timeout(500)
    raise AssertionError("headline numbers differ from marts.fct_kpi:\n  " + "\n  ".join(problems))


def _wait_rendered(page: Page, title: str) -> None:
    page.get_by_role("heading", name=re.compile(re.escape(title))).first.wait_for(
        timeout=RENDER_SECONDS * 1000
    )
    # the script has finished: the app says so (the attribute Streamlit's own browser tests
    # wait on) and the "running" status widget is gone; _screenshot waits for charts to draw
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=RENDER_SECONDS * 1000
    )
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=RENDER_SECONDS * 1000,
    )
    page.wait_for_timeout(100)  # the last deltas of the run reach the page
    errors = page.locator('[data-testid="stException"]').all_inner_texts()
    assert not errors, f"page {title!r} raised:\n{errors[0]}"


def _choose(page: Page, widget_label: str, option: str) -> None:
    """Pick an option of a sidebar selectbox, as a user does."""
    box = page.get_by_role("combobox", name=widget_label)
    box.scroll_into_view_if_needed()
    box.click()
    option_item = page.get_by_role("option", name=option, exact=True)
    try:
        option_item.click(timeout=10_000)
    except PlaywrightTimeoutError:  # the list opened off screen: type the option instead
        box.fill(option)
        page.keyboard.press("Enter")


def _download(page: Page, button: str = "Export CSV") -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    text = Path(download.value.path()).read_text("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _check_export(page: Page, db: Truth) -> None:
    """The CSV export holds the list the page shows: every retention target."""
    rows = _download(page)
    expected = {r[0] for r in _query(db, "select customer_id from marts.retention_targets")}
    assert {row["Customer"] if "Customer" in row else row["customer_id"] for row in rows} == (
        expected
    )
    shown = _shown_metrics(page)["Customers to act on"]
    assert int(shown.replace(",", "")) == len(expected)
    # ranked by value at risk, highest first
    at_risk = [float(row["value_at_risk"]) for row in rows]
    assert at_risk == sorted(at_risk, reverse=True)


def _delta_colour(page: Page, label: str) -> tuple[int, int, int]:
    """RGB colour of the change under a metric card."""
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    colour = card.locator('[data-testid="stMetricDelta"]').first.evaluate(
        "e => getComputedStyle(e).color"
    )
    r, g, b = (int(x) for x in re.findall(r"\d+", colour)[:3])
    return r, g, b


def _screenshot(page: Page, name: str) -> None:
    """The whole page, when screenshots are asked for (SCREENSHOTS): Streamlit scrolls inside
    its main container, so the viewport is made as tall as the content for the shot (full_page
    alone would cut it at the window)."""
    if SCREENSHOTS is None:
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "Math.max(...Array.from(document.querySelectorAll('[data-testid=\"stMain\"] *'))"
        ".map(e => e.scrollHeight), 1000)"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 80, 7000)})
    page.wait_for_timeout(1500)
    # a resize can redraw the widgets: wait until no placeholder skeleton is left
    page.wait_for_function(
        '!document.querySelector(\'[data-testid="stSkeleton"], [data-testid="stStatusWidget"]\')',
        timeout=RENDER_SECONDS * 1000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=SCREENSHOTS / f"dashboard_{name}.png")
    page.set_viewport_size({"width": 1400, "height": 1000})


def _is_grey(rgb: tuple[int, int, int]) -> bool:
    return max(rgb) - min(rgb) <= 30


def _visit_every_page(
    page: Page, base_url: str, db: Truth, screenshots: bool, pages: dict[str, str] = PAGES
) -> None:
    month = _reporting_month(db)
    for url_path, title in pages.items():
        page.goto(f"{base_url}/{url_path}")
        _wait_rendered(page, title)
        alerts = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()
        assert not any("has no" in alert for alert in alerts), f"{title}: {alerts}"
        if screenshots:
            _screenshot(page, url_path or "executive")
        if url_path == "":
            _wait_for_headlines(page, _expected(db, month))
        if url_path == "service":
            _wait_for_headlines(page, _expected(db, month, headlines=SERVICE_HEADLINES))
        if url_path == "customers-to-act-on":
            _check_export(page, db)


# --- tests ------------------------------------------------------------------------------


def test_every_page_and_grain_renders_and_headlines_equal_fct_kpi(
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
    # Streamlit's Deploy button and developer menu are hidden (toolbarMode viewer).
    assert page.get_by_role("button", name="Deploy").count() == 0
    _visit_every_page(page, dashboard.url, db, screenshots=True)

    # Every grain, through the URL: the headlines are that grain's rows of fct_kpi.
    for grain in GRAINS:
        period = _default_period(db, grain)
        page.goto(f"{dashboard.url}/?grain={grain}&period={_label(period, grain)}")
        _wait_rendered(page, "Executive view")
        _wait_for_headlines(page, _expected(db, period, grain=grain))
        for url_path in ("experience", "service"):
            page.goto(f"{dashboard.url}/{url_path}?grain={grain}&period={_label(period, grain)}")
            _wait_rendered(page, PAGES[url_path])
        if grain == "week":
            page.goto(f"{dashboard.url}/?grain=week&period={_label(period, grain)}")
            _wait_rendered(page, "Executive view")
            _screenshot(page, "executive_week")

    # Year on year: the change is measured against the same month a year before.
    page.goto(f"{dashboard.url}/?compare=same+period+last+year")
    _wait_rendered(page, "Executive view")
    deltas = page.locator('[data-testid="stMetricDelta"]').all_inner_texts()
    assert deltas and all("year on year" in d for d in deltas), deltas

    # The segment filter (a user picking it in the sidebar) moves the numbers to its rows.
    labels = _labels(db)
    segments = [
        r[0]
        for r in _query(
            db,
            "select distinct dimension_value from marts.fct_kpi where kpi_name = 'nps' "
            "and dimension_name = 'segment' order by 1",
        )
    ]

    def nps(segment: str | None) -> float:
        return _expected(db, month, segment)[labels["nps"]][0] or 0.0

    segment = max(segments, key=lambda s: abs(nps(s) - nps(None)))
    page.goto(dashboard.url + "/")
    _wait_rendered(page, "Executive view")
    _choose(page, "Segment", segment)
    filtered = _wait_for_headlines(page, _expected(db, month, segment))
    assert filtered[labels["nps"]] != overall[labels["nps"]], "the segment filter did not move NPS"
    assert f"segment={segment}" in page.url  # the filter is shareable through the URL

    # The period filter through the URL: an earlier month shows that month's rows.
    earlier = _query(
        db,
        "select max(period_start) from marts.fct_kpi where kpi_name = 'nps' "
        "and period_grain = 'month' and period_start < ?",
        [month],
    )[0][0]
    page.goto(f"{dashboard.url}/?period={earlier:%Y-%m}")
    _wait_rendered(page, "Executive view")
    _wait_for_headlines(page, _expected(db, earlier))


def test_a_change_on_too_few_answers_is_not_coloured(
    dashboard: Dashboard, warehouse_dir: Path, page: Page
) -> None:
    """The issue's "-40.0 vs previous month on 10 answers": a month whose NPS rests on fewer
    answers than dim_kpi.min_sample, and moved, shows its change in grey; a count (a census)
    that moved the same month is coloured, so the check can tell the two apart."""
    db = warehouse_dir / "cx360.duckdb"
    (min_sample, label) = _query(
        db, "select min_sample, label from marts.dim_kpi where kpi_name = 'nps'"
    )[0]
    candidates = _query(
        db,
        """
        with m as (
            select period_start, value, sample_size,
                lag(value) over (order by period_start) as previous
            from marts.fct_kpi
            where kpi_name = 'nps' and period_grain = 'month' and dimension_name = 'overall'
        ),
        counts as (
            select period_start, value - lag(value) over (order by period_start) as moved
            from marts.fct_kpi
            where kpi_name = 'active_customers' and period_grain = 'month'
              and dimension_name = 'overall'
        )
        select m.period_start, m.sample_size, m.value - m.previous
        from m inner join counts using (period_start)
        where m.sample_size < ? and abs(m.value - m.previous) >= 5 and counts.moved != 0
        order by m.period_start desc
        limit 1
        """,
        [min_sample],
    )
    assert candidates, "the test data has no NPS month below the minimum sample that moved"
    period, n, change = candidates[0]
    page.goto(f"{dashboard.url}/?period={period:%Y-%m}")
    _wait_rendered(page, "Executive view")
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    delta = card.locator('[data-testid="stMetricDelta"]').first.inner_text()
    assert f"{abs(change):.1f}" in delta, (delta, change)
    assert _is_grey(_delta_colour(page, label)), f"NPS change {change:+.1f} on n = {n} coloured"
    caption = page.locator('[data-testid="stMain"]').inner_text()
    assert f"n = {n:,}" in caption
    assert f"n below the minimum sample of {min_sample}" in caption
    labels = _labels(db)
    assert not _is_grey(_delta_colour(page, labels["active_customers"])), (
        "a moved count (census) should be coloured: the colour check cannot tell"
    )


def test_a_drill_down_lists_exactly_the_rows_counted_in_its_value(
    dashboard: Dashboard, warehouse_dir: Path, page: Page
) -> None:
    """From the NPS card's link to the answers behind it, and by URL to the tickets behind a
    category's MTTR: the rows listed and exported are exactly fct_kpi's sample_size, with
    hashed customer ids and no contact data."""
    db = warehouse_dir / "cx360.duckdb"
    month = _reporting_month(db)
    (nps_n,) = _query(
        db,
        "select sample_size from marts.fct_kpi where kpi_name = 'nps' and period_grain = 'month'"
        " and period_start = ? and dimension_name = 'overall'",
        [month],
    )[0]
    page.goto(dashboard.url + "/")
    _wait_rendered(page, "Executive view")
    page.get_by_role("link", name=f"the {nps_n:,} rows behind it").first.click()
    _wait_rendered(page, "Drill-down")
    shown = _shown_metrics(page)
    assert shown["Rows listed"] == f"{nps_n:,}" and shown["n in fct_kpi"] == f"{nps_n:,}"
    rows = _download(page)
    assert len(rows) == nps_n
    assert "customer_id" not in rows[0] and "email" not in rows[0]
    assert all(
        re.fullmatch(r"[0-9a-f]{16}", r["customer_hash"]) for r in rows if r["customer_hash"]
    )
    expected_scores = sorted(
        float(r[0])
        for r in _query(
            db,
            "select score from marts.fct_survey_answers where survey_type = 'nps' and score is "
            "not null and answered_date >= ? and answered_date < ?",
            [month, dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)],
        )
    )
    assert sorted(float(r["score"]) for r in rows) == expected_scores

    category, tickets = _query(
        db,
        "select dimension_value, sample_size from marts.fct_kpi where kpi_name = 'mttr_hours' "
        "and period_grain = 'month' and period_start = ? and dimension_name = 'category' "
        "order by sample_size desc limit 1",
        [month],
    )[0]
    page.goto(
        f"{dashboard.url}/drilldown?kpi={_labels(db)['mttr_hours']}&dimension=category&value={category}"
        f"&period={month:%Y-%m}"
    )
    _wait_rendered(page, "Drill-down")
    shown = _shown_metrics(page)
    assert _labels(db)["mttr_hours"] in shown, shown
    assert shown["Rows listed"] == f"{tickets:,}" == shown["n in fct_kpi"], shown
    _screenshot(page, "drilldown")


RETAIL_KPIS = (
    "active_customers",
    "new_customers",
    "churned_customers",
    "churn_rate",
    "retention_rate",
    "clv_historical",
    "revenue_per_customer",
    "revenue_share_top20",
    "referral_rate",
)


def _make_retail_only(db: Path) -> None:
    """What a retailer's warehouse holds: customers and orders. Everything built from
    surveys, tickets, interactions, contracts, spend or network incidents is emptied, as the
    marts of a build without those tables are."""
    with duckdb.connect(str(db)) as con:
        for table in (
            "fct_survey_answers",
            "fct_tickets",
            "fct_interactions",
            "touchpoint_journey",
            "network_quality_impact",
            "cohort_retention",
            "fct_marketing_spend",
        ):
            con.execute(f"delete from marts.{table}")
        placeholders = ", ".join("?" for _ in RETAIL_KPIS)
        con.execute(
            f"delete from marts.fct_kpi where kpi_name not in ({placeholders})", RETAIL_KPIS
        )
        con.execute(
            "update marts.customer_360 set last_nps_score = null, nps_category = null, "
            "avg_csat = null, avg_ces = null, tickets_12m = 0, open_tickets = 0, "
            "complaints_12m = 0, incidents_30d = 0, qos_exposure_30d = 0"
        )


def test_a_retail_only_warehouse_shows_no_empty_page(
    warehouse_dir: Path, tmp_path: Path, page: Page
) -> None:
    db = warehouse_dir / "cx360.duckdb"
    _make_retail_only(db)
    dashboard = _start_dashboard(warehouse_dir, tmp_path / "dashboard.log")
    try:
        page.goto(dashboard.url + "/")
        _wait_rendered(page, "Executive view")
        navigation = page.locator('[data-testid="stSidebarNav"]').inner_text()
        for absent in (
            "Voice of the customer",
            "Touchpoint journey",
            "Cohort retention",
            "Service",
            "Network quality",
        ):
            assert absent not in navigation, f"{absent} shown without its data"
        shown = {title: path for path, title in PAGES.items() if title.split()[0] in navigation}
        assert "Executive view" in shown and "Segments and value tiers" in shown
        assert "Drill-down" in shown  # to the customer months behind churn and the counts
        for title, url_path in shown.items():
            page.goto(f"{dashboard.url}/{url_path}")
            _wait_rendered(page, title)
            main = page.locator('[data-testid="stMain"]')
            infos = main.locator('[data-testid="stAlert"]').all_inner_texts()
            assert not [i for i in infos if i.startswith("No ")], f"{title}: {infos}"
            content = (
                '[data-testid="stMain"] [data-testid="stMetric"], '
                '[data-testid="stMain"] [data-testid="stVegaLiteChart"], '
                '[data-testid="stMain"] [data-testid="stDataFrame"]'
            )
            try:  # drawn a moment after the script ends on a busy machine
                page.wait_for_selector(content, timeout=RENDER_SECONDS * 1000)
            except PlaywrightTimeoutError:
                raise AssertionError(f"{title} is empty") from None
            values = _shown_metrics(page).values()
            assert values and not all(v == "n/a" for v in values), f"{title}: {values}"
        page.goto(dashboard.url + "/")
        _wait_rendered(page, "Executive view")
        _screenshot(page, "retail_only")
    finally:
        _stop(dashboard)


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
        nps = _labels(db)["nps"]
        assert after[nps][0] == pytest.approx((before[nps][0] or 0) - 7.5)
        _wait_for_headlines(page, after)
        assert "run-after-refresh" in page.locator('[data-testid="stSidebar"]').inner_text()
        assert writer.poll() is None, "the writer lost its lock"
    finally:
        if dashboard is not None:
            _stop(dashboard)
        writer.terminate()
        writer.wait(timeout=20)


@pytest.fixture(scope="module")
def postgres_database(postgres_run: PostgresRun) -> str:
    """The shared Postgres build (tests/conftest.py postgres_run: `cx360 run --target
    postgres` through write-audit-publish, with the BI role granted), read before
    tests/test_publish_postgres.py rebuilds it (its group runs in file order)."""
    return postgres_run.database


@pytest.mark.postgres
def test_the_dashboard_on_postgres_through_the_bi_role(
    postgres_database: str, tmp_path: Path, page: Page
) -> None:
    """The same pages on a Postgres build, read as the read-only BI role (cx360_bi): every
    page shown renders, the executive and service headlines equal that database's fct_kpi,
    the export lists its retention targets, and the sidebar says what it reads."""
    db = Pg(postgres_database)
    dashboard = _start_dashboard(
        tmp_path / "unused",
        tmp_path / "dashboard.log",
        target="postgres",
        env={"CX360_PG_DATABASE": postgres_database},
    )
    try:
        page.goto(dashboard.url + "/")
        _wait_rendered(page, "Executive view")
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert f"/{postgres_database} as cx360_bi" in sidebar
        navigation = page.locator('[data-testid="stSidebarNav"]').inner_text()
        pages = {path: title for path, title in PAGES.items() if title.split()[0] in navigation}
        assert len(pages) >= 7, navigation
        _visit_every_page(page, dashboard.url, db, screenshots=False, pages=pages)
        page.goto(dashboard.url + "/")
        _wait_rendered(page, "Executive view")
        _screenshot(page, "postgres")
    finally:
        _stop(dashboard)
