#!/usr/bin/env bash
# The API fuzzed from its own description: Schemathesis reads GET /api/openapi.json and sends
# every operation schema-valid and schema-invalid requests, checking every answer against the
# document (`--checks all`: statuses, content types, bodies, headers, auth, and that valid
# data is accepted and invalid data refused, never a 5xx).
#   tests/schemathesis/run.sh                       (50 examples an operation, a random seed)
#   ST_MAX_EXAMPLES=200 ST_SEED=123 tests/schemathesis/run.sh [more schemathesis run options]
# Builds the server, starts it on a fresh data directory with the demo data, without the
# write limits (thousands of writes in a minute are the point), on a free port; creates
# through the API what the operations need (seed.py: an open invitation, and a review for
# each operation that changes one, with its edit token), and runs Schemathesis with
# schemathesis.toml (which operation gets which of them, and the few statuses schema-valid
# data legitimately meets, each explained) and hooks.py (a fresh invitation for each
# schema-valid submission). Exits non-zero on any failure, or if the run takes over
# ST_TIMEOUT seconds (240). Installs Schemathesis with pip into a virtual environment,
# ${XDG_CACHE_HOME:-~/.cache}/passaparola-schemathesis, if missing (and Debian's python3-venv
# if a venv cannot be made); set SCHEMATHESIS=/path/to/schemathesis to use another.
set -euo pipefail
cd "$(dirname "$0")/../.."

version=4.32.5
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/passaparola-schemathesis
st=${SCHEMATHESIS:-$venv/bin/schemathesis}
if ! "$st" --version 2>/dev/null | grep -q "$version" && [ -z "${SCHEMATHESIS:-}" ]; then
  echo "schemathesis: installing schemathesis==$version with pip into $venv"
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "schemathesis: installing python3-venv from Debian (python3 -m venv failed)"
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi
"$st" --version

cargo build --quiet --bin passaparola
work=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
bin=${CARGO_TARGET_DIR:-target}/debug/passaparola
"$bin" --data-dir "$work" --log warn serve --demo --no-rate-limits --listen 127.0.0.1:0 \
  >"$work/out" 2>"$work/err" &
PID=$!
base=
for _ in $(seq 100); do
  base=$(grep -o 'listening on http://[^ ]*' "$work/out" | awk '{print $3}' || true)
  [ -n "$base" ] && curl -sf "$base/healthz" >/dev/null && break
  sleep 0.1
done
api_key=$(grep -o 'trattoria-da-gino: API key [^ ]*' "$work/out" | awk '{print $4}' || true)
if [ -z "$base" ] || [ -z "$api_key" ]; then
  echo "the server did not start with the demo data:" >&2; cat "$work/out" "$work/err" >&2; exit 1
fi
export PP_BASE=$base PP_API_KEY=$api_key
seeded=$(python3 tests/schemathesis/seed.py)
eval "$seeded"

started=$SECONDS
status=0
timeout "${ST_TIMEOUT:-240}" "$st" --config-file tests/schemathesis/schemathesis.toml run \
  "$PP_BASE/api/openapi.json" --checks all --phases examples,coverage,fuzzing --workers 2 \
  --max-examples "${ST_MAX_EXAMPLES:-50}" ${ST_SEED:+--seed "$ST_SEED"} --no-color "$@" || status=$?
echo "schemathesis: $((SECONDS - started)) s"
if [ "$status" = 124 ]; then
  echo "schemathesis: stopped after ${ST_TIMEOUT:-240} s" >&2
fi
# A panic or a logged internal error is a failure even where every answer looked right.
if grep -E 'panicked|ERROR' "$work/err" >&2; then
  echo "schemathesis: the server logged errors (above)" >&2
  status=1
fi
exit "$status"
