#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job headless: a central server and a field
# device. The device stores the reference TPPO screening form's interviews (sample cases, one
# refused record with every failing answer named), syncs them to the server over HTTP, then
# receives central staff's case status for one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

bash scripts/setup-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$JOBS" --target syncctl syncserver

DEMO=build/demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
say() { printf '\n# %s\n' "$*"; }
ctl() { echo "\$ syncctl $*"; build/libsync/tools/syncctl --store "$DEMO/device.db" --lang "${DEMO_LANG:-id}" "$@"; }
srv() { echo "\$ syncserver $*"; build/server-stub/syncserver "$@"; }

say "Central server: a database, the reference form, one enrolled laptop"
srv init --db "$DEMO/central.db"
srv form publish --db "$DEMO/central.db" proto/forms/tppo_screening.v1.json
creds=$(build/server-stub/syncserver device add --db "$DEMO/central.db" --name "Laptop Unit PPA" \
        --unit "Polres Ponorogo" --json 2>/dev/null)
device_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["device_id"])' <<<"$creds")
secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])' <<<"$creds")
echo "device $device_id enrolled"
build/server-stub/syncserver serve --db "$DEMO/central.db" --listen 127.0.0.1:0 >"$DEMO/server.out" 2>"$DEMO/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q LISTENING "$DEMO/server.out" && break; sleep 0.1; done
url="http://$(awk '/LISTENING/{print $2}' "$DEMO/server.out")"
echo "server listening on $url"

say "Field device: a store, the form, interviews saved offline"
ctl init
ctl form add proto/forms/tppo_screening.v1.json
ctl sample --form tppo_screening --count 25 --seed 42 --save
uuid=$(ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json | tail -1)
say "A record with a bad regency code, impossible age and conflicting answers is refused, naming every answer:"
ctl record add --form tppo_screening proto/forms/examples/invalid_constraints.json || true
ctl record list --limit 5
ctl status

say "The connection comes back: sync"
ctl sync configure --server "$url" --device-id "$device_id" --secret "$secret" --insecure-loopback
ctl sync
srv records --db "$DEMO/central.db" --limit 5

say "Central staff refer the fishing-vessel case to UPTD PPA; the device receives it on its next sync"
srv record set-status --db "$DEMO/central.db" "$uuid" --status referred --referral accepted_by_uptd_ppa \
    --by "Siti Rahma (Gugus Tugas Jawa Timur)"
ctl sync
echo "\$ syncctl record get $uuid"
build/libsync/tools/syncctl --store "$DEMO/device.db" record get "$uuid" | python3 -c 'import json,sys; p=json.load(sys.stdin)["payload"]; print("case_status:", p.get("case_status"), "| referral_outcome:", p.get("referral_outcome"))'
ctl status

kill -TERM $SERVER && wait $SERVER 2>/dev/null || true
echo
echo "Demo data in $DEMO (device.db, central.db). Try: build/libsync/tools/syncctl --store $DEMO/device.db record list"
