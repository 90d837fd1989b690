#!/usr/bin/env bash
# Builds the streamfront image and runs it for real (test/e2e/docker/image.test.ts), as root,
# without Docker Hub: a private dockerd (own socket, data root and pidfile in a temp folder, no
# iptables, no bridge: containers use the host network), a base image made locally by
# docker/build-base.sh and cached in .build/docker/, then docker build with BASE set to it.
# Then the compose demo (docker/compose.yaml) up, on the same image, answering curl.
# Installs docker.io, docker-compose and debootstrap from Debian when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
t_start=$(date +%s)
elapsed() { echo "$(($(date +%s) - t_start))s"; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-image: installing from Debian: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

work=$(mktemp -d /tmp/streamfront-dockerd.XXXXXX)
export DOCKER_HOST="unix://$work/docker.sock"
dockerd --host "$DOCKER_HOST" --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
  --iptables=false --bridge=none >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
compose() { docker-compose -f docker/compose.yaml -p streamfront-ci "$@"; }
stop_dockerd() {
  local status=$?
  # The compose network is a bridge on the host: removed before dockerd goes.
  [ -f "$work/compose-up" ] && compose down -v >/dev/null 2>&1
  kill -TERM "$dockerd_pid" 2>/dev/null || true
  wait "$dockerd_pid" 2>/dev/null || true
  # dockerd leaves its network namespace handle mounted under exec/ even with --bridge=none.
  grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r mount; do umount "$mount" || true; done
  rm -rf "$work"
  exit "$status"
}
trap stop_dockerd EXIT
for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 0.5; done
docker version >/dev/null 2>&1 || { echo "test-image: dockerd did not answer within 30 s"; tail -n 20 "$work/dockerd.log"; exit 1; }
echo "test-image: private dockerd up ($(elapsed))"

node_version=$(node -p 'process.versions.node')
base_tar=".build/docker/base-bookworm-node$node_version.tar"
if [ ! -f "$base_tar" ]; then
  bash docker/build-base.sh "$base_tar" "$node_version"
else
  echo "test-image: base image from the cache $base_tar"
fi
docker import "$base_tar" streamfront-base:local >/dev/null
echo "test-image: base image imported ($(elapsed))"

docker build --network host -f docker/Dockerfile --build-arg BASE=streamfront-base:local -t streamfront:test . >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log"; echo "test-image: docker build failed"; exit 1; }
size=$(docker image inspect --format '{{.Size}}' streamfront:test)
echo "test-image: image built, $((size / 1024 / 1024)) MiB ($(elapsed))"

[ -f dist/test/e2e/docker/image.test.js ] || npm run build >/dev/null
STREAMFRONT_IMAGE=streamfront:test node --test --test-reporter=spec dist/test/e2e/docker/image.test.js
echo "test-image: image test passed ($(elapsed))"

# The compose demo on the image just built (compose would otherwise build from node:20 on Docker Hub).
docker tag streamfront:test streamfront:demo
STREAMFRONT_DEMO_PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
export STREAMFRONT_DEMO_PORT
touch "$work/compose-up"
compose up -d >"$work/compose.log" 2>&1 || { cat "$work/compose.log"; echo "test-image: compose up failed"; exit 1; }
front=$(compose ps -q front)
health=""
for _ in $(seq 1 60); do
  health=$(docker inspect --format '{{.State.Health.Status}}' "$front")
  [ "$health" = healthy ] && break
  sleep 0.5
done
[ "$health" = healthy ] || { compose logs --no-color | tail -n 30; echo "test-image: compose front not healthy within 30 s ($health)"; exit 1; }
docker cp "$front:/srv/streamfront/demo/pki" "$work/pki"
demo_url="https://127.0.0.1:$STREAMFRONT_DEMO_PORT/v2/ready"
answer=$(curl -sS --max-time 10 --cacert "$work/pki/ca.crt" --cert "$work/pki/client.crt" --key "$work/pki/client.key" "$demo_url")
[ "$answer" = '{"isReady":true}' ] || { echo "test-image: compose demo answered: $answer"; exit 1; }
refused=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --cacert "$work/pki/ca.crt" --cert "$work/pki/client-revoked.crt" --key "$work/pki/client-revoked.key" "$demo_url" || true)
[ "$refused" = 403 ] || { echo "test-image: compose demo gave the revoked client $refused"; exit 1; }
compose down -v >/dev/null 2>&1
rm -f "$work/compose-up"
echo "test-image: compose demo: the engine answered through the front over mutual TLS, the revoked client got 403 ($(elapsed))"
echo "test-image: passed ($(elapsed) in all)"
