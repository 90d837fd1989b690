#!/usr/bin/env bash
# npm run coverage: builds and runs the whole suite once under c8, then gates on the figures in
# .c8rc.json. With arguments (as test/run-tests.mjs takes them) it runs only those tests and
# reports without gating, since a part of the suite cannot reach the whole suite's figure.
set -euo pipefail
cd "$(dirname "$0")/.."

# A clean dist/: c8 counts every compiled file (all: true), so a file left over from a source
# since deleted or renamed would count as uncovered code.
rm -rf dist
npm run --silent build

# c8 collects through NODE_V8_COVERAGE, which every child inherits: node --test's per-file
# processes, and the run.sh / certImport.sh / kmc processes the tests start. Some run as
# another user (nobody, through setpriv or runuser); they can write their profiles only if the
# folder lets them, and otherwise print an EACCES line on stderr that tests would read. So the
# folder is made here, sticky and world-writable like /tmp, and c8 told not to recreate it.
rm -rf coverage
mkdir -p coverage/tmp
chmod 1777 coverage/tmp

check=(--check-coverage)
[ "$#" -gt 0 ] && check=(--check-coverage=false)
exec npx --no-install c8 --clean=false "${check[@]}" node test/run-tests.mjs "$@"
