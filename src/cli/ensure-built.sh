# Sourced by run.sh and certImport.sh: makes a fresh clone runnable with only Node and npm,
# installing dependencies and compiling when the sources are newer than the build.
streamfront_ensure_built() {
  local root="$1"
  if ! command -v node >/dev/null 2>&1; then
    echo "streamfront: error: node not found; install Node.js 20.18 or newer" >&2
    return 1
  fi
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=18)?0:1)'; then
    echo "streamfront: error: Node.js $(node --version) is too old; 20.18 or newer is needed" >&2
    return 1
  fi
  if [ ! -d "$root/node_modules/fastify" ] || [ ! -d "$root/node_modules/typescript" ]; then
    echo "streamfront: installing dependencies (npm ci)..." >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) >&2 || return 1
  fi
  local stamp="$root/dist/.build-stamp"
  if [ ! -f "$stamp" ] || [ -n "$(find "$root/src" "$root/test" "$root/tsconfig.json" "$root/package.json" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    echo "streamfront: building..." >&2
    (cd "$root" && node node_modules/typescript/bin/tsc -p tsconfig.json) >&2 || return 1
    touch "$stamp"
  fi
}
