#!/usr/bin/env bash
# The one command that sets up a fresh machine and runs every suite:
#   lint, typecheck, unit/integration (Vitest, incl. PostgreSQL + PGlite), extension build, e2e (Playwright + Chromium),
#   e2e in Firefox ESR (puppeteer-core over WebDriver BiDi, Playwright's runner).
# It always ends with one plain line "N passed, N failed, N skipped" that adds up every suite,
# and exits non-zero when anything failed or a suite could not run.
set -uo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-}"
# Plain logs: CI reads only the last line, people read the rest.
export NO_COLOR=1 FORCE_COLOR=0
RESULTS=.tmp/results
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

if ! bash scripts/setup.sh; then
  echo "setup failed" > "$RESULTS/check-setup.failed"
fi

check() { # check NAME CMD... : a pass/fail step counted as one test
  local name=$1; shift
  echo "=== $name: $*"
  if "$@"; then touch "$RESULTS/check-$name.passed"; else touch "$RESULTS/check-$name.failed"; fi
}

check lint npx biome ci --colors=off .
check typecheck npx tsc --noEmit
echo "=== vitest"
npx vitest run --reporter=default --reporter=json --outputFile.json="$RESULTS/vitest.json" || true
check build npx wxt build
if [ -f playwright.config.ts ]; then
  echo "=== playwright"
  PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/playwright.json" npx playwright test --reporter=list,json || true
fi
echo "=== playwright (firefox)"
# absolute: Playwright resolves a relative report path against the config's folder, e2e-firefox/
PLAYWRIGHT_JSON_OUTPUT_NAME="$PWD/$RESULTS/playwright-firefox.json" npx playwright test -c e2e-firefox --reporter=list,json || true
node scripts/summarize.mjs "$RESULTS"
