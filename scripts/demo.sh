#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job headless: a central server and a field
# device. Central staff publish the reference TPPO screening form sealed to their own key and give
# the device a one-time enrollment code; the device (an encrypted store) enrolls, saves sample
# interviews (one refused record with every failing answer named), syncs them with signed
# receipts, receives central staff's case status for one of them, and central staff export the
# records, opening the sealed answers with their private key.
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

export SYNC_PASSPHRASE="kata sandi demo petugas"   # the officer's passphrase: the device store is encrypted with it

say "Central server: a database, the central sealing key (kept by central staff, not the server), the reference form sealed to it"
srv init --db "$DEMO/central.db"
srv keygen --out "$DEMO/central.key"
srv form publish --db "$DEMO/central.db" proto/forms/tppo_screening.v1.json --seal-to "$DEMO/central.key.pub" \
    --clear-fields interview_date,province,regency_code,unit_type,consent,is_child,result_category,sector,destination_country \
    --dedup-fields full_name,dob,sex
say "A one-time enrollment code for the laptop of Unit PPA (expires in 24 hours)"
code=$(build/server-stub/syncserver enroll create --db "$DEMO/central.db" --name "Laptop Unit PPA" \
        --unit "Polres Ponorogo" 2>/dev/null | awk '/^code:/{print $2}')
echo "enrollment code: $code"
build/server-stub/syncserver serve --db "$DEMO/central.db" --listen 127.0.0.1:0 >"$DEMO/server.out" 2>"$DEMO/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q LISTENING "$DEMO/server.out" && break; sleep 0.1; done
url="http://$(awk '/LISTENING/{print $2}' "$DEMO/server.out")"
echo "server listening on $url"

say "Field device: an encrypted store, enrolled with the code; it receives the form from the server"
ctl init
ctl enroll --server "$url" --code "$code" --allow-http-loopback
ctl sync
say "Interviews saved offline (finalized answers are sealed for the central office)"
ctl sample --form tppo_screening --count 25 --seed 42 --save
uuid=$(ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json | tail -1)
say "The same man is screened again at another post: central staff will see a likely duplicate, by keyed hash"
ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json
say "A record with a bad regency code, impossible age and conflicting answers is refused, naming every answer:"
ctl record add --form tppo_screening proto/forms/examples/invalid_constraints.json || true
ctl record list --limit 5
ctl status

say "The connection comes back: sync (every receipt is signed by the server and checked)"
ctl sync
srv records --db "$DEMO/central.db" --limit 5
echo "\$ syncctl record receipt $uuid   # the officer's proof that the record reached the centre"
build/libsync/tools/syncctl --store "$DEMO/device.db" record receipt "$uuid" > "$DEMO/receipt.json"
cat "$DEMO/receipt.json"
srv verify-receipt --db "$DEMO/central.db" "$DEMO/receipt.json"

say "Central staff refer the fishing-vessel case to UPTD PPA; the device receives it on its next sync"
srv record set-status --db "$DEMO/central.db" "$uuid" --status referred --referral accepted_by_uptd_ppa \
    --by "Siti Rahma (Gugus Tugas Jawa Timur)"
ctl sync
echo "\$ syncctl record get $uuid"
build/libsync/tools/syncctl --store "$DEMO/device.db" record get "$uuid" | python3 -c 'import json,sys; r=json.load(sys.stdin); p=r["payload"]; print("sealed:", r["sealed"], "| readable on the device:", sorted(p), "\ncase_status:", p.get("case_status"), "| referral_outcome:", p.get("referral_outcome"))'
ctl status

say "Export for central staff: only the holder of the central private key reads the sealed answers"
srv export --db "$DEMO/central.db" --by "Siti Rahma" --format csv --private-key "$DEMO/central.key" --out "$DEMO/export.csv"
echo "$(($(wc -l < "$DEMO/export.csv") - 1)) records in $DEMO/export.csv, e.g. the fishing-vessel case:"
python3 - "$DEMO/export.csv" "$uuid" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")):
    if row.get("uuid") == sys.argv[2]:
        print({k: row[k] for k in ("uuid", "province", "sex", "sector", "case_status") if k in row})
PY
srv duplicates --db "$DEMO/central.db"
srv audit --db "$DEMO/central.db" --limit 5

kill -TERM $SERVER && wait $SERVER 2>/dev/null || true
echo
echo "Demo data in $DEMO (device.db, central.db). Try: build/libsync/tools/syncctl --store $DEMO/device.db record list"
