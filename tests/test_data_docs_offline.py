"""Data Docs open from a file URL with the network blocked: every stylesheet and script they
load is local (expectations/offline_docs.py), the validation list renders and is styled.
With CX360_SCREENSHOTS=<folder> (`make screenshots`) a screenshot goes there as
data_docs_offline.png.

Chromium: `apt-get install -y chromium` (scripts/install_chromium.sh); never `playwright install`.
"""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

import great_expectations as gx
import pandas as pd
import pytest
from playwright.sync_api import Browser, Route

from cx360.docs_server import make_server
from cx360.errors import Cx360Error
from expectations.context import build_context, build_data_docs
from expectations.results import run_suite_on_frame

SCREENSHOTS = os.environ.get("CX360_SCREENSHOTS")  # as in tests/test_dashboard_browser.py


def _site(site_dir: Path) -> Path:
    """A Data Docs site with one failing and one passing suite, as a run leaves it."""
    context = build_context(site_dir)
    frame = pd.DataFrame({"review_id": ["r1", "r2", None], "rating": [1.0, 4.0, 5.0]})
    keys = gx.ExpectationSuite(name="raw.product_reviews")
    keys.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="review_id"))
    run_suite_on_frame(context, keys, frame, asset="raw.product_reviews")
    ratings = gx.ExpectationSuite(name="volume.product_reviews")
    ratings.add_expectation(
        gx.expectations.ExpectColumnValuesToBeBetween(column="rating", min_value=1, max_value=5)
    )
    run_suite_on_frame(context, ratings, frame, asset="volume.product_reviews")
    build_data_docs(context)
    return site_dir / "index.html"


def test_data_docs_open_offline_from_a_file_url(tmp_path: Path, browser: Browser) -> None:
    index = _site(tmp_path / "data_docs")
    pages = list((tmp_path / "data_docs").rglob("*.html"))
    for page in pages:  # no asset is fetched from the network
        html = page.read_text(encoding="utf-8")
        for marker in ('src="http', 'stylesheet" href="http', "cdn.", "unpkg.com"):
            assert marker not in html, f"{page}: remote asset {marker}"

    requested: list[str] = []
    blocked: list[str] = []

    def only_files(route: Route) -> None:
        requested.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    try:
        context.route("**/*", only_files)
        page = context.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(index.as_uri(), wait_until="load")
        # the validation list is a bootstrap-table built by JavaScript: rows mean jQuery and
        # bootstrap-table ran from the local copies
        results = page.locator("#Validation-Results table tbody tr")
        results.first.wait_for(state="visible", timeout=30_000)
        rows = results.all_inner_texts()
        # the status icons come from the local Font Awesome webfont
        icon_font = page.evaluate(
            "() => getComputedStyle(document.querySelector('.ge-failed-icon'), '::before')"
            ".fontFamily"
        )
        # Bootstrap's stylesheet applied: .btn gets its inline-block display from it
        display = page.evaluate(
            "() => { const b = document.createElement('span'); b.className = 'btn';"
            " document.body.appendChild(b); return getComputedStyle(b).display; }"
        )
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / "data_docs_offline.png"), full_page=True)
    finally:
        context.close()

    assert len(rows) == 2
    assert any("raw.product_reviews" in row for row in rows)
    assert any("volume.product_reviews" in row for row in rows)
    assert display == "inline-block"
    assert "Font Awesome" in icon_font
    assert [url for url in failed if url.startswith("file://")] == []
    assert blocked == []  # the pages never asked the network for anything
    assert any(url.endswith("bootstrap.min.css") for url in requested)


def test_cx360_docs_serves_dbt_docs_and_data_docs_on_one_port(tmp_path: Path) -> None:
    dbt_docs = tmp_path / "target_docs"
    dbt_docs.mkdir()
    (dbt_docs / "index.html").write_text("<html>dbt docs</html>")
    (dbt_docs / "manifest.json").write_text('{"nodes": {}}')
    (tmp_path / "secret.txt").write_text("not served")
    warehouse = tmp_path / "wh"
    with pytest.raises(Cx360Error, match="run `cx360 run` first"):
        make_server(warehouse, port=0, dbt_docs_dir=dbt_docs)
    _site(warehouse / "data_docs")

    server = make_server(warehouse, port=0, dbt_docs_dir=dbt_docs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        home = urllib.request.urlopen(f"{base}/").read().decode()
        manifest = urllib.request.urlopen(f"{base}/dbt/manifest.json").read().decode()
        data_docs = urllib.request.urlopen(f"{base}/data_docs/index.html").read().decode()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/dbt/../secret.txt")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{base}/dbt/%2e%2e/secret.txt")
    finally:
        server.shutdown()
        server.server_close()
    assert 'href="dbt/index.html"' in home and 'href="data_docs/index.html"' in home
    assert manifest == '{"nodes": {}}'
    assert "raw.product_reviews" in data_docs
