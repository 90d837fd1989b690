#!/usr/bin/env bash
# The kmc command (keystore status, init, rotate, rewrap, retire) without npm: what a release
# host runs, e.g. through a symlink /usr/local/bin/streamfront-kmc. Run it from the run folder;
# `kmc.sh --help` shows the verbs. The symlink is followed to find the install.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
# shellcheck source=src/cli/ensure-built.sh
. "$root/src/cli/ensure-built.sh"
streamfront_ensure_built "$root"
exec node "$root/dist/src/cli/kmc.js" "$@"
