#!/usr/bin/env bash
# Issue 12, point 6: every figure of the write path and the public reads as a ratio against
# its baseline, measured side by side in one run:
#   bench/truth.sh [--profile] [REVIEWS] [DURATION] [ROUNDS]     (defaults: 100000 10s 3)
# Each round, in this order (and the two submission loads swapped every other round):
#  - raw SQLite committing one small row per transaction, one at a time, WAL and
#    synchronous = FULL like the server, in the server's data directory (examples/raw_commits);
#  - nginx serving a small static file (the CPU baseline for submissions);
#  - the summary and the first page of reviews of the seeded business, from the server and
#    from nginx serving the same bytes (saved from the server at the start of the round);
#  - durable submissions over HTTP (bench/submit.lua, a fresh invitation per request) to one
#    business, and to $BUSINESSES businesses at once (consecutive requests go to consecutive
#    businesses). Every answered submission must be logged, or the run is void.
# Then the server's RSS after the load. With --profile, bench/profile.sh's measurements
# follow on the same server: per-thread CPU, WAL bytes, batches, fsyncs and wrk's own cost.
# Traffic stays on 127.0.0.1; every process started here is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=0
if [ "${1:-}" = --profile ]; then PROFILE=1; shift; fi
REVIEWS=${1:-100000}
DURATION=${2:-10s}
ROUNDS=${3:-3}
BUSINESSES=${BUSINESSES:-1000}
THREADS=2
CONNS=${CONNS:-64}
PP_PORT=18580
NGINX_PORT=18581
# Fresh invitation tokens per submission round, more than a round can use (8,000/s; about
# 4,000/s measured at most).
secs=${DURATION%s}
TOKENS_PER_ROUND=${TOKENS_PER_ROUND:-$((secs * 8000))}
PROFILE_TOKENS=$((PROFILE * 2 * TOKENS_PER_ROUND)) # two profile runs: plain and under strace

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
if [ "$PROFILE" = 1 ] && ! command -v strace >/dev/null; then
  apt-get install -y -qq strace >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed --example raw_commits

work=$(mktemp -d)
export BENCH_WORK=$work
cleanup() {
  [ -n "${WRK_PID:-}" ] && kill "$WRK_PID" 2>/dev/null || true
  [ -n "${STRACE_PID:-}" ] && kill "$STRACE_PID" 2>/dev/null || true
  [ -n "${PP_PID:-}" ] && kill "$PP_PID" 2>/dev/null && wait "$PP_PID" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
log() { echo "$*" >&2; echo "$*" >>"$work/conditions.txt"; }
busy() { # the five busiest processes over one second (top's second sample), CPU % of one core
  top -b -n2 -d1 -w 200 | awk '/^top -/ {n++} n == 2 && $1 ~ /^[0-9]+$/ && k++ < 5 {printf "%s %s%%; ", $12, $9}'
}

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; data on $(df --output=source,fstype "$work" | tail -1)"
log "start: load average $(loadavg); busiest processes: $(busy)"
echo "seeding $REVIEWS reviews, $BUSINESSES businesses and their invitations…" >&2
one_tokens=$((TOKENS_PER_ROUND * ROUNDS + PROFILE_TOKENS))
BENCH_BUSINESSES=$BUSINESSES BENCH_SPREAD=$((TOKENS_PER_ROUND * ROUNDS)) \
  BENCH_SPREAD_OUT="$work/many.txt" \
  target/release/examples/bench_seed "$work/data" "$REVIEWS" "$one_tokens" "$work/one.txt"
# The profile's tokens are the last ones of the first business's.
head -n $((TOKENS_PER_ROUND * ROUNDS)) "$work/one.txt" >"$work/one-rounds.txt"
tail -n "$PROFILE_TOKENS" "$work/one.txt" >"$work/profile-tokens.txt"

target/release/passaparola --data-dir "$work/data" --log warn serve --listen "127.0.0.1:$PP_PORT" --no-rate-limits \
  >"$work/server.out" 2>"$work/server.err" &
PP_PID=$!
for _ in $(seq 600); do curl -sf "127.0.0.1:$PP_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "127.0.0.1:$PP_PORT/healthz" >/dev/null || { cat "$work/server.err" >&2; exit 1; }

base="http://127.0.0.1:$PP_PORT/api/v1/businesses/bottega-bench"
mkdir -p "$work/www"
printf 'Hello, world\n' >"$work/www/small.txt"
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
  types { application/json json; text/plain txt; }
  server { listen 127.0.0.1:$NGINX_PORT; root $work/www; }
}
CONF
nginx -c "$work/nginx.conf"
sleep 0.3

timed() { /usr/bin/time -f "%e %U %S" -o "$work/wrk.time" "$@"; }
wrk_cost() { # WRK_OUTPUT -> wrk's own CPU time per request, from the last `timed`
  local n; n=$(awk '/requests in/ {print $1}' <<<"$1")
  awk -v n="$n" '{printf "wrk itself %.1f µs CPU/request (%.2f cores)", ($2 + $3) * 1e6 / n, ($2 + $3) / $1}' "$work/wrk.time"
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rps() { # NAME URL -> requests per second (wrk); a non-2xx answer voids the run
  local out before
  before=$(loadavg)
  out=$(timed wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$2")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx from $2" >&2; exit 1; fi
  echo "  $1: load $before -> $(loadavg); $(wrk_cost "$out")" >>"$work/conditions.txt"
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
log_size() { curl -sf "127.0.0.1:$PP_PORT/log/checkpoint" | sed -n 2p; }
count() { curl -sf "$base/summary" | sed 's/.*"review_count":\([0-9]*\).*/\1/'; }
submit() { # NAME TOKENS ROUND -> req/s; checks answered ≤ logged ≤ answered + CONNS
  local name=$1 out before log0 log1 c0 c1 answered logged
  sed -n "$(((${3} - 1) * TOKENS_PER_ROUND + 1)),$((${3} * TOKENS_PER_ROUND))p" "$2" >"$work/round.txt"
  log0=$(log_size); c0=$(count); before=$(loadavg)
  out=$(TOKENS_FILE="$work/round.txt" WRK_THREADS=$THREADS \
    timed wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/submit.lua "http://127.0.0.1:$PP_PORT")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx responses" >&2; exit 1; fi
  sleep 1 # the requests in flight when wrk stopped finish
  log1=$(log_size); c1=$(count)
  answered=$(awk '/requests in/ {print $1}' <<<"$out")
  logged=$((log1 - log0))
  if [ "$logged" -lt "$answered" ] || [ "$logged" -gt $((answered + CONNS)) ]; then
    echo "void: $answered answered, $logged logged" >&2; exit 1
  fi
  if [ "$name" = one ] && [ $((c1 - c0)) -ne "$logged" ]; then
    echo "void: $logged logged, $((c1 - c0)) stored for the business" >&2; exit 1
  fi
  echo "  submissions to $name: load $before -> $(loadavg); $(wrk_cost "$out"); $answered answered, $logged logged, p50 $(awk '$1=="50%" {print $2}' <<<"$out"), p99 $(awk '$1=="99%" {print $2}' <<<"$out")" >>"$work/conditions.txt"
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

declare -A r
for round in $(seq "$ROUNDS"); do
  log "round $round/$ROUNDS: load average $(loadavg); busiest: $(busy)"
  before=$(loadavg)
  # Each raw commit waits for an fsync, which waits for the disk's other traffic: note how
  # much the kernel still had to write back (the previous round's submissions, say).
  dirty=$(awk '/^Dirty:/ {print $2}' /proc/meminfo)
  raw=$(target/release/examples/raw_commits "$work/data" "$DURATION" | awk '{print $3}')
  echo "  raw commits: load $before -> $(loadavg); dirty pages before: $dirty kB" >>"$work/conditions.txt"
  r[raw]+="$raw "
  r[static]+="$(rps "nginx small file" "http://127.0.0.1:$NGINX_PORT/small.txt") "
  for page in summary reviews; do
    curl -sf "$base/$page" >"$work/www/$page.json.tmp" && mv "$work/www/$page.json.tmp" "$work/www/$page.json"
    chmod a+r "$work/www/$page.json"
    r[bytes_$page]+="$(wc -c <"$work/www/$page.json") "
    if [ $((round % 2)) = 1 ]; then
      r[pp_$page]+="$(rps "passaparola $page" "$base/$page") "
      r[ng_$page]+="$(rps "nginx $page" "http://127.0.0.1:$NGINX_PORT/$page.json") "
    else
      r[ng_$page]+="$(rps "nginx $page" "http://127.0.0.1:$NGINX_PORT/$page.json") "
      r[pp_$page]+="$(rps "passaparola $page" "$base/$page") "
    fi
  done
  if [ $((round % 2)) = 1 ]; then
    r[one]+="$(submit one "$work/one-rounds.txt" "$round") "
    r[many]+="$(submit many "$work/many.txt" "$round") "
  else
    r[many]+="$(submit many "$work/many.txt" "$round") "
    r[one]+="$(submit one "$work/one-rounds.txt" "$round") "
  fi
  log "  round $round: raw ${raw}/s; nginx small $(awk '{print $NF}' <<<"${r[static]}")/s"
done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$PP_PID/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$PP_PID/status")
reviews_now=$(count)
log "end of rounds: load average $(loadavg); busiest: $(busy)"

ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / $2}'; }
per_round() { # A B -> the per-round ratios A/B
  paste -d' ' <(tr ' ' '\n' <<<"${r[$1]}" | grep .) <(tr ' ' '\n' <<<"${r[$2]}" | grep .) |
    awk '{printf "%.2f ", $1 / $2}'
}
whole() { tr ' ' '\n' <<<"${r[$1]}" | grep . | awk '{printf "%s%.0f", (NR > 1 ? " / " : ""), $1}'; }
med() { tr ' ' '\n' <<<"${r[$1]}" | grep . | median; }
verdict() { awk -v x="$1" -v t="$2" 'BEGIN {print (x >= t ? "met" : "not met")}'; }
row() { # LABEL A B TARGET
  local rounds m
  rounds=$(per_round "$2" "$3"); m=$(tr ' ' '\n' <<<"$rounds" | grep . | median)
  printf '| %s | %s | %s | %.2f (rounds: %s) | ≥ %s: **%s** |\n' "$1" "$(whole "$2")" "$(whole "$3")" "$m" \
    "${rounds% }" "$4" "$(verdict "$m" "$4")"
}
echo
echo "## Ratios, side by side ($ROUNDS rounds of $DURATION, wrk -t$THREADS -c$CONNS; ratio = median of the rounds' ratios)"
echo
echo "| what | measured, each round (/s) | baseline, each round (/s) | ratio | target |"
echo "|---|---|---|---:|---|"
row "durable submissions, 1 business / nginx small static file" one static 0.10
row "durable submissions, 1 business / raw SQLite single-row commits" one raw 1.0
row "durable submissions, $BUSINESSES businesses / nginx small static file" many static 0.10
row "durable submissions, $BUSINESSES businesses / raw SQLite single-row commits" many raw 1.0
row "durable submissions, $BUSINESSES businesses / 1 business" many one 0.80
row "summary ($(awk '{print $1}' <<<"${r[bytes_summary]}") bytes) / nginx, same bytes" pp_summary ng_summary 1.0
row "reviews, first page ($(awk '{print $1}' <<<"${r[bytes_reviews]}") bytes) / nginx, same bytes" pp_reviews ng_reviews 1.0
echo
echo "Response sizes each round: summary ${r[bytes_summary]}bytes; reviews ${r[bytes_reviews]}bytes."
echo "Server RSS after the load: VmRSS $((rss / 1024)) MiB (peak VmHWM $((hwm / 1024)) MiB), with $reviews_now reviews for the seeded business ($REVIEWS seeded)."
echo
echo "Conditions (load average 1/5/15 min, before -> after each run):"
cat "$work/conditions.txt"

if [ "$PROFILE" = 1 ]; then
  echo
  PP_PID=$PP_PID PP_PORT=$PP_PORT DB="$work/data/passaparola.db" TOKENS="$work/profile-tokens.txt" \
    TOKENS_PER_RUN=$TOKENS_PER_ROUND DURATION=$DURATION CONNS=$CONNS THREADS=$THREADS \
    bench/profile.sh
fi
