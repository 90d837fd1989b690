#!/usr/bin/env bash
# Starts the streamfront mutual-TLS front from streamserver.conf (see ./run.sh --help).
# Run it from the run folder. The serving process is node itself (exec), so signals reach it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=src/cli/ensure-built.sh
. "$root/src/cli/ensure-built.sh"
streamfront_ensure_built "$root"
# The serving flags: src/server/node-flags.ts says why (a test keeps every launcher in step).
exec node --max-semi-space-size=32 "$root/dist/src/cli/front.js" "$@"
