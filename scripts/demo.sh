#!/usr/bin/env bash
# Installs what is missing, builds, and runs the headless demo: a store on this "device", the
# reference TPPO screening form, sample interviews saved and listed with their computed values, and
# a record the library refuses with every failing answer named.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS" --target syncctl

DEMO=build/demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
ctl() { echo "\$ syncctl $*" | sed "s|$DEMO/||g"; build/libsync/tools/syncctl --store "$DEMO/device.db" --lang "${DEMO_LANG:-id}" "$@"; echo; }

ctl init
ctl form add proto/forms/tppo_screening.v1.json
ctl form list
ctl sample --form tppo_screening --count 25 --seed 42 --save
ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json
echo "# A record with a future interview date, a bad regency code and missing answers is refused:"
ctl record add --form tppo_screening proto/forms/examples/invalid_constraints.json || true
ctl record list --limit 8
ctl status
echo "Demo store: $DEMO/device.db  (try: build/libsync/tools/syncctl --store $DEMO/device.db record get UUID)"
