#!/usr/bin/env bash
# The bench harness's entry point (../shared/bench/README.md): prepare a run folder in
# $BENCH_RUN_DIR from $BENCH_PKI through the real import stage, then exec the front.
# BENCH_HTTP2=on starts the front with http2=on (h2 offered in ALPN), to measure what it costs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${BENCH_RUN_DIR:?}" "${BENCH_PKI:?}" "${BENCH_PORT:?}" "${BENCH_UPSTREAM:?}"
http2="${BENCH_HTTP2:-off}"
case "$http2" in
  on | off) ;;
  *) echo "serve-for-compare.sh: BENCH_HTTP2='$http2' is not on or off" >&2; exit 2 ;;
esac

mkdir -p "$BENCH_RUN_DIR/config" "$BENCH_RUN_DIR/input"
chmod 700 "$BENCH_RUN_DIR/input"
# The harness's PKI folder is read-only and may not be ours: copy what the import's file rules
# (owned by us, key and password owner-only) need, with tight modes from the start.
(umask 077 && for f in ca.crt ca.crl server.crt server.key server.key.password; do cat "$BENCH_PKI/$f" > "$BENCH_RUN_DIR/input/$f"; done)

sed -e "s|^server_port=.*|server_port=$BENCH_PORT|" \
    -e "s|^engine_url=.*|engine_url=$BENCH_UPSTREAM|" \
    -e "s|^admin_port=.*|admin_port=0|" \
    -e "s|^http2=.*|http2=$http2|" \
    -e "s|^workers=.*|workers=${BENCH_WORKERS:-1}|" \
    "$root/config/streamserver.conf" > "$BENCH_RUN_DIR/config/streamserver.conf"
chmod 600 "$BENCH_RUN_DIR/config/streamserver.conf"

cd "$BENCH_RUN_DIR"
exec bash "$root/run.sh" -c input/ca.crt -s input/server.crt -k input/server.key -r input/ca.crl \
  --password-file input/server.key.password
