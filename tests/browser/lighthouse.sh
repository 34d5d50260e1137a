#!/usr/bin/env bash
# Lighthouse (Google's page audit, from npm) against the business page and the invitation form,
# in Debian's Chromium, on a fresh server with the demo data:
#   tests/browser/lighthouse.sh
# Prints each page's category scores (0–1) and every weighted audit below 1. The form is
# audited through its invitation link, as a customer reaches it (the link redirects to
# /review, keeping its token in a cookie). Recorded in
# docs/lighthouse.md. Not part of CI: Lighthouse is a measurement, and a large download.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
tools=$(mktemp -d)
work=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; rm -rf "$work" "$tools"; }
trap cleanup EXIT
(cd "$tools" && npm install --silent --no-audit --no-fund lighthouse@13 >/dev/null)
cargo build --quiet --release --bin passaparola
port=$((20000 + RANDOM % 20000))
"${CARGO_TARGET_DIR:-target}/release/passaparola" --data-dir "$work" --log warn serve --demo --listen "127.0.0.1:$port" >"$work/out" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
key=$(grep -o 'trattoria-da-gino: API key [^ ]*' "$work/out" | awk '{print $4}')
token=$(curl -sf -X POST "127.0.0.1:$port/api/v1/invitations" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"reference":"LIGHTHOUSE"}' | sed 's/.*"token":"\([^"]*\)".*/\1/')
for page in /b/trattoria-da-gino "/r/$token"; do
  CHROME_PATH=/usr/bin/chromium "$tools/node_modules/.bin/lighthouse" "http://127.0.0.1:$port$page" \
    --quiet --only-categories=performance,accessibility,best-practices,seo --output=json \
    --output-path="$work/report.json" --chrome-flags="--headless --no-sandbox --disable-gpu \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
  python3 - "$work/report.json" "$page" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
page = sys.argv[2] if not sys.argv[2].startswith("/r/") else "/r/{token}"
print(page, {k: v["score"] for k, v in d["categories"].items()})
# Which page was audited in the end (the link redirects to the form), and whether it had
# form fields for the accessibility audits to check.
print("   audited:", d["finalDisplayedUrl"].split("?")[0].rsplit("/", 2)[-2:],
      "· form fields labelled:", d["audits"]["label"]["scoreDisplayMode"])
for cat in d["categories"].values():
    for ref in cat["auditRefs"]:
        a = d["audits"][ref["id"]]
        if ref.get("weight", 0) > 0 and a.get("score") is not None and a["score"] < 1:
            print("   below 1:", ref["id"], a["score"])
PY
done
