#!/usr/bin/env bash
# Passaparola's pages in a real browser (Debian's Chromium, driven by playwright-core):
#   tests/browser/run.sh                            (every tests/browser/*.test.mjs)
#   PP_TESTS=web.test.mjs tests/browser/run.sh      (one file)
# Builds the server, starts it on a fresh data directory with the demo data and a business
# user, runs the tests in tests/browser/*.test.mjs against it, and stops it. Screenshots go
# to docs/screenshots/. Installs what it needs from Debian if missing (chromium, curl, nodejs
# with npm), and playwright-core from npm.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v curl >/dev/null || missing+=(curl)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
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
cd tests/browser && node --test --test-concurrency=1 ${PP_TESTS:-}
