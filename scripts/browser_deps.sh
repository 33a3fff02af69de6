#!/usr/bin/env bash
# What the browser tests (tests/test_browser.py) need besides Chromium:
#   - node + npm and Java, from Debian when the commands are missing (scripts/setup-system.sh);
#   - axe-core and vnu-jar (W3C Nu HTML Checker) in node_modules/, from package-lock.json,
#     installed only when node_modules is missing or older than package.json / package-lock.json.
# A second run with everything present does nothing and prints nothing.
# npm runs with --ignore-scripts: vnu-jar's install script would try to download a Java runtime,
# and the jar itself ships inside the package.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  scripts/setup-system.sh "${need[@]}"
fi

stamp=node_modules/.nrmc-browser-deps
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ] \
   && [ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
  exit 0
fi
echo "Installing the browser checkers from package-lock.json (npm ci)…" >&2
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
touch "$stamp"
