#!/usr/bin/env bash
# Runs before `npm test` (the `pretest` script): make sure the real services the tests talk to are installed and
# running on this machine. Tests never mock PostgreSQL, Prometheus or the browser; they need the real ones.
# Each section is idempotent and quick when everything is already there.
set -uo pipefail

say() { printf 'pretest: %s\n' "$*" >&2; }

apt_updated=0
apt_install() {
  # Debian packages, installed only when missing (needs root, as on the project's machines and CI).
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "cannot install $* (not root): install them with apt-get"; return 1
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    $sudo apt-get update -qq >/dev/null 2>&1 || say "apt-get update failed"
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null 2>&1 || { say "apt-get install $* failed"; return 1; }
}

# --- PostgreSQL (store tests): 127.0.0.1:5432, trust auth, database `test` ---
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if [ -d /etc/postgresql ]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >/dev/null 2>&1 || say "could not start PostgreSQL"
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && break; sleep 1; done
  else
    say "PostgreSQL is not installed on this machine"
  fi
fi

# --- Prometheus (analysis provider tests) ---
command -v prometheus >/dev/null 2>&1 || apt_install prometheus

# --- Chromium (HTML report tests in a real browser) ---
command -v chromium >/dev/null 2>&1 || apt_install chromium

# --- SciPy (independent reference for the canary judge's statistics) ---
/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || apt_install python3-scipy

# --- python-dateutil (independent reference for RRULE windows, scripts/rrule-dateutil.py) ---
/usr/bin/python3 -c 'import dateutil.rrule' >/dev/null 2>&1 || apt_install python3-dateutil

exit 0
