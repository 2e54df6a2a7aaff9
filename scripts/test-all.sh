#!/usr/bin/env bash
# The one command that sets up a fresh machine and runs every suite:
#   lint, typecheck, unit/integration (Vitest, incl. PostgreSQL + PGlite), extension build, e2e (Playwright + Chromium),
#   e2e in Firefox ESR (puppeteer-core over WebDriver BiDi, Playwright's runner).
# It always ends with one plain line "N passed, N failed, N skipped" that adds up every suite
# (scripts/summarize.mjs), and exits non-zero when anything failed or a suite could not run.
#
# Adding a suite is one line in the "Suites" block below:
#     suite NAME FORMAT COMMAND...
# FORMAT is how the suite reports, and the reporter this script adds to COMMAND:
#     vitest      COMMAND is a `vitest run`; the JSON report and the errors outside tests are collected
#     playwright  COMMAND is a `playwright test`; the JSON report (with its errors outside tests) is collected
# (another runner: add its parser to FORMATS in scripts/summarize.mjs and its reporter flags to `suite`).
# Every suite fails the run when it leaves no report, reports an error outside a test (an unhandled
# rejection, a refused `.only`), runs 0 tests, or exits non-zero with no failed test to show for it.
set -uo pipefail
cd "$(dirname "$0")/.."
# Setup decides on a clean `npm ci` from the caller's CI; every suite then runs with CI=1, so Vitest refuses
# `.only` (allowOnly is off under CI) and Playwright's forbidOnly is on, whatever the caller exported.
CALLER_CI="${CI:-}"
export CI=1
# Plain logs: CI reads only the last line, people read the rest.
export NO_COLOR=1 FORCE_COLOR=0
RESULTS=.tmp/results
rm -rf "$RESULTS" && mkdir -p "$RESULTS"

if ! CI="$CALLER_CI" bash scripts/setup.sh; then
  echo "setup failed" > "$RESULTS/check-setup.failed"
fi

check() { # check NAME CMD... : a pass/fail step counted as one test
  local name=$1; shift
  echo "=== $name: $*"
  if "$@"; then touch "$RESULTS/check-$name.passed"; else touch "$RESULTS/check-$name.failed"; fi
}

suite() { # suite NAME FORMAT CMD... : a test suite whose report scripts/summarize.mjs reads
  local name=$1 format=$2; shift 2
  # absolute: Playwright resolves a relative report path against its config's folder (e2e-firefox/)
  local report="$PWD/$RESULTS/suite-$name.$format.json"
  echo "=== $name ($format): $*"
  case "$format" in
    vitest)
      COMFYPULSE_VITEST_ERRORS="$RESULTS/suite-$name.errors.json" "$@" --reporter=default --reporter=json \
        --outputFile.json="$report" --reporter=./scripts/vitest-run-errors.mjs ;;
    playwright)
      PLAYWRIGHT_JSON_OUTPUT_NAME="$report" "$@" --reporter=list,json ;;
    *)
      echo "test-all.sh: unknown report format '$format' for suite $name" >&2; false ;;
  esac
  echo $? > "$RESULTS/suite-$name.exit"
}

check lint npx biome ci --colors=off .
check typecheck npx tsc --noEmit
check build npx wxt build

# Suites
suite unit vitest npx vitest run
suite e2e playwright npx playwright test
suite e2e-firefox playwright npx playwright test -c e2e-firefox

node scripts/summarize.mjs "$RESULTS"
