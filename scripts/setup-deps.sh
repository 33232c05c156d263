#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs that are not installed yet (as root, or via sudo).
# Usage: scripts/setup-deps.sh [demo|all]
#   demo  what scripts/demo.sh needs: the build tools and libraries of syncctl and syncserver,
#         certtool (gnutls-bin) for the demo's certificates, python3 for its output
#   all   (default; scripts/test.sh) everything the tests rely on: the above, test libraries,
#         symbols for sanitizer reports, fuzzing, the GTK app and its GUI tests, the dashboard's
#         browser test, locales, and debootstrap for scripts/fresh-debian-check.sh
set -euo pipefail

PROFILE=${1:-all}

DEMO_PACKAGES=(
  gcc make cmake pkg-config ca-certificates
  libsqlite3-dev libcurl4-openssl-dev libcjson-dev liblz4-dev libzstd-dev libsodium-dev
  libmicrohttpd-dev
  gnutls-bin python3
)
ALL_PACKAGES=(
  "${DEMO_PACKAGES[@]}" git
  # tests and tools
  libcmocka-dev python3-jsonschema python3-cryptography sqlite3 procps
  # Symbols for sanitizer reports. GCC's ASan names frames with libbacktrace, which finds the
  # loader's internal functions only in libc6-dbg: without it the leak suppressions of
  # tests/gui/lsan.supp (leak:_dl_init) never match. clang's runtime (fuzz targets) uses
  # llvm-symbolizer from llvm.
  libc6-dbg llvm
  # fuzzing (libFuzzer runtime comes with clang's runtime package)
  clang libclang-rt-14-dev
  # GTK app and its GUI tests under Xvfb, in Indonesian and English
  libgtk-4-dev libadwaita-1-dev gettext xvfb xauth xdotool imagemagick x11-apps locales
  # the central dashboard's browser test
  chromium chromium-driver
  # scripts/fresh-debian-check.sh (a minimal Debian 12 root)
  debootstrap debian-archive-keyring
)

case "$PROFILE" in
  demo) PACKAGES=("${DEMO_PACKAGES[@]}") ;;
  all) PACKAGES=("${ALL_PACKAGES[@]}") ;;
  *) echo "usage: $0 [demo|all]" >&2; exit 2 ;;
esac

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  SUDO=(sudo)
fi

# The app and its tests run in Indonesian and English: both locales must exist.
ensure_locales() {
  local want=(id_ID.UTF-8 en_US.UTF-8) gen=0
  for l in "${want[@]}"; do
    locale -a 2>/dev/null | grep -qi "^${l%%.*}\.utf-\?8$" && continue
    "${SUDO[@]}" sed -i "s/^# *\(${l} UTF-8\)/\1/" /etc/locale.gen
    grep -q "^${l} UTF-8" /etc/locale.gen || echo "${l} UTF-8" | "${SUDO[@]}" tee -a /etc/locale.gen >/dev/null
    gen=1
  done
  ((gen == 0)) || "${SUDO[@]}" locale-gen >/dev/null
}

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup-deps ($PROFILE): all ${#PACKAGES[@]} packages present"
else
  echo "setup-deps ($PROFILE): installing ${missing[*]}"
  if ((${#SUDO[@]})) && ! command -v sudo >/dev/null; then
    echo "setup-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  if ! { "${SUDO[@]}" apt-get update -qq && \
         "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -30 "$log" >&2
    echo "setup-deps: apt-get failed (full log: $log)" >&2
    exit 1
  fi
  rm -f "$log"
fi
[[ "$PROFILE" == demo ]] || ensure_locales
