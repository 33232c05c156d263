#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs that are not installed yet (as root, or via sudo).
# Usage: scripts/setup-deps.sh            everything (build, tests, app, fuzzing)
set -euo pipefail

PACKAGES=(
  # build
  gcc make cmake pkg-config git ca-certificates
  libsqlite3-dev libcurl4-openssl-dev libcjson-dev liblz4-dev libsodium-dev libmicrohttpd-dev
  # tests and tools
  libcmocka-dev python3 python3-jsonschema gnutls-bin sqlite3 procps
  # fuzzing (libFuzzer runtime comes with clang's runtime package)
  clang libclang-rt-14-dev
  # GTK app and its GUI tests under Xvfb
  libgtk-4-dev libadwaita-1-dev gettext xvfb xauth xdotool imagemagick x11-apps locales
  # the central dashboard's browser test
  chromium chromium-driver
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup-deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup-deps: run as root (or install sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
