# Sourced by run.sh and certImport.sh: makes a fresh clone runnable with only Node and npm,
# installing dependencies and compiling when the sources are newer than the build. A release
# (dist/.release, from npm run release) is never compiled, nor is a tree this user cannot write.
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
  # A release carries its build and production dependencies: nothing to install or compile.
  if [ -f "$root/dist/.release" ]; then
    return 0
  fi
  # A root-owned install run by a service user: building would fail with EACCES halfway.
  if [ ! -w "$root" ] || { [ -e "$root/dist" ] && [ ! -w "$root/dist" ]; }; then
    if [ -f "$root/dist/src/cli/front.js" ] && [ -d "$root/node_modules/fastify" ]; then
      return 0
    fi
    echo "streamfront: error: $root has no build and this user cannot write it; run npm run build there as its owner, or install a release (npm run release)" >&2
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
