#!/usr/bin/env bash
# Issue 14: SQLite and PostgreSQL side by side, in one run, against the same baselines:
#   bench/postgres.sh [REVIEWS] [DURATION] [ROUNDS]      (defaults: 20000 5s 3)
#
# Seeds one instance on SQLite (bench_seed: REVIEWS reviews, plus fresh invitations for the
# submission rounds), moves it to a throwaway PostgreSQL cluster with `passaparola copy`
# (timed), and starts: one server on SQLite, two on the PostgreSQL database (same keys), and
# one more of each with --no-public-cache. Then, alternating, each round measures:
#  - the baselines: raw SQLite committing one fsync'd row at a time (examples/raw_commits,
#    the disk) and nginx serving a small static file (the CPU);
#  - durable submissions (bench/submit.lua, a fresh invitation each): on SQLite; on one
#    PostgreSQL server; on two PostgreSQL servers at once (half the connections each);
#  - public reads of the first page of reviews: nginx serving the same bytes, then each
#    backend with its public cache and without it.
# Every submission round checks that the log grew by the answered submissions (up to the
# connections' worth more, in flight when wrk stopped). Installs wrk, nginx-light and
# postgresql from Debian if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
REVIEWS=${1:-20000}
DURATION=${2:-5s}
ROUNDS=${3:-3}
CONNS=${CONNS:-64}
TOKENS_PER_ROUND=${TOKENS_PER_ROUND:-60000}
SQLITE_PORT=18490 PG1_PORT=18491 PG2_PORT=18492 NGINX_PORT=18493
SQLITE_NC_PORT=18494 PG_NC_PORT=18495

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk nginx-light >/dev/null
fi
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
cargo build --release --quiet --bin passaparola --example bench_seed --example raw_commits
bin=target/release/passaparola

work=$(mktemp -d /tmp/passaparola-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  tests/postgres/cluster.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "$*" >&2; echo "$*" >>"$work/conditions.txt"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

log "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; data on $(df --output=source,fstype "$work" | tail -1)"
tokens=$((TOKENS_PER_ROUND * ROUNDS * 3))
echo "seeding $REVIEWS reviews and $tokens invitations on SQLite…" >&2
target/release/examples/bench_seed "$work/sqlite" "$REVIEWS" "$tokens" "$work/tokens.txt" >&2

serve() { # NAME DATA_DIR PORT [OPTIONS…] -> starts a server in the background
  local name=$1 dir=$2 port=$3; shift 3
  "$bin" --data-dir "$dir" --log warn serve --listen "127.0.0.1:$port" --no-rate-limits "$@" \
    >"$work/$name.out" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 600); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
  echo "the server $name did not start:" >&2; cat "$work/$name.err" >&2; exit 1
}

# The SQLite instance's first checkpoint (bench_seed appends entries without signing).
serve first "$work/sqlite" "$SQLITE_PORT"
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'

admin=$(tests/postgres/cluster.sh start "$work/pg")
base=${admin%%\?*}
pg_url="${base%/postgres}/bench?sslmode=disable"
psql -q "$admin" -c "CREATE DATABASE bench"
started=$(date +%s.%N)
"$bin" --data-dir "$work/sqlite" copy --from "sqlite://$work/sqlite/passaparola.db" --to "$pg_url" \
  >"$work/copy.out" 2>/dev/null
copy_seconds=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
log "copy: $(head -1 "$work/copy.out") in ${copy_seconds} s"
for d in pg1 pg2; do
  mkdir -p "$work/$d"
  install -m 600 "$work/sqlite/log.key" "$work/sqlite/instance.key" "$work/$d/"
done

serve sqlite "$work/sqlite" "$SQLITE_PORT"
serve sqlite-nc "$work/sqlite" "$SQLITE_NC_PORT" --no-public-cache
serve pg1 "$work/pg1" "$PG1_PORT" --database-url "$pg_url"
serve pg2 "$work/pg2" "$PG2_PORT" --database-url "$pg_url"
serve pg-nc "$work/pg2" "$PG_NC_PORT" --database-url "$pg_url" --no-public-cache

page=/api/v1/businesses/bottega-bench/reviews?limit=20
mkdir -p "$work/www"
printf 'Hello, world\n' >"$work/www/small.txt"
curl -sf "127.0.0.1:$SQLITE_PORT$page" >"$work/www/page.json"
chmod -R a+rX "$work/www"
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
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

rps() { # URL -> requests per second; a non-2xx answer voids the run
  local out
  out=$(wrk -t2 -c"$CONNS" -d"$DURATION" "$1")
  if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx from $1" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
log_size() { curl -sf "127.0.0.1:$1/log/checkpoint" | sed -n 2p; }
slice() { # N -> the Nth slice of TOKENS_PER_ROUND tokens, in $work/slice-N.txt
  sed -n "$((($1 - 1) * TOKENS_PER_ROUND + 1)),$(($1 * TOKENS_PER_ROUND))p" "$work/tokens.txt" >"$work/slice-$1.txt"
  echo "$work/slice-$1.txt"
}
submit() { # NAME PORT[,PORT] TOKENS -> submissions per second, all servers together
  local name=$1 ports=$2 file=$3 n out total=0 answered=0 log0 log1 p50 i=0
  IFS=, read -r -a list <<<"$ports"
  n=${#list[@]}
  log0=$(log_size "${list[0]}")
  for port in "${list[@]}"; do
    # Server k of n takes every nth token from the kth.
    awk -v k="$i" -v n="$n" 'NR % n == k' "$file" >"$work/$name-$i.txt"
    TOKENS_FILE="$work/$name-$i.txt" WRK_THREADS=$((2 / n)) \
      wrk -t$((2 / n)) -c$((CONNS / n)) -d"$DURATION" --latency -s bench/submit.lua \
      "http://127.0.0.1:$port" >"$work/$name-$i.out" &
    i=$((i + 1))
  done
  wait
  sleep 1
  log1=$(log_size "${list[0]}")
  for i in $(seq 0 $((n - 1))); do
    out=$(cat "$work/$name-$i.out")
    if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx on $name" >&2; exit 1; fi
    total=$(awk -v a="$total" -v b="$(awk '/Requests\/sec/ {print $2}' <<<"$out")" 'BEGIN {print a + b}')
    answered=$((answered + $(awk '/requests in/ {print $1}' <<<"$out")))
    p50="${p50:-}$(awk '$1=="50%" {print $2}' <<<"$out")/$(awk '$1=="99%" {print $2}' <<<"$out") "
  done
  local logged=$((log1 - log0))
  if [ "$logged" -lt "$answered" ] || [ "$logged" -gt $((answered + CONNS)) ]; then
    echo "void: $name: $answered answered, $logged logged" >&2; exit 1
  fi
  echo "  $name: $answered answered, $logged logged; p50/p99 $p50" >>"$work/conditions.txt"
  echo "$total"
}

declare -A r
slice_no=0
for round in $(seq "$ROUNDS"); do
  log "round $round/$ROUNDS: load $(loadavg)"
  r[raw]+="$(target/release/examples/raw_commits "$work/sqlite" "$DURATION" | awk '{print $3}') "
  r[small]+="$(rps "http://127.0.0.1:$NGINX_PORT/small.txt") "
  slice_no=$((slice_no + 1)); s=$(slice "$slice_no")
  r[w_sqlite]+="$(submit sqlite "$SQLITE_PORT" "$s") "
  r[w_pg1]+="$(submit pg1 "$PG1_PORT" "$s") " # the same tokens: another database
  slice_no=$((slice_no + 1)); s=$(slice "$slice_no")
  r[w_pg2]+="$(submit pg2 "$PG1_PORT,$PG2_PORT" "$s") "
  slice_no=$((slice_no + 1)) # a spare slice: the rounds never reuse tokens on one database
  r[nginx_page]+="$(rps "http://127.0.0.1:$NGINX_PORT/page.json") "
  r[r_sqlite]+="$(rps "http://127.0.0.1:$SQLITE_PORT$page") "
  r[r_pg]+="$(rps "http://127.0.0.1:$PG1_PORT$page") "
  r[r_sqlite_nc]+="$(rps "http://127.0.0.1:$SQLITE_NC_PORT$page") "
  r[r_pg_nc]+="$(rps "http://127.0.0.1:$PG_NC_PORT$page") "
  log "  raw ${r[raw]}| small ${r[small]}| sqlite ${r[w_sqlite]}| pg1 ${r[w_pg1]}| pg2 ${r[w_pg2]}"
done

m() { tr ' ' '\n' <<<"${r[$1]}" | grep . | median; }
row() { # LABEL KEY BASELINE_KEY
  printf '| %s | %s | %s | %.3f |\n' "$1" "${r[$2]}" "${r[$3]}" "$(awk -v a="$(m "$2")" -v b="$(m "$3")" 'BEGIN {print a / b}')"
}
echo
echo "Copy of $REVIEWS reviews to PostgreSQL: ${copy_seconds} s ($(head -1 "$work/copy.out"))"
echo
echo "| what | measured, each round (/s) | baseline, each round (/s) | ratio of medians |"
echo "|---|---|---|---:|"
row "submissions, SQLite / raw SQLite commits" w_sqlite raw
row "submissions, PostgreSQL, 1 server / raw SQLite commits" w_pg1 raw
row "submissions, PostgreSQL, 2 servers / raw SQLite commits" w_pg2 raw
row "submissions, SQLite / nginx small file" w_sqlite small
row "submissions, PostgreSQL, 1 server / nginx small file" w_pg1 small
row "submissions, PostgreSQL, 2 servers / nginx small file" w_pg2 small
row "first page of reviews, SQLite, cached / nginx same bytes" r_sqlite nginx_page
row "first page of reviews, PostgreSQL, cached / nginx same bytes" r_pg nginx_page
row "first page of reviews, SQLite, uncached / nginx same bytes" r_sqlite_nc nginx_page
row "first page of reviews, PostgreSQL, uncached / nginx same bytes" r_pg_nc nginx_page
echo
echo "Conditions:"
cat "$work/conditions.txt"
