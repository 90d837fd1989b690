#!/usr/bin/env bash
# Container entry point: one image, the streamfront commands as verbs. Every verb execs node,
# so signals reach it directly. run.sh is not used here because it builds on demand, and the
# image holds only the compiled code and production dependencies.
set -euo pipefail
app=/opt/streamfront
usage() {
  cat <<'USAGE'
usage: docker run [docker options] IMAGE VERB [options]
  serve [front options]   serve from the run folder /srv/streamfront (default; --help lists options)
  check                   load and check everything without serving (./run.sh --check)
  init                    write config/streamserver.conf from the shipped one, listening on 0.0.0.0
  import [options]        the import stage (certImport.sh); --password-file F or --password-stdin
  kmc [options]           keystore inspection and rotation (npm run kmc)
  engine-sim [options]    the engine simulator
  demo-material           make the compose demo's throw-away PKI and import it (under ./demo)
  healthcheck [URL]       exit 0 when the admin /healthz answers 200
USAGE
}
verb="${1:-serve}"
[ "$#" -gt 0 ] && shift
# front.js starts with the serving flags: src/server/node-flags.ts says why.
case "$verb" in
  serve) exec node --max-semi-space-size=32 "$app/dist/src/cli/front.js" "$@" ;;
  check) exec node --max-semi-space-size=32 "$app/dist/src/cli/front.js" --check "$@" ;;
  import) exec node "$app/dist/src/cli/cert-import.js" "$@" ;;
  kmc) exec node "$app/dist/src/cli/kmc.js" "$@" ;;
  engine-sim) exec node "$app/dist/src/cli/engine-sim.js" "$@" ;;
  demo-material) exec node "$app/docker/demo-material.mjs" "$@" ;;
  healthcheck) exec node "$app/docker/healthcheck.mjs" "$@" ;;
  init)
    # In a container the TLS listener must face the container's interfaces, not its loopback.
    mkdir -p config
    if [ -e config/streamserver.conf ]; then
      echo "init: config/streamserver.conf already exists; left as it is" >&2
      exit 1
    fi
    umask 077
    sed 's/^server_ip=.*/server_ip=0.0.0.0/' "$app/config/streamserver.conf" >config/streamserver.conf
    echo "init: wrote config/streamserver.conf (server_ip=0.0.0.0); next: import" >&2
    ;;
  -h | --help | help) usage ;;
  -*) exec node --max-semi-space-size=32 "$app/dist/src/cli/front.js" "$verb" "$@" ;;
  *)
    usage >&2
    exit 2
    ;;
esac
