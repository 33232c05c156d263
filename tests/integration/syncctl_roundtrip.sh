#!/usr/bin/env bash
# syncctl round trip with the reference TPPO form: valid records are saved and listed with their
# computed values; invalid ones are refused with every failing answer named and nothing written;
# import reports rejected lines by number; export gives the records back.
# Usage: syncctl_roundtrip.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1 SRC=$2
CTL=$BUILD/libsync/tools/syncctl
FORM=$SRC/proto/forms/tppo_screening.v1.json
EX=$SRC/proto/forms/examples
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ctl() { "$CTL" --store "$T/s.db" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ctl init >/dev/null
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
echo "syncctl round trip: ok"
