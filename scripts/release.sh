#!/usr/bin/env bash
# npm run release: the build and the production dependencies packed as streamfront-<version>.tgz,
# so a serving host unpacks and runs it and never compiles (run.sh sees dist/.release).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version="$(node -p 'require("./package.json").version')"
name="streamfront-$version"
out="${STREAMFRONT_RELEASE_DIR:-$root}/$name.tgz"

npm run --silent build
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
stage="$work/$name"
mkdir -p "$stage/src/cli" "$stage/dist" "$stage/keys"
chmod 700 "$stage/keys"
# Only what runs: the compiled sources (not the compiled tests), the wrappers and what they read.
cp -R dist/src "$stage/dist/src"
cp run.sh certImport.sh kmc.sh package.json package-lock.json README.md "$stage/"
cp src/cli/ensure-built.sh "$stage/src/cli/"
cp -R config docs "$stage/"
# The systemd unit and the Kubernetes files with reimport.sh, which the README runs from the install.
mkdir -p "$stage/docker"
cp -R docker/systemd docker/k8s "$stage/docker/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error) >&2
# The marker ensure-built.sh trusts: this folder is a finished build, never to be compiled.
printf '%s\n' "$version" > "$stage/dist/.release"
tar -C "$work" -czf "$out.tmp" --owner=0 --group=0 "$name"
mv "$out.tmp" "$out"
echo "$out"
