#!/usr/bin/env bash
# Turns a certificate and an UNENCRYPTED key (what cert-manager writes as tls.crt and tls.key)
# into an import: encrypts the key under a fresh random password that never leaves a 0600 file,
# moves the run folder's current material aside (README, way 2), runs the import stage (the
# keystore stays, server_key_mm changes) and puts the old files back if the import refuses.
# Then make the streamfront-material Secret from the run folder (README, Kubernetes).
# Usage: docker/k8s/reimport.sh RUN_FOLDER TLS_CRT TLS_KEY [CA_CRT]
#   CA_CRT defaults to the run folder's current keys/ca.crt; the current keys/ca.crl is kept.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
usage() { echo "usage: docker/k8s/reimport.sh RUN_FOLDER TLS_CRT TLS_KEY [CA_CRT]" >&2; exit 2; }
if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then usage; fi
run_dir=$(cd "$1" && pwd)
tls_crt=$(realpath "$2")
tls_key=$(realpath "$3")
ca_crt=$(realpath "${4:-$run_dir/keys/ca.crt}")
for f in "$tls_crt" "$tls_key" "$ca_crt"; do [ -r "$f" ] || { echo "reimport: cannot read $f" >&2; exit 1; }; done
command -v openssl >/dev/null 2>&1 || { echo "reimport: openssl not found (Debian package openssl)" >&2; exit 1; }

work=$(mktemp -d)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT
umask 077
# Copies, so that moving keys/ aside below cannot take the inputs with it.
cp "$tls_crt" "$work/server.crt"
cp "$ca_crt" "$work/ca.crt"
crl_args=()
if [ -f "$run_dir/keys/ca.crl" ]; then
  cp "$run_dir/keys/ca.crl" "$work/ca.crl"
  crl_args=(-r "$work/ca.crl")
fi
openssl rand -base64 32 >"$work/password"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$tls_key" -passout "file:$work/password" -out "$work/server.key"

# Unique even for two re-imports within one second; 0700 like keys/.
aside=$(mktemp -d "$run_dir/keys-old-$(date -u +%Y%m%dT%H%M%SZ)-XXXX")
moved=()
for name in ca.crt server.crt server.key ca.crl; do
  if [ -e "$run_dir/keys/$name" ]; then
    mv "$run_dir/keys/$name" "$aside/"
    moved+=("$name")
  fi
done
if ! (cd "$run_dir" && bash "$repo/certImport.sh" -c "$work/ca.crt" -s "$work/server.crt" -k "$work/server.key" "${crl_args[@]}" --password-file "$work/password"); then
  for name in "${moved[@]}"; do mv "$aside/$name" "$run_dir/keys/"; done
  rmdir "$aside"
  echo "reimport: the import refused the new material; the run folder is as it was" >&2
  exit 1
fi
echo "reimport: imported; the previous files are in $aside"
