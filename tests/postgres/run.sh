#!/usr/bin/env bash
# The PostgreSQL half of the tests: starts a throwaway cluster (tests/postgres/cluster.sh:
# initdb + pg_ctl as an unprivileged user, on a free port), runs the README's test command
# with PASSAPAROLA_TEST_POSTGRES naming it, so that the storage contract suite and the
# black-box API and page tests run against PostgreSQL (each test on a database of its own),
# and stops the cluster. Installs Debian's PostgreSQL first if it is missing. Extra
# arguments go to `cargo test` (e.g. `tests/postgres/run.sh -p app --test contract`).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v pg_ctl >/dev/null 2>&1 && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  echo "== installing PostgreSQL (Debian's postgresql)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

dir=$(mktemp -d /tmp/passaparola-pg.XXXXXX)
chmod 755 "$dir"
cleanup() {
  tests/postgres/cluster.sh stop "$dir" || true
  rm -rf "$dir"
}
trap cleanup EXIT
url=$(tests/postgres/cluster.sh start "$dir")
echo "== a throwaway PostgreSQL cluster at $url"
export PASSAPAROLA_TEST_POSTGRES="$url"
# The cluster's certificate authority, for the tests of TLS to the database (if openssl made
# one).
if [ -f "$dir/ca.crt" ]; then
  export PASSAPAROLA_TEST_POSTGRES_CA="$dir/ca.crt"
fi
if [ "$#" -eq 0 ]; then
  set -- --workspace
fi
cargo test "$@"
