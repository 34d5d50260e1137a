#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md on this machine:
#   bench/run.sh [REVIEWS] [DURATION] [ROUNDS]      (defaults: 100000 10s 3)
# It builds the release binary, seeds a fresh data directory, serves it, serves the same
# response bytes from nginx as static files, and runs wrk against both, alternating, in the
# same run. Then it measures durable review submissions per second over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
REVIEWS=${1:-100000}
DURATION=${2:-10s}
ROUNDS=${3:-3}
THREADS=2
CONNS=${CONNS:-64}
PP_PORT=18480
NGINX_PORT=18481

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed

work=$(mktemp -d)
cleanup() {
  [ -n "${PP_PID:-}" ] && kill "$PP_PID" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

echo "seeding $REVIEWS reviews…" >&2
target/release/examples/bench_seed "$work/data" "$REVIEWS" 200000 "$work/tokens.txt"
target/release/passaparola --data-dir "$work/data" --log warn serve \
  --listen "127.0.0.1:$PP_PORT" >"$work/server.out" 2>"$work/server.err" &
PP_PID=$!
for _ in $(seq 50); do curl -sf "127.0.0.1:$PP_PORT/healthz" >/dev/null && break; sleep 0.1; done

base="http://127.0.0.1:$PP_PORT/api/v1/businesses/bottega-bench"
mkdir -p "$work/www"
curl -sf "$base/summary" >"$work/www/summary.json"
curl -sf "$base/reviews" >"$work/www/reviews.json"
chmod 755 "$work" && chmod -R a+rX "$work/www" # nginx's workers do not run as us
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/www;
  }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.3

rps() { # URL -> requests per second (wrk), also stops on errors
  local out
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses from $1" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A results
for round in $(seq "$ROUNDS"); do
  echo "round $round/$ROUNDS…" >&2
  for page in summary reviews; do
    pp_url="$base/$page"
    nginx_url="http://127.0.0.1:$NGINX_PORT/$page.json"
    results[pp_$page]+="$(rps "$pp_url") "
    results[nginx_$page]+="$(rps "$nginx_url") "
  done
done

echo
echo "| response | passaparola req/s (median of $ROUNDS) | nginx, same bytes, req/s | ratio |"
echo "|---|---:|---:|---:|"
for page in summary reviews; do
  pp=$(tr ' ' '\n' <<<"${results[pp_$page]}" | grep . | median)
  ng=$(tr ' ' '\n' <<<"${results[nginx_$page]}" | grep . | median)
  printf '| %s (%s bytes) | %.0f | %.0f | %.2f |\n' "$page" "$(wc -c <"$work/www/$page.json")" \
    "$pp" "$ng" "$(echo "$pp / $ng" | bc -l)"
  echo "  all rounds: passaparola ${results[pp_$page]}/ nginx ${results[nginx_$page]}" >&2
done

echo
echo "durable review submissions over HTTP ($CONNS connections, $DURATION)…" >&2
before=$(curl -sf "$base/summary" | sed 's/.*"review_count":\([0-9]*\).*/\1/')
out=$(TOKENS_FILE="$work/tokens.txt" WRK_THREADS=$THREADS \
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/submit.lua "http://127.0.0.1:$PP_PORT")
if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx responses" >&2; exit 1; fi
after=$(curl -sf "$base/summary" | sed 's/.*"review_count":\([0-9]*\).*/\1/')
sub_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
p50=$(awk '$1=="50%" {print $2}' <<<"$out")
p99=$(awk '$1=="99%" {print $2}' <<<"$out")
echo "| submissions | $sub_rps req/s | p50 $p50 | p99 $p99 | stored: $((after - before)) |"
