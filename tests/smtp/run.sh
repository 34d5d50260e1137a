#!/usr/bin/env bash
# The e-mail tests: sets up the SMTP server they deliver to (tests/smtp/setup.sh: Python's
# aiosmtpd from PyPI, into a virtual environment under ~/.cache, made once), then runs the
# black-box tests whose names contain `mail` (mail::, mail_crash::, and the few others about
# e-mail) against the real server and binary. Extra arguments go to `cargo test` (e.g. `tests/smtp/run.sh --
# --nocapture`). `cargo test --workspace` runs the same tests, and sets up the same
# environment itself on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== SMTP test server: $(tests/smtp/setup.sh)"
cargo test -p passaparola --test api mail "$@"
