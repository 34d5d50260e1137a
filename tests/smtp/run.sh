#!/usr/bin/env bash
# The e-mail tests: sets up the SMTP server they deliver to (tests/smtp/setup.sh: Python's
# aiosmtpd from PyPI, into a virtual environment under ~/.cache, made once), then runs the
# black-box tests of e-mail, shops and imports (mail::, mail_crash::, mail_dkim::, shops::,
# import::, and the few others whose names say mail) against the real server and binary.
# Extra arguments go to the test binary (e.g. `tests/smtp/run.sh --nocapture`). `cargo test --workspace` runs the same tests, and sets up the same
# environment itself on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== SMTP test server: $(tests/smtp/setup.sh)"
cargo test -p passaparola --test api -- mail shops import "$@"
