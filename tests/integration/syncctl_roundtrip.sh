#!/usr/bin/env bash
# syncctl round trip with the reference TPPO form: the store is created encrypted with a
# passphrase (a file, the environment, never the command line) and opens with no other; valid
# records are saved and listed with their computed values; invalid ones are refused with every
# failing answer named and nothing written; import reports rejected lines by number; export gives
# the records back; retention, passphrase change and the emergency wipe work from the command line;
# the test key derivation cost only where SYNC_ALLOW_TEST_KDF=1 (set here, as for every test).
# Usage: syncctl_roundtrip.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1 SRC=$2
CTL=$BUILD/libsync/tools/syncctl
FORM=$SRC/proto/forms/tppo_screening.v1.json
EX=$SRC/proto/forms/examples
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'roundtrip passphrase\n' > "$T/pass"
unset SYNC_PASSPHRASE
ctl() { "$CTL" --store "$T/s.db" --passphrase-file "$T/pass" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Without the switch the test cost is refused before any file exists; with it (test fixtures) it is
# the fast store every other step here uses.
set +e
env -u SYNC_ALLOW_TEST_KDF "$CTL" --store "$T/s.db" --passphrase-file "$T/pass" init --kdf test \
  >/dev/null 2>"$T/err"; rc=$?
set -e
[[ $rc == 2 && ! -e "$T/s.db" ]] || fail "--kdf test without the switch must be refused ($rc)"
grep -q "SYNC_ALLOW_TEST_KDF=1" "$T/err" || fail "the refusal must name the switch: $(cat "$T/err")"
export SYNC_ALLOW_TEST_KDF=1
ctl init --kdf test >/dev/null
# The passphrase opens the store; another does not, nor none at all (no terminal here).
printf 'not the passphrase\n' > "$T/wrong"
set +e
"$CTL" --store "$T/s.db" --passphrase-file "$T/wrong" status >/dev/null 2>"$T/err"; rc=$?
"$CTL" --store "$T/s.db" status >/dev/null 2>>"$T/err" </dev/null; rc2=$?
set -e
[[ $rc == 1 && $rc2 == 1 ]] || fail "a wrong or missing passphrase must not open the store ($rc, $rc2)"
grep -q "passphrase" "$T/err" || fail "the refusal must name the passphrase: $(cat "$T/err")"
[[ $(SYNC_PASSPHRASE='roundtrip passphrase' "$CTL" --store "$T/s.db" --json status | json 'd["ok"]') == True ]] \
  || fail "SYNC_PASSPHRASE must open the store"
# A passphrase too short to protect a store: refused naming the minimum, and no file is left.
rc=0; SYNC_PASSPHRASE='short' "$CTL" --store "$T/short.db" init >/dev/null 2>"$T/err" || rc=$?
[[ $rc == 1 ]] || fail "a short passphrase must be refused (exit $rc)"
grep -q "at least 8 bytes" "$T/err" || fail "the refusal must name the minimum: $(cat "$T/err")"
[[ ! -e "$T/short.db" ]] || fail "a refused init must leave no store file"
# On a terminal it is asked for, without echo.
python3 - "$CTL" "$T/s.db" 'roundtrip passphrase' <<'PY' || fail "the terminal prompt did not work"
import os, pty, sys, time
ctl, store, secret = sys.argv[1:4]
env = {k: v for k, v in os.environ.items() if k != "SYNC_PASSPHRASE"}
pid, fd = pty.fork()
if pid == 0:
    os.execve(ctl, [ctl, "--store", store, "--json", "status"], env)
out = b""
def read_until(token):
    global out
    end = time.time() + 10
    while token not in out and time.time() < end:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
read_until(b"assphrase: ")
os.write(fd, secret.encode() + b"\n")
read_until(b"}")
_, status = os.waitpid(pid, 0)
text = out.decode(errors="replace")
if os.WEXITSTATUS(status) != 0 or '"ok":true' not in text or secret in text:
    sys.exit("exit %d, output %r" % (os.WEXITSTATUS(status), text))
PY
ctl form add "$FORM" >/dev/null
ctl form add "$FORM" >/dev/null || fail "adding the same form version twice must be a no-op"
[[ $(ctl --json form list | json 'len(d["forms"])') == 1 ]] || fail "one form version expected"

# A valid adult case on a fishing vessel: saved final, listed with computed values.
uuid=$(ctl record add --form tppo_screening "$EX/valid_adult_fishing.json")
[[ $uuid =~ ^[0-9a-f-]{36}$ ]] || fail "record add printed '$uuid', not a UUID"
listing=$(ctl --json record list)
echo "$listing" | json 'd["records"][0]["computed"]["result_category"]' | grep -qx strong_indication \
  || fail "computed result_category missing from the listing: $listing"
echo "$listing" | json 'd["records"][0]["computed"]["is_child"]' | grep -qx 0 || fail "is_child should be 0"
ctl record list | grep -q "result_category=strong_indication" || fail "text listing lacks computed values"

# A calculated value sent by the caller is not trusted.
python3 - "$EX/valid_adult_fishing.json" "$T/forged.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["tppo_indicated"] = 0; d["result_category"] = "no_indication"
json.dump(d, open(sys.argv[2], "w"))
PY
forged=$(ctl record add --form tppo_screening "$T/forged.json")
ctl record get "$forged" | json 'd["payload"]["result_category"]' | grep -qx strong_indication \
  || fail "caller-supplied calculation was trusted"

before=$(ctl --json status | json 'd["finals"]')
for bad in invalid_missing_required invalid_constraints invalid_types invalid_unknown_field invalid_regency_code invalid_future_date; do
  expected=$(python3 -c "import json; c=json.load(open('$EX/expected.json'))['invalid_codes']['$bad.json']; print(' '.join(sorted(f+':'+v for f,v in c.items())))")
  set +e
  out=$(ctl --json --lang en record add --form tppo_screening "$EX/$bad.json")
  rc=$?
  set -e
  [[ $rc == 1 ]] || fail "$bad: exit $rc, expected 1"
  got=$(echo "$out" | json '" ".join(sorted(i["field"]+":"+i["code"] for i in d["issues"]))')
  [[ "$got" == "$expected" ]] || fail "$bad: reported [$got], expected [$expected]"
done
[[ $(ctl --json status | json 'd["finals"]') == "$before" ]] || fail "a refused record was written"

# Drafts: structure only; finalize runs the full check.
draft=$(ctl record add --draft --form tppo_screening "$EX/invalid_missing_required.json")
set +e; ctl record finalize "$draft" 2>"$T/err"; rc=$?; set -e
[[ $rc == 1 ]] && grep -q required "$T/err" || fail "finalizing an incomplete draft must fail naming required answers"
ctl record update "$draft" "$EX/valid_no_indication.json" >/dev/null
ctl record finalize "$draft" >/dev/null
set +e; ctl record update "$draft" "$EX/valid_no_indication.json" 2>/dev/null; rc=$?; set -e
[[ $rc == 1 ]] || fail "a final record must not be updated in place"
ctl record revise "$draft" "$EX/valid_no_indication.json" >/dev/null
[[ $(ctl record get "$draft" | json 'd["revision"]') -ge 3 ]] || fail "revise must write a new revision"

# Import: bulk with line-numbered rejections; export gives JSON lines back.
ctl sample --form tppo_screening --count 40 --seed 3 > "$T/in.jsonl"
sed -i '7s/.*/{"interview_date": 12}/; 19s/.*/not json/' "$T/in.jsonl"
set +e; ctl --json record import --form tppo_screening --batch 8 "$T/in.jsonl" > "$T/imp.json"; rc=$?; set -e
[[ $rc == 1 ]] || fail "import with rejected lines must exit 1"
[[ $(json 'd["imported"]' < "$T/imp.json") == 38 ]] || fail "38 lines should import: $(cat "$T/imp.json")"
[[ $(json '",".join(str(r["line"]) for r in d["rejected"])' < "$T/imp.json") == "7,19" ]] || fail "lines 7 and 19 should be rejected"
total=$(ctl --json status | json 'd["finals"]')
[[ $(ctl record export --status final | wc -l) == "$total" ]] || fail "export must list every final record"
ctl record export > "$T/all.jsonl"
head -1 "$T/all.jsonl" | json 'd["payload"]["interview_date"]' >/dev/null

# Same seed, same samples.
cmp <(ctl sample --form tppo_screening --count 5 --seed 9) <(ctl sample --form tppo_screening --count 5 --seed 9) \
  || fail "sample must be deterministic for a seed"
# Not enrolled yet: sync and enrollment say so.
set +e; ctl --json enrollment > "$T/enr"; rc=$?; set -e
[[ $rc == 1 && $(json 'd["error"]' < "$T/enr") == SYNC_ERR_NOT_ENROLLED ]] || fail "enrollment of a new store: $(cat "$T/enr")"
set +e; ctl sync 2>"$T/err"; rc=$?; set -e
[[ $rc == 1 ]] && grep -q "not enrolled" "$T/err" || fail "sync of a store never enrolled must say so"
# receipt verify trusts the key given or the store's enrolled one, never the document's own: with
# neither it refuses, and a store never enrolled has no key to offer.
echo '{}' > "$T/r.json"
set +e
(cd "$T" && env -u SYNC_STORE "$CTL" receipt verify "$T/r.json" 2>"$T/err"); rc=$?
set -e
[[ $rc == 1 ]] && grep -q "no trusted server key" "$T/err" || fail "receipt verify with no key and no store: $(cat "$T/err")"
set +e; ctl receipt verify "$T/r.json" 2>"$T/err"; rc=$?; set -e
[[ $rc == 1 ]] && grep -q "not enrolled" "$T/err" || fail "receipt verify on a store never enrolled: $(cat "$T/err")"

# Retention.
[[ $(ctl --json retention show | json 'd["retention_days"]') == 0 ]] || fail "retention defaults to forever"
ctl retention set 30 >/dev/null
[[ $(ctl --json retention show | json 'd["retention_days"]') == 30 ]] || fail "retention set 30 did not stick"
[[ $(ctl --json purge | json 'd["purged"]') == 0 ]] || fail "nothing was delivered, so nothing may be purged"

# A new passphrase: the old one no longer opens the store.
printf 'a brand new passphrase\n' > "$T/new"
ctl passphrase change --new-passphrase-file "$T/new" --kdf test >/dev/null
set +e; ctl status >/dev/null 2>&1; rc=$?; set -e
[[ $rc == 1 ]] || fail "the old passphrase still opens the store"
[[ $("$CTL" --store "$T/s.db" --passphrase-file "$T/new" --json status | json 'd["finals"]') == "$total" ]] \
  || fail "the new passphrase must open the same records"

# Emergency wipe: refused without --yes, then nothing is left.
set +e; "$CTL" --store "$T/s.db" wipe 2>/dev/null; rc=$?; set -e
[[ $rc == 2 && -f "$T/s.db" ]] || fail "wipe without --yes must refuse and keep the store"
"$CTL" --store "$T/s.db" wipe --yes >/dev/null
[[ ! -e "$T/s.db" && ! -e "$T/s.db-wal" && ! -e "$T/s.db-shm" ]] || fail "wipe left files behind: $(ls "$T")"
echo "syncctl round trip: ok"
