#!/usr/bin/env bash
# Proves the README's two commands on a truly fresh machine: bootstraps a minimal Debian 12 root
# (debootstrap --variant=minbase bookworm), puts a clean `git clone` of this repository's HEAD (and
# ../shared) into it, binds /proc, /sys, /dev, /dev/pts and /dev/shm, and runs, inside with chroot,
#   bash scripts/demo.sh      then      bash scripts/test.sh
# reporting each command's exit status and time. Everything either installs comes from the
# project's scripts (scripts/setup-deps.sh) through apt inside the root. Run as root.
# Environment:
#   FRESH_DEBIAN_MIRROR   the Debian mirror (default: the first bookworm URI of /etc/apt/sources.list*)
#   FRESH_DEBIAN_DIR      where to make the root (default: a new directory under /var/tmp); removed at
#                         the end unless FRESH_DEBIAN_KEEP=1
#   FUZZ_SECONDS          passed to test.sh (its default otherwise)
# Logs: <root>.demo.log and <root>.test.log beside the root (kept).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[[ $(id -u) -eq 0 ]] || { echo "fresh-debian-check: run as root (debootstrap, mount, chroot)" >&2; exit 1; }
for tool in debootstrap git chroot mount; do
  command -v "$tool" >/dev/null || { echo "fresh-debian-check: $tool is missing (bash scripts/setup-deps.sh all)" >&2; exit 1; }
done

# The host's Debian mirror: the first URI serving bookworm (not bookworm-security/-updates).
host_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |\n|$)/ && !/^#/ {
           if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit } }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -E 's/\[[^]]*\][[:space:]]*//' "$f" | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }'
  done
}
MIRROR=${FRESH_DEBIAN_MIRROR:-$(host_mirror | sed -n 1p)}
[[ -n "$MIRROR" ]] || { echo "fresh-debian-check: no bookworm mirror in /etc/apt/sources.list*; set FRESH_DEBIAN_MIRROR" >&2; exit 1; }

DIR=${FRESH_DEBIAN_DIR:-$(mktemp -d /var/tmp/libsync-fresh.XXXXXX)}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
[[ "$DIR" != / ]] || exit 1
MOUNTS=(proc sys dev dev/pts dev/shm)

# Processes left in the root (servers, agents) are ours: end them by id, then unmount in reverse order.
cleanup() {
  local rc=$? pid m killed=0
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    if [[ "$(readlink "/proc/$pid/root" 2>/dev/null)" == "$DIR" ]]; then
      kill -KILL "$pid" 2>/dev/null && killed=1
    fi
  done
  ((killed == 0)) || sleep 1
  for ((m = ${#MOUNTS[@]} - 1; m >= 0; m--)); do
    if mountpoint -q "$DIR/${MOUNTS[m]}"; then
      umount "$DIR/${MOUNTS[m]}" 2>/dev/null || umount -l "$DIR/${MOUNTS[m]}"
    fi
  done
  if grep -q " $DIR/" /proc/mounts; then
    echo "fresh-debian-check: still mounted under $DIR, left in place:" >&2
    grep " $DIR/" /proc/mounts >&2
  elif [[ "${FRESH_DEBIAN_KEEP:-0}" != 1 ]]; then
    rm -rf --one-file-system "$DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timed() {  # timed NAME LOG COMMAND...: runs it, prints its status and time, returns its status
  local name=$1 log=$2 start rc
  shift 2
  start=$(date +%s)
  set +e
  "$@" >"$log" 2>&1
  rc=$?
  set -e
  printf 'fresh-debian-check: %-28s exit %d in %ds (log: %s)\n' "$name" "$rc" "$(($(date +%s) - start))" "$log"
  ((rc == 0)) || tail -40 "$log" | sed 's/^/  | /'
  return "$rc"
}

echo "fresh-debian-check: root $DIR from $MIRROR"
timed "debootstrap minbase bookworm" "$DIR.debootstrap.log" \
  debootstrap --variant=minbase bookworm "$DIR" "$MIRROR"

# apt inside the root: the host's name resolution and its Debian sources (those the root can verify).
cp /etc/resolv.conf "$DIR/etc/resolv.conf"
# What the Debian installer writes and debootstrap does not: without it `localhost` does not resolve
# (chromedriver reaches Chromium's DevTools through it).
[[ -e "$DIR/etc/hosts" ]] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$DIR/etc/hosts"
copied=0
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [[ -f $f ]] && grep -q bookworm "$f" || continue
  keys=$(grep -ohE '(signed-by=|Signed-By:[[:space:]]*)[^] ]+' "$f" | sed -E 's/^(signed-by=|Signed-By:[[:space:]]*)//' | sort -u)
  ok=1
  for k in $keys; do [[ -f "$DIR$k" ]] || ok=0; done
  if ((ok)); then
    cp "$f" "$DIR$f" && copied=1
  else
    echo "fresh-debian-check: not copied (its key is not in a fresh root): $f"
  fi
done
((copied == 0)) || [[ -f /etc/apt/sources.list ]] || rm -f "$DIR/etc/apt/sources.list"

# The repository exactly as committed, and the shared notes beside it (../shared).
git clone -q "$ROOT" "$DIR/build/libsync"
if [[ -d "$ROOT/../shared" ]]; then
  cp -a "$ROOT/../shared" "$DIR/build/shared"
fi

mount -t proc proc "$DIR/proc"
mount --bind /sys "$DIR/sys"
mount --bind /dev "$DIR/dev"
mount --bind /dev/pts "$DIR/dev/pts"
mount --bind /dev/shm "$DIR/dev/shm"

in_root() {
  chroot "$DIR" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TERM=dumb LANG=C.UTF-8 ${FUZZ_SECONDS:+FUZZ_SECONDS=$FUZZ_SECONDS} \
    bash -c "cd /build/libsync && $1"
}

status=0
timed "bash scripts/demo.sh" "$DIR.demo.log" in_root "bash scripts/demo.sh" || status=1
timed "bash scripts/test.sh" "$DIR.test.log" in_root "bash scripts/test.sh" || status=1
if ((status == 0)); then
  echo "fresh-debian-check: both README commands passed in a fresh Debian 12 root"
else
  echo "fresh-debian-check: FAILED in a fresh Debian 12 root" >&2
fi
exit "$status"
