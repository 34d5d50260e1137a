#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md on this machine:
#   bench/run.sh [REVIEWS] [DURATION] [ROUNDS]      (defaults: 100000 10s 3)
# It builds the release binary, seeds a fresh data directory, serves it, serves the same
# response bytes from nginx as static files, and runs wrk against both, alternating, in the
# same run. Then it measures durable review submissions per second over HTTP (each one log
# event), alternating between that server and a second one whose log already holds
# $BIG_LOG entries (default 10M; seeded by the store's log_receipts benchmark), and checks
# that each log grew by exactly the answered submissions.
set -euo pipefail
cd "$(dirname "$0")/.."
REVIEWS=${1:-100000}
DURATION=${2:-10s}
ROUNDS=${3:-3}
THREADS=2
CONNS=${CONNS:-64}
PP_PORT=18480
NGINX_PORT=18481
BIG_PORT=18482
BIG_LOG=${BIG_LOG:-10000000}
# Fresh invitation tokens per submission round: more than a round can use.
TOKENS_PER_ROUND=${TOKENS_PER_ROUND:-150000}

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed
big_db=target/bench-data/log-$BIG_LOG.db
if [ ! -f "$big_db" ] || [ ! -f "target/bench-data/log-$BIG_LOG.key" ]; then
  echo "seeding a log of $BIG_LOG entries (and measuring receipts on it)…" >&2
  cargo bench -p store-sqlite --bench log_receipts -- receipt
fi

work=$(mktemp -d)
cleanup() {
  [ -n "${PP_PID:-}" ] && kill "$PP_PID" 2>/dev/null || true
  [ -n "${BIG_PID:-}" ] && kill "$BIG_PID" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

serve() { # DATA_DIR PORT -> starts the server in the background, waits until it answers
  target/release/passaparola --data-dir "$1" --log warn serve --listen "127.0.0.1:$2" --no-rate-limits \
    >"$1.out" 2>"$1.err" &
  # The start-up check rebuilds every stored hash of the log: seconds for a large one.
  for _ in $(seq 600); do curl -sf "127.0.0.1:$2/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server on $1 did not start:" >&2; cat "$1.err" >&2; exit 1
}

echo "seeding $REVIEWS reviews, twice (the second on a log of $BIG_LOG entries)…" >&2
target/release/examples/bench_seed "$work/data" "$REVIEWS" $((TOKENS_PER_ROUND * ROUNDS)) "$work/tokens.txt"
mkdir -p "$work/big"
cp "$big_db" "$work/big/passaparola.db"
install -m 600 "target/bench-data/log-$BIG_LOG.key" "$work/big/log.key"
target/release/examples/bench_seed "$work/big" "$REVIEWS" $((TOKENS_PER_ROUND * ROUNDS)) "$work/big-tokens.txt"
serve "$work/data" "$PP_PORT"; PP_PID=$!

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
  # nginx at its best for static files: descriptors kept open, bodies sent with sendfile.
  open_file_cache max=100 inactive=60s;
  open_file_cache_valid 60s;
  sendfile on;
  tcp_nopush on;
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
echo "durable review submissions over HTTP ($CONNS connections, $DURATION per round)…" >&2
serve "$work/big" "$BIG_PORT"; BIG_PID=$!
log_size() { curl -sf "127.0.0.1:$1/log/checkpoint" | sed -n 2p; }
count() { curl -sf "127.0.0.1:$1/api/v1/businesses/bottega-bench/summary" | sed 's/.*"review_count":\([0-9]*\).*/\1/'; }
submit_round() { # PORT TOKENS ROUND -> "req/s p50 p99 answered", checks answered ≤ stored == logged
  local port=$1 tokens=$2 round=$3 out reviews0 log0 reviews1 log1 answered stored logged
  sed -n "$(((round - 1) * TOKENS_PER_ROUND + 1)),$((round * TOKENS_PER_ROUND))p" "$tokens" >"$work/round.txt"
  reviews0=$(count "$port"); log0=$(log_size "$port")
  out=$(TOKENS_FILE="$work/round.txt" WRK_THREADS=$THREADS \
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/submit.lua "http://127.0.0.1:$port")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx responses" >&2; exit 1; fi
  sleep 1 # the requests in flight when wrk stopped finish
  reviews1=$(count "$port"); log1=$(log_size "$port")
  answered=$(awk '/requests in/ {print $1}' <<<"$out")
  # wrk stops with up to $CONNS requests in flight: the server stores them, wrk never counts
  # their answers. Every answer must be stored, and every stored review logged.
  stored=$((reviews1 - reviews0)); logged=$((log1 - log0))
  if [ "$stored" -lt "$answered" ] || [ "$stored" -gt $((answered + CONNS)) ] || [ "$logged" -ne "$stored" ]; then
    echo "void: $answered answered, $stored stored, $logged logged" >&2; exit 1
  fi
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out") $answered"
}
declare -A subs
for round in $(seq "$ROUNDS"); do
  echo "submission round $round/$ROUNDS…" >&2
  subs[fresh]+="$(submit_round "$PP_PORT" "$work/tokens.txt" "$round")
"
  subs[big]+="$(submit_round "$BIG_PORT" "$work/big-tokens.txt" "$round")
"
done
echo
echo "| log before the run | submissions = log events/s (median of $ROUNDS) | each round: req/s, p50, p99, answered (all stored and logged) |"
echo "|---|---:|---|"
for which in fresh big; do
  label=$([ "$which" = fresh ] && echo "$(($(log_size "$PP_PORT") / 1000))k entries at the end" || echo "$BIG_LOG entries + the seeded ones")
  med=$(grep . <<<"${subs[$which]}" | awk '{print $1}' | median)
  printf '| %s | %.0f | %s |\n' "$label" "$med" "$(grep . <<<"${subs[$which]}" | tr '\n' ';')"
done
