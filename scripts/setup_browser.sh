#!/usr/bin/env bash
# Debian's Chromium for the browser test of `fashiongan serve` (Playwright drives it; it never downloads a
# browser). Only `make test` needs it. Not fatal: without it that one test is skipped with its reason.
set -euo pipefail
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null && command -v apt-get >/dev/null; then
    echo "setup: installing Debian's chromium (for the browser test)"
    { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; } ||
        echo "setup: could not install chromium; the browser test will be skipped"
fi
