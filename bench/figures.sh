#!/usr/bin/env bash
# Reproduces the issue-5 figures in BENCHMARKS.md:
#   bench/figures.sh [REVIEWS] [DURATION] [ROUNDS]      (defaults: 1000000 10s 3)
# Seeds (once, kept under target/bench-data/) a business with REVIEWS reviews over three
# years, then:
#  1. the widget's JSON and the SVG badge under wrk, alternating with nginx serving the same
#     bytes as static files, in the same run (target: at least 0.8 of nginx's req/s), and the
#     summary, whose ratio earlier runs recorded, for comparison;
#  2. /stats and /trends latency (wrk --latency, 4 connections), rotating over every period
#     and filters, from a server with the public cache off (`--no-public-cache`, so each
#     request reads the cells) and from one with it on (target: p99 under 10 ms).
set -euo pipefail
cd "$(dirname "$0")/.."
REVIEWS=${1:-1000000}
DURATION=${2:-10s}
ROUNDS=${3:-3}
THREADS=2
CONNS=${CONNS:-64}
PP_PORT=18490
NGINX_PORT=18491
RAW_PORT=18492

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed
seeded=target/bench-data/figures-$REVIEWS
if [ ! -f "$seeded/passaparola.db" ]; then
  echo "seeding $REVIEWS reviews over three years (once)…" >&2
  rm -rf "$seeded.tmp" && mkdir -p "$seeded.tmp"
  target/release/examples/bench_seed "$seeded.tmp" "$REVIEWS" 0 /dev/null
  mv "$seeded.tmp" "$seeded"
fi

work=$(mktemp -d)
cleanup() {
  for pid in ${PP_PID:-} ${RAW_PID:-}; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cp -r "$seeded" "$work/data"

serve() { # PORT [FLAGS] -> starts a server on the data directory, waits until it answers
  local port=$1; shift
  target/release/passaparola --data-dir "$work/data" --log warn serve --listen "127.0.0.1:$port" --no-rate-limits "$@" \
    >"$work/$port.out" 2>"$work/$port.err" &
  for _ in $(seq 600); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server did not start:" >&2; cat "$work/$port.err" >&2; exit 1
}
serve "$PP_PORT"; PP_PID=$!

base="http://127.0.0.1:$PP_PORT"
mkdir -p "$work/www/badge"
curl -sf "$base/api/v1/businesses/bottega-bench/widget?lang=it" >"$work/www/widget.json"
curl -sf "$base/badge/bottega-bench.svg" >"$work/www/badge.svg"
curl -sf "$base/api/v1/businesses/bottega-bench/summary" >"$work/www/summary.json"
chmod 755 "$work" && chmod -R a+rX "$work/www"
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
  types { application/json json; image/svg+xml svg; }
  server { listen 127.0.0.1:$NGINX_PORT; root $work/www; etag on; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.3

wrk_out() { # ARGS… -> wrk's output, stops on errors
  local out
  out=$(wrk "$@")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses: $*" >&2; echo "$out" >&2; exit 1; fi
  echo "$out"
}
rps() { wrk_out -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1" | awk '/Requests\/sec/ {print $2}'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -A results
for round in $(seq "$ROUNDS"); do
  echo "widget and badge, round $round/$ROUNDS…" >&2
  results[pp_widget]+="$(rps "$base/api/v1/businesses/bottega-bench/widget?lang=it") "
  results[nginx_widget]+="$(rps "http://127.0.0.1:$NGINX_PORT/widget.json") "
  results[pp_badge]+="$(rps "$base/badge/bottega-bench.svg") "
  results[nginx_badge]+="$(rps "http://127.0.0.1:$NGINX_PORT/badge.svg") "
  results[pp_summary]+="$(rps "$base/api/v1/businesses/bottega-bench/summary") "
  results[nginx_summary]+="$(rps "http://127.0.0.1:$NGINX_PORT/summary.json") "
done
echo
echo "| response | passaparola req/s (median of $ROUNDS) | nginx, same bytes, req/s | ratio |"
echo "|---|---:|---:|---:|"
for what in widget badge summary; do
  case $what in widget) file=widget.json ;; badge) file=badge.svg ;; *) file=summary.json ;; esac
  pp=$(tr ' ' '\n' <<<"${results[pp_$what]}" | grep . | median)
  ng=$(tr ' ' '\n' <<<"${results[nginx_$what]}" | grep . | median)
  printf '| %s (%s bytes) | %.0f | %.0f | %.2f |\n' "$what" "$(wc -c <"$work/www/$file")" \
    "$pp" "$ng" "$(echo "$pp / $ng" | bc -l)"
  echo "  all rounds: passaparola ${results[pp_$what]}/ nginx ${results[nginx_$what]}" >&2
done

# Every period, verified or not, the whole business and a product, and both trends.
cat >"$work/stats.lua" <<'LUA'
local paths = {}
for _, period in ipairs({"7", "30", "90", "365", "all"}) do
  for _, extra in ipairs({"", "&verified=true", "&product=P-05"}) do
    table.insert(paths, "/api/v1/businesses/bottega-bench/stats?period=" .. period .. extra)
  end
end
table.insert(paths, "/api/v1/businesses/bottega-bench/trends?grain=week")
table.insert(paths, "/api/v1/businesses/bottega-bench/trends?grain=month")
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
LUA
serve "$RAW_PORT" --no-public-cache; RAW_PID=$!
latency() { # PORT -> "req/s p50 p99"
  local out
  out=$(wrk_out -t"$THREADS" -c4 -d"$DURATION" --latency -s "$work/stats.lua" "http://127.0.0.1:$1")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1=="50%" {print $2}' <<<"$out") $(awk '$1=="99%" {print $2}' <<<"$out")"
}
declare -A lat
for round in $(seq "$ROUNDS"); do
  echo "stats, round $round/$ROUNDS…" >&2
  lat[raw]+="$(latency "$RAW_PORT");"
  lat[cached]+="$(latency "$PP_PORT");"
done
echo
echo "| /stats and /trends, $REVIEWS reviews, 4 connections | each round: req/s, p50, p99 |"
echo "|---|---|"
echo "| cache off (every request reads the cells) | ${lat[raw]} |"
echo "| cache on | ${lat[cached]} |"
