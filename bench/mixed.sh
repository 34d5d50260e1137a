#!/usr/bin/env bash
# Reads during writes: the widget's JSON read by 32 connections while 16 others submit
# reviews, each server on its own copy of one seeded data directory, alternating rounds.
#   bench/mixed.sh [BINARY...]        (default: this checkout's release build)
# With two binaries (say, a build of an older commit first) it compares them side by side.
# Each write invalidates the business's cached reads; this measures how reads and writes
# share the machine then.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-8s}
ROUNDS=${ROUNDS:-3}
PER_ROUND=40000 # fresh invitation tokens per round, more than a round uses
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed
[ $# -gt 0 ] || set -- target/release/passaparola

work=$(mktemp -d)
pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
echo "seeding 2,000 reviews and $((PER_ROUND * ROUNDS)) invitations…" >&2
target/release/examples/bench_seed "$work/seed" 2000 $((PER_ROUND * ROUNDS)) "$work/tokens.txt" >&2
ports=()
for i in $(seq 0 $(($# - 1))); do
  bin=${*:$((i + 1)):1}
  port=$((19300 + i))
  cp -r "$work/seed" "$work/data$i"
  "$bin" --data-dir "$work/data$i" --log warn serve --listen "127.0.0.1:$port" --no-rate-limits >"$work/server$i.out" 2>&1 &
  pids+=($!)
  ports+=("$port")
  up=
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && { up=1; break; }; sleep 0.1; done
  # A build older than issue 13 refuses --no-rate-limits: say so rather than print empty rows.
  if [ -z "$up" ]; then echo "$bin did not start:" >&2; cat "$work/server$i.out" >&2; exit 1; fi
done
echo "| round | server | reads/s | read p99 | submissions/s |"
echo "|---|---|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
  sed -n "$(((round - 1) * PER_ROUND + 1)),$((round * PER_ROUND))p" "$work/tokens.txt" >"$work/round.txt"
  for i in "${!ports[@]}"; do
    base="http://127.0.0.1:${ports[$i]}"
    TOKENS_FILE="$work/round.txt" WRK_THREADS=1 \
      wrk -t1 -c16 -d"$DURATION" -s bench/submit.lua "$base" >"$work/writes.out" &
    writer=$!
    reads=$(wrk -t1 -c32 -d"$DURATION" --latency "$base/api/v1/businesses/bottega-bench/widget?lang=it")
    wait "$writer"
    if grep -q "Non-2xx" <<<"$reads" || grep -q "Non-2xx" "$work/writes.out"; then
      echo "void: non-2xx responses" >&2; exit 1
    fi
    printf '| %s | %s | %s | %s | %s |\n' "$round" "${*:$((i + 1)):1}" \
      "$(awk '/Requests\/sec/ {print $2}' <<<"$reads")" "$(awk '$1=="99%" {print $2}' <<<"$reads")" \
      "$(awk '/Requests\/sec/ {print $2}' "$work/writes.out")"
  done
done
