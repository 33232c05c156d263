#!/usr/bin/env bash
# Installs what is missing (scripts/setup-deps.sh demo), builds syncctl and syncserver only, and
# runs the main job headless in the secure setup: a central server on HTTPS (a CA and a server
# certificate made now, the device given the CA file and the server key's pin) and a field device.
# Central staff publish the reference TPPO screening form sealed to their own key, exactly as
# README.md shows, and give the device a one-time enrollment code; the device (an encrypted store)
# enrolls, saves sample interviews (one refused record with every failing answer named), syncs
# them with signed receipts, receives central staff's case status for one of them, and central
# staff export the records, opening the sealed answers with their private key.
# SYNC_BUILD_DIR (default build) is the build tree: configured without the app, the tests and the
# benchmarks if it is not configured yet; left as it is (only the two targets built) otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${SYNC_BUILD_DIR:-build}
JOBS=$(nproc 2>/dev/null || echo 2)

bash scripts/setup-deps.sh demo
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSYNC_BUILD_APP=OFF -DSYNC_BUILD_TESTS=OFF -DSYNC_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD" -j"$JOBS" --target syncctl syncserver
BUILD=$(cd "$BUILD" && pwd)
# The two programs are not installed: the demo (and README.md) run them from the build tree.
export PATH="$BUILD/libsync/tools:$BUILD/server-stub:$PATH"

DEMO=$BUILD/demo
rm -rf "$DEMO" && mkdir -p "$DEMO/tls"
say() { printf '\n# %s\n' "$*"; }
ctl() { echo "\$ syncctl $*"; syncctl --store "$DEMO/device.db" --lang "${DEMO_LANG:-id}" "$@"; }
srv() { echo "\$ syncserver $*"; syncserver "$@"; }

# The officer's passphrase (at least 8 bytes): the device store is encrypted with a key derived from it.
export SYNC_PASSPHRASE="kata sandi demo petugas"

say "syncctl is $BUILD/libsync/tools/syncctl, syncserver is $BUILD/server-stub/syncserver (both on PATH here)"

say "Central server: a database, the central sealing key (kept by central staff, not the server), the reference form sealed to it"
srv init --db "$DEMO/central.db"
srv keygen --out "$DEMO/central.key"
# The same split as README.md (the docs test checks it): consent, every answer kept without consent,
# central staff's fields and what the dashboard counts are clear; the rest is sealed.
srv form publish --db "$DEMO/central.db" proto/forms/tppo_screening.v1.json --seal-to "$DEMO/central.key.pub" \
    --clear-fields interview_date,province,regency_code,unit_type,unit_type_other,unit_name,interpreter_used,interpreter_language,safe_to_talk,consent,case_status,referral_outcome,is_child,result_category,officer_agrees,officer_result,sector,destination_country \
    --dedup-fields full_name,dob,sex
say "A one-time enrollment code for the laptop of Unit PPA (expires in 24 hours)"
code=$(syncserver enroll create --db "$DEMO/central.db" --name "Laptop Unit PPA" \
        --unit "Polres Ponorogo" 2>/dev/null | awk '/^code:/{print $2}')
echo "enrollment code: $code"

say "HTTPS: a CA and a certificate for 127.0.0.1 made now (certtool); the device gets the CA file and the server key's pin"
sh tests/support/make-test-ca.sh "$DEMO/tls"
pin=$(cat "$DEMO/tls/pin.txt")
echo "CA file: $DEMO/tls/ca.pem   pin: $pin"
syncserver serve --db "$DEMO/central.db" --listen 127.0.0.1:0 \
  --tls-cert "$DEMO/tls/srv.pem" --tls-key "$DEMO/tls/srv.key" >"$DEMO/server.out" 2>"$DEMO/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q LISTENING "$DEMO/server.out" && break; sleep 0.1; done
grep -q LISTENING "$DEMO/server.out" || { cat "$DEMO/server.log" >&2; echo "demo: the server did not start" >&2; exit 1; }
url="https://$(awk '/LISTENING/{print $2}' "$DEMO/server.out")"
echo "server listening on $url (log: $DEMO/server.log)"

say "Field device: an encrypted store, enrolled over HTTPS with the code; it receives the sealed form from the server"
ctl init
ctl enroll --server "$url" --code "$code" --ca-file "$DEMO/tls/ca.pem" --pin "$pin"
ctl sync
say "Interviews saved offline (finalized answers are sealed for the central office)"
ctl sample --form tppo_screening --count 25 --seed 42 --save
uuid=$(ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json | tail -1)
say "The same man is screened again at another post: central staff will see a likely duplicate, by keyed hash"
ctl record add --form tppo_screening proto/forms/examples/valid_adult_fishing.json
say "Refused, naming every failing answer: a 5-digit phone number, an age of 130, the officer's own result equal to the computed one, 'no referral' together with a referral, a follow-up before the interview"
ctl record add --form tppo_screening proto/forms/examples/invalid_constraints.json || true
ctl record list --limit 5
ctl status

say "The connection comes back: sync over HTTPS (every receipt is signed by the server and checked)"
ctl sync
srv records --db "$DEMO/central.db" --limit 5
echo "\$ syncctl record receipt $uuid   # the officer's proof that the record reached the centre"
syncctl --store "$DEMO/device.db" record receipt "$uuid" > "$DEMO/receipt.json"
cat "$DEMO/receipt.json"
srv verify-receipt --db "$DEMO/central.db" "$DEMO/receipt.json"

say "Central staff refer the fishing-vessel case to UPTD PPA; the device receives it on its next sync"
srv record set-status --db "$DEMO/central.db" "$uuid" --status referred --referral accepted_by_uptd_ppa \
    --by "Siti Rahma (Gugus Tugas Jawa Timur)"
ctl sync
echo "\$ syncctl record get $uuid"
syncctl --store "$DEMO/device.db" record get "$uuid" | python3 -c 'import json,sys; r=json.load(sys.stdin); p=r["payload"]; print("sealed:", r["sealed"], "| readable on the device:", sorted(p), "\ncase_status:", p.get("case_status"), "| referral_outcome:", p.get("referral_outcome"))'
ctl status

say "Export for central staff: only the holder of the central private key reads the sealed answers"
srv export --db "$DEMO/central.db" --by "Siti Rahma" --format csv --private-key "$DEMO/central.key" --out "$DEMO/export.csv"
echo "$(($(wc -l < "$DEMO/export.csv") - 1)) records in $DEMO/export.csv, e.g. the fishing-vessel case:"
python3 - "$DEMO/export.csv" "$uuid" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")):
    if row.get("uuid") == sys.argv[2]:
        print({k: row[k] for k in ("uuid", "province", "sex", "sector", "full_name", "case_status") if k in row})
PY
srv duplicates --db "$DEMO/central.db"
srv audit --db "$DEMO/central.db" --limit 5

kill -TERM $SERVER && wait $SERVER 2>/dev/null || true
cat <<EOF

Demo data in ${DEMO#"$ROOT"/} (device.db, central.db, central.key, tls/). The two programs live in the
build tree: ${BUILD#"$ROOT"/}/libsync/tools/syncctl and ${BUILD#"$ROOT"/}/server-stub/syncserver. To use them by name:
  export PATH="$BUILD/libsync/tools:$BUILD/server-stub:\$PATH"
  export SYNC_PASSPHRASE="kata sandi demo petugas"
  syncctl --store ${DEMO#"$ROOT"/}/device.db record list
EOF
