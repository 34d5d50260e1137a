#!/usr/bin/env bash
# Issue 12, point 5 (first half): where a durable submission's cost goes, measured on a
# running server under wrk + bench/submit.lua. Run it through
#   bench/truth.sh --profile [REVIEWS] [DURATION] [ROUNDS]
# which starts the server and seeds the tokens, then calls this with:
#   PP_PID PP_PORT DB TOKENS TOKENS_PER_RUN DURATION CONNS THREADS
# Two runs of DURATION, each with its own fresh tokens:
#  1. plain: per-thread CPU time (utime + stime from /proc/PID/task/TID/stat) and bytes
#     written (wchar, syscw from /proc/PID/task/TID/io) before and after, the process's
#     write_bytes (/proc/PID/io), the WAL file's size, the log's checkpoints (one per
#     committed batch) and wrk's own CPU time (/usr/bin/time around it);
#  2. under `strace -f -y -e trace=fsync,fdatasync` (which slows every system call of the
#     server, so its throughput is not the plain one): fsync and fdatasync calls per thread
#     and per file, against the batches committed meanwhile.
# Each per-submission figure divides by the submissions the log gained over the run (those
# wrk counted answered, plus up to CONNS in flight when it stopped, answered after).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PP_PID:?}" "${PP_PORT:?}" "${DB:?}" "${TOKENS:?}" "${TOKENS_PER_RUN:?}"
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
HZ=$(getconf CLK_TCK)
CORES=$(nproc)
work=$(mktemp -d)
cleanup() {
  [ -n "${STRACE_PID:-}" ] && kill "$STRACE_PID" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

snapshot() { # -> "tid comm utime stime wchar syscw write_bytes" (ticks, bytes) per live thread,
  # and "all process …" for the whole process (its times include the threads that exited)
  local t tid stat comm io
  for t in /proc/"$PP_PID"/task/*; do
    tid=${t##*/}
    { stat=$(<"$t/stat") && comm=$(<"$t/comm") && io=$(<"$t/io"); } 2>/dev/null || continue
    printf '%s %s %s %s\n' "$tid" "${comm// /_}" \
      "$(awk '{sub(/.*\) /, ""); print $12, $13}' <<<"$stat")" \
      "$(awk '/^wchar/ {w=$2} /^syscw/ {s=$2} /^write_bytes/ {b=$2} END {print w, s, b}' <<<"$io")"
  done
  printf 'all process %s %s\n' \
    "$(awk '{sub(/.*\) /, ""); print $12, $13}' "/proc/$PP_PID/stat")" \
    "$(awk '/^wchar/ {w=$2} /^syscw/ {s=$2} /^write_bytes/ {b=$2} END {print w, s, b}' "/proc/$PP_PID/io")"
}
batches() { sqlite3 "$DB" "SELECT count(*) FROM log_checkpoints"; }
log_size() { curl -sf "127.0.0.1:$PP_PORT/log/checkpoint" | sed -n 2p; }
wal_size() { stat -c %s "$DB-wal" 2>/dev/null || echo 0; }
load_wrk() { # FIRST_LINE -> wrk's output; tokens FIRST_LINE .. +TOKENS_PER_RUN
  sed -n "$1,$(($1 + TOKENS_PER_RUN - 1))p" "$TOKENS" >"$work/round.txt"
  TOKENS_FILE="$work/round.txt" WRK_THREADS=$THREADS /usr/bin/time -f "%e %U %S" -o "$work/wrk.time" \
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/submit.lua "http://127.0.0.1:$PP_PORT"
}
PAGE=$(sqlite3 "$DB" "PRAGMA page_size")
FRAME=$((PAGE + 24)) # a WAL frame: a 24-byte header and one page

echo "## Profile of durable submissions (1 business, wrk -t$THREADS -c$CONNS, $DURATION)"
echo
# Run 1: plain.
load0=$(loadavg)
snapshot >"$work/s0"; b0=$(batches); l0=$(log_size); w0=$(wal_size)
out=$(load_wrk 1)
if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx responses" >&2; exit 1; fi
sleep 1 # the submissions in flight when wrk stopped finish
snapshot >"$work/s1"; b1=$(batches); l1=$(log_size); w1=$(wal_size)
load1=$(loadavg)
answered=$(awk '/requests in/ {print $1}' <<<"$out")
rate=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
subs=$((l1 - l0)); nb=$((b1 - b0))
read -r wrk_wall wrk_user wrk_sys <"$work/wrk.time"
secs=${DURATION%s}
echo "Run 1, plain: $rate req/s, $answered answered, $subs logged, in $nb batches" \
  "($(awk -v s="$subs" -v b="$nb" 'BEGIN {printf "%.1f", s / b}') submissions a batch);" \
  "load average $load0 before, $load1 after."
echo
echo "CPU per submission, per thread (µs = (utime + stime) over the run / $subs submissions;"
echo "busy = CPU time / the ${secs} s of the run; ${HZ} ticks a second):"
echo
echo "| thread | threads | µs per submission (user + system) | cores busy |"
echo "|---|---:|---:|---:|"
# Tokio's worker threads are started with the runtime, before any of its blocking-pool
# threads (which share their name): the $CORES lowest TIDs named tokio-r… are taken as the
# workers, the others as the blocking pool (the server's reads of the database).
awk -v subs="$subs" -v hz="$HZ" -v secs="$secs" -v cores="$CORES" '
  FNR == NR { u0[$1] = $3; s0[$1] = $4; next }
  {
    du = $3 - (($1 in u0) ? u0[$1] : 0); ds = $4 - (($1 in s0) ? s0[$1] : 0)
    if ($1 == "all") { tu = du; ts = ds; next }
    n++; tid[n] = $1 + 0; nm[n] = $2; u[n] = du; s[n] = ds; su += du; ss += ds
    if ($2 ~ /^tokio-r/) tok[++nt] = $1 + 0
  }
  function row(label, count, a, b) {
    printf "| %s | %s | %.1f (%.1f + %.1f) | %.2f |\n", label, count, (a + b) * 1e6 / hz / subs,
      a * 1e6 / hz / subs, b * 1e6 / hz / subs, (a + b) / hz / secs
  }
  END {
    for (i = 1; i <= nt; i++) for (j = i + 1; j <= nt; j++) if (tok[j] < tok[i]) { x = tok[i]; tok[i] = tok[j]; tok[j] = x }
    for (i = 1; i <= nt && i <= cores; i++) worker[tok[i]] = 1
    order[1] = "writer (passaparola-writer)"; order[2] = "checkpointer (passaparola-checkpoint)"
    for (i = 1; i <= n; i++) {
      g = nm[i]
      if (g == "passaparola-wri") g = order[1]
      else if (g == "passaparola-che") g = order[2]
      else if (g ~ /^tokio-r/ && (tid[i] in worker)) g = "tokio worker, TID " tid[i]
      else if (g ~ /^tokio-r/) g = "tokio blocking pool"
      else { others[g] = 1; g = "other threads" }
      gu[g] += u[i]; gs[g] += s[i]; gn[g]++
    }
    for (k = 1; k <= 2; k++) if (order[k] in gn) { row(order[k], 1, gu[order[k]], gs[order[k]]); delete gn[order[k]] }
    for (g in gn) if (g ~ /^tokio worker/) { row(g, 1, gu[g], gs[g]); delete gn[g] }
    if ("tokio blocking pool" in gn) { row("tokio blocking pool", gn["tokio blocking pool"], gu["tokio blocking pool"], gs["tokio blocking pool"]); delete gn["tokio blocking pool"] }
    names = ""; for (o in others) names = names (names == "" ? "" : ", ") o
    if ("other threads" in gn) row("other threads (" names ")", gn["other threads"], gu["other threads"], gs["other threads"])
    row("threads that exited during the run (the process total minus the live threads)", "", tu - su, ts - ss)
    row("**the whole server** (/proc/PID/stat)", "", tu, ts)
  }' "$work/s0" "$work/s1"
echo
awk -v wall="$wrk_wall" -v u="$wrk_user" -v s="$wrk_sys" -v n="$answered" 'BEGIN {
  printf "wrk itself (-t2, with submit.lua): %.1f µs of CPU per request (user %.2f s + system %.2f s over %s requests), %.2f cores over its %.1f s.\n",
    (u + s) * 1e6 / n, u, s, n, (u + s) / wall, wall }'
echo
echo "Writes (page size $PAGE bytes, so a WAL frame is $FRAME bytes):"
echo
awk -v subs="$subs" -v frame="$FRAME" -v nb="$nb" -v wal0="$w0" -v wal1="$w1" '
  FNR == NR { w[$1] = $5; c[$1] = $6; b[$1] = $7; next }
  {
    dw = $5 - (($1 in w) ? w[$1] : 0); dc = $6 - (($1 in c) ? c[$1] : 0); db = $7 - (($1 in b) ? b[$1] : 0)
    if ($2 == "passaparola-wri") { ww = dw; wc = dc }
    if ($2 == "passaparola-che") { cw = dw; cc = dc }
    if ($1 == "all") { pw = dw; pb = db }
  }
  END {
    printf "- the writer thread wrote %.0f bytes per submission (wchar) in %.1f write calls (syscw): %.2f WAL frames per submission if all are frames, %.1f frames per batch;\n", ww / subs, wc / subs, ww / frame / subs, ww / frame / nb
    printf "- the checkpointer wrote %.0f bytes per submission (copying the WAL back into the database file) in %.1f write calls;\n", cw / subs, cc / subs
    printf "- the whole server wrote %.0f bytes per submission (wchar), %.0f bytes per submission reached the block layer (write_bytes);\n", pw / subs, pb / subs
    printf "- the WAL file went from %d to %d bytes (%.0f bytes per submission; it grows only when a checkpoint has not yet let the writer start over).\n", wal0, wal1, (wal1 - wal0) / subs
  }' "$work/s0" "$work/s1"

# Run 2: under strace.
echo
STRACE_LOG=$work/strace.log
strace -f -y -e trace=fsync,fdatasync -o "$STRACE_LOG" -p "$PP_PID" 2>"$work/strace.err" &
STRACE_PID=$!
sleep 2 # attached to every thread
snapshot >"$work/threads"
b0=$(batches); l0=$(log_size); load0=$(loadavg)
out=$(load_wrk $((TOKENS_PER_RUN + 1)))
if grep -q "Non-2xx" <<<"$out"; then echo "$out" >&2; echo "void: non-2xx responses" >&2; exit 1; fi
sleep 1
b1=$(batches); l1=$(log_size); load1=$(loadavg)
kill -INT "$STRACE_PID"; wait "$STRACE_PID" 2>/dev/null || true; STRACE_PID=
subs=$((l1 - l0)); nb=$((b1 - b0))
snapshot >>"$work/threads" 2>/dev/null || true
echo "Run 2, under strace (fsync and fdatasync traced; strace stops the server at every system call, so this run is slower): $(awk '/Requests\/sec/ {print $2}' <<<"$out") req/s, $subs logged, in $nb batches ($(awk -v s="$subs" -v b="$nb" 'BEGIN {printf "%.1f", s / b}') submissions a batch); load average $load0 before, $load1 after."
echo
echo "| thread | call | file | calls | per batch | per submission |"
echo "|---|---|---|---:|---:|---:|"
grep -E '^[0-9]+ +(fsync|fdatasync)\(' "$STRACE_LOG" |
  sed -E 's/^([0-9]+) +(fsync|fdatasync)\([0-9]+<([^>]*)>.*/\1 \2 \3/' |
  awk -v nb="$nb" -v subs="$subs" '
    FNR == NR { name[$1] = $2; next }
    {
      t = ($1 in name) ? name[$1] : "thread " $1
      f = $3; sub(/.*\//, "", f)
      k = t " | " $2 " | " f; n[k]++; total++
    }
    END {
      for (k in n) printf "| %s | %d | %.2f | %.4f |\n", k, n[k], n[k] / nb, n[k] / subs
      printf "| **all** | | | **%d** | **%.2f** | **%.4f** |\n", total, total / nb, total / subs
    }' "$work/threads" -
