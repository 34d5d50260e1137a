#!/usr/bin/env bash
# The SMTP server the e-mail tests deliver to: Python's aiosmtpd (from PyPI, into a virtual
# environment at ${XDG_CACHE_HOME:-~/.cache}/passaparola-smtp, made once), running
# tests/smtp/server.py. Prints the virtual environment's python3. `cargo test` runs this
# itself when the environment is missing; CI runs it first so its output is seen.
set -euo pipefail
version=1.4.6
venv=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/passaparola-smtp
if ! "$venv/bin/python3" -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "smtp: installing aiosmtpd==$version with pip into $venv" >&2
  if ! python3 -m venv --clear "$venv" >/dev/null 2>&1; then
    echo "smtp: installing python3-venv from Debian (python3 -m venv failed)" >&2
    apt-get update -qq >&2 && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv --clear "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$version" >&2
fi
echo "$venv/bin/python3"
