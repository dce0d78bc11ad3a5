#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the playground's browser tests (playwright-core drives it; no
# browser download). Quick when it is already there; installs it from the distribution's packages otherwise, which
# needs root (CI runs as root). CHROMIUM_PATH points the tests at another build.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then exit 0; fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  echo "ensure-chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable" >&2
  exit 1
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: $chromium is missing; install Debian's chromium package (apt-get install chromium) as root" >&2
  exit 1
fi
echo "ensure-chromium: installing Debian's chromium package for the browser tests..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$chromium" --version >&2
