#!/usr/bin/env bash
# Debian packages the test suite (and make bench) needs and a fresh machine may lack; run as root (CI) or with sudo.
set -euo pipefail
need=()
# CHROMIUM_PATH: an existing Chromium-family browser the e2e tests may use instead (see e2e/browser.py).
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v make >/dev/null 2>&1 || need+=(make)
command -v wrk >/dev/null 2>&1 || need+=(wrk)  # make bench: the HTTP load generator
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
