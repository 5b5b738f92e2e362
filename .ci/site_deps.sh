#!/usr/bin/env bash
# What the docs-site browser check (tests/test_site.py) needs: Debian's chromium and its chromedriver, and
# selenium from PyPI to drive them. No browser is downloaded by a Python package: selenium is pointed at
# /usr/bin/chromedriver, which skips Selenium Manager. Safe to run again: it installs only what is missing.
set -euo pipefail
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core fonts-liberation >/dev/null
fi
python -c "import selenium" 2>/dev/null || python -m pip install -q "selenium>=4.11"
chromium --version 2>/dev/null  # (the launcher warns about /dev/shm on some machines)
chromedriver --version
