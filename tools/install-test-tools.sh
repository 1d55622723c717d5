#!/usr/bin/env bash
# Debian packages the tests use, installed only when missing:
#   promtool and prometheus (package prometheus): check /metrics output and the alert rules,
#     and a real server scrapes a running transformer (test/observability, make run-observed);
#   chromium: the live page is tested in a real headless browser.
set -euo pipefail
missing=()
# The prometheus package also brings the server (/usr/bin/prometheus) that
# test/observability and `make run-observed` start.
{ command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-test-tools: need ${missing[*]} (Debian packages) and cannot install them without root" >&2
  exit 1
fi
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
echo "install-test-tools: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# policy-rc.d keeps the prometheus package from trying to start its own server.
[ -e /usr/sbin/policy-rc.d ] && had_policy=1 || had_policy=0
printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
$sudo chmod +x /usr/sbin/policy-rc.d
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$had_policy" = 1 ] || $sudo rm -f /usr/sbin/policy-rc.d
