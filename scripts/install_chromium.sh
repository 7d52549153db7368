#!/usr/bin/env bash
# Install the headless browser the dashboard browser test drives (tests/test_dashboard_browser.py):
# Debian's chromium package, used by Playwright through executable_path=/usr/bin/chromium.
# Never `playwright install`: it downloads browsers from the internet, which CI does not have.
# Needs root (CI runs as root); a no-op when chromium is already there.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install_chromium.sh: run as root (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
chromium --version
