#!/usr/bin/env bash
# Import stage: checks CA, server certificate, encrypted key and CRL, copies them into keys/,
# protects the key password with the keystore and records it all in streamserver.conf.
# Run it from the run folder; `bash ./certImport.sh --help` shows the options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=src/cli/ensure-built.sh
. "$root/src/cli/ensure-built.sh"
streamfront_ensure_built "$root"
exec node "$root/dist/src/cli/cert-import.js" "$@"
