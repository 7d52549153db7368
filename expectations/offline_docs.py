"""Make a Data Docs site readable offline: every CDN asset the GX templates load is served
from the site's own `static/vendor/` folder (expectations/data_docs_assets/README.md), or its
tag is dropped when the pages work without it. Run after each Data Docs build."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import great_expectations.render.view as gx_static

ASSETS_DIR = Path(__file__).with_name("data_docs_assets")
VENDOR = Path("static") / "vendor"
# CDN address (as in GX's templates) -> vendored file; None: the tag is removed
CDN_ASSETS: dict[str, str | None] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome/css/all.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": "bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": "bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": "bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": "bootstrap-table-filter-control.min.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": "bootstrap-table-filter-control.min.css",
}
# the logo GX loads from its web-assets bucket: the same image ships in GX's static folder
_REMOTE_LOGO = re.compile(r"https://great-expectations-web-assets\.[^\"]*/logo-long\.png[^\"]*")
_CORS_ATTRIBUTES = re.compile(r"\s+(integrity|crossorigin)(=\"[^\"]*\")?")
_TAG = re.compile(
    r"<link\b[^>]*\bhref=\"(?P<href>https?://[^\"]+)\"[^>]*>"
    r"|<script\b[^>]*\bsrc=\"(?P<src>https?://[^\"]+)\"[^>]*>\s*</script>"
)


def _rewrite(html: str, vendor_rel: str) -> str:
    html = _REMOTE_LOGO.sub(f"{vendor_rel}/../images/logo-long.png", html)

    def replace(match: re.Match[str]) -> str:
        url = match.group("href") or match.group("src")
        if url not in CDN_ASSETS and not _is_asset(url):
            return match.group(0)  # a plain link (e.g. to greatexpectations.io), not an asset
        local = CDN_ASSETS.get(url)
        if local is None:
            return ""
        tag = match.group(0).replace(url, f"{vendor_rel}/{local}")
        # a crossorigin (CORS) request for a file:// script is refused: load it plainly
        return _CORS_ATTRIBUTES.sub("", tag)

    return _TAG.sub(replace, html)


def _is_asset(url: str) -> bool:
    return url.endswith((".css", ".js")) or "cdn" in url or "unpkg" in url


def make_offline(site_dir: Path) -> int:
    """Copy the vendored assets into `site_dir` and rewrite its pages; returns pages changed."""
    site_dir = Path(site_dir)
    vendor = site_dir / VENDOR
    vendor.mkdir(parents=True, exist_ok=True)
    for asset in ASSETS_DIR.iterdir():
        if asset.suffix in (".css", ".js"):
            shutil.copyfile(asset, vendor / asset.name)
        elif asset.is_dir():  # a library with its own layout (fonts beside the stylesheet)
            shutil.copytree(asset, vendor / asset.name, dirs_exist_ok=True)
    logo = Path(gx_static.__file__).parent / "static" / "images" / "logo-long.png"
    if logo.exists():
        shutil.copyfile(logo, vendor.parent / "images" / "logo-long.png")
    changed = 0
    for page in site_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        rel = Path(os.path.relpath(vendor, page.parent)).as_posix()
        new = _rewrite(html, rel)
        if new != html:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed
