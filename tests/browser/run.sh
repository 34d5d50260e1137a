#!/usr/bin/env bash
# Passaparola's pages in a real browser (Debian's Chromium, driven by playwright-core):
#   tests/browser/run.sh                            (every tests/browser/*.test.mjs)
#   PP_TESTS=web.test.mjs tests/browser/run.sh      (one file)
# Builds the server, starts it on a fresh data directory with the demo data and a business
# user, runs the tests in tests/browser/*.test.mjs against it, and stops it. Screenshots go
# to docs/screenshots/. Installs what it needs if missing: chromium, curl, nodejs and npm from
# Debian; playwright-core from npm; and, where the system's node is older than playwright-core
# needs (Node 20; Debian 12 ships 18), an official Node 20 build from the npm registry (the
# node-linux-<arch> package, which the `node` package installs), kept in
# ${XDG_CACHE_HOME:-~/.cache}/passaparola-node (delete the directory to fetch the latest 20.x).
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser tests: installing from Debian: ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Node that runs the tests: playwright-core's "engines" asks for node >= 20 (see
# package-lock.json). npm itself keeps running on the system's node, whatever its version:
# Debian's npm finds its own modules (in /usr/share/nodejs) only through Debian's node.
node_min=20
node_version() { "$1" -p process.versions.node 2>/dev/null || echo 0; }
system_node=$(command -v node)
system_version=$(node_version "$system_node")
if [ "${system_version%%.*}" -ge "$node_min" ]; then
  test_node=$system_node
  echo "browser tests: node v$system_version ($system_node, the system's)"
else
  cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/passaparola-node
  pkg=node-linux-$(node -p process.arch)
  test_node=$cache/node_modules/$pkg/bin/node
  from="installed from the npm registry by an earlier run"
  version=$(node_version "$test_node")
  if [ "${version%%.*}" -lt "$node_min" ]; then
    registry=$(npm config get registry)
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
      "$pkg@$node_min" >/dev/null || true
    version=$(node_version "$test_node")
    from="installed now from the npm registry, $registry"
  fi
  if [ "${version%%.*}" -lt "$node_min" ]; then
    echo "browser tests: the system's node is v$system_version, and no node >= $node_min" \
      "could be installed from npm ($pkg@$node_min into $cache)" >&2
    exit 1
  fi
  echo "browser tests: node v$version ($test_node, $pkg@$version $from;" \
    "the system's node, v$system_version, is older than $node_min)"
fi

(cd tests/browser && npm ci --no-audit --no-fund --silent)
cargo build --quiet --bin passaparola

work=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
bin=${CARGO_TARGET_DIR:-target}/debug/passaparola
port=$((20000 + RANDOM % 20000))
"$bin" --data-dir "$work" --log warn serve --demo --listen "127.0.0.1:$port" >"$work/out" 2>"$work/err" &
PID=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
api_key=$(grep -o 'trattoria-da-gino: API key [^ ]*' "$work/out" | awk '{print $4}' || true)
if [ -z "$api_key" ]; then
  echo "the server did not start with the demo data:" >&2; cat "$work/out" "$work/err" >&2; exit 1
fi
password=$("$bin" --data-dir "$work" user create --business trattoria-da-gino \
  --email giulia@trattoria.example --name "Giulia Zanetti" --role Titolare | awk '/^password:/ {print $2}')

export PP_BASE="http://127.0.0.1:$port" PP_API_KEY="$api_key" PP_EMAIL=giulia@trattoria.example \
  PP_PASSWORD="$password" PP_SCREENSHOTS="$PWD/docs/screenshots"
mkdir -p "$PP_SCREENSHOTS"
# The chosen node first on PATH too, for anything the tests start by name.
cd tests/browser && PATH="$(dirname "$test_node"):$PATH" "$test_node" --test --test-concurrency=1 ${PP_TESTS:-}
