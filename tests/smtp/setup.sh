#!/usr/bin/env bash
# The SMTP server the e-mail tests deliver to: Python's aiosmtpd, and dkimpy to verify the
# DKIM signatures it receives (both from PyPI, into a virtual environment at
# ${XDG_CACHE_HOME:-~/.cache}/passaparola-smtp, made once), running tests/smtp/server.py.
# Prints the virtual environment's python3. `cargo test` runs this itself when the
# environment is missing; CI runs it first so its output is seen.
set -euo pipefail
aiosmtpd_version=1.4.6
dkimpy_version=1.1.8
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/passaparola-smtp
ready() { "$venv/bin/python3" -c "import aiosmtpd, dkim" >/dev/null 2>&1; }
if ! ready; then
  # Test binaries running at once (or two checkouts) must not build the same venv together.
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  if command -v flock >/dev/null; then flock 9; fi
fi
if ! ready; then
  echo "smtp: installing aiosmtpd==$aiosmtpd_version dkimpy==$dkimpy_version with pip into $venv" >&2
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "smtp: installing python3-venv from Debian (python3 -m venv failed)" >&2
    apt-get update -qq >&2 && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "aiosmtpd==$aiosmtpd_version" "dkimpy==$dkimpy_version" >&2
fi
echo "$venv/bin/python3"
