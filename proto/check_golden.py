#!/usr/bin/env python3
"""Checks proto/golden/ against proto/schemas/ (protocol 2, see proto/PROTOCOL.md).

Usage: check_golden.py [PROTO_DIR]      (default: the directory of this script)

1. every golden file validates against the schema its name selects (table SCHEMA_BY_PREFIX);
2. cross-file rules the schemas cannot express (receipts match their request, form hashes);
3. the schemas are strict: known-bad mutations of golden files must be rejected.

Exit 0 when everything holds, 1 on any failure, 77 (ctest SKIP_RETURN_CODE) when the jsonschema
module is missing. Needs only the standard library and jsonschema >= 4.0 (Debian bookworm's
python3-jsonschema 4.10 works; newer versions use the `referencing` package).
"""
import copy
import hashlib
import json
import os
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("check_golden: python module jsonschema not found (apt-get install python3-jsonschema)")
    sys.exit(77)

SCHEMA_BY_PREFIX = [  # golden file name prefix -> schema name; first match wins
    ("push-request-", "push-request"),
    ("push-response-", "push-response"),
    ("pull-response-", "pull-response"),
    ("error-", "error"),
    ("health", "health"),
    ("whoami", "whoami"),
    ("forms-list", "forms-list"),
    ("enroll-request", "enroll-request"),
    ("enroll-response", "enroll-response"),
    ("form-", None),  # a form definition document (FORMS.md), checked by hash below
]
# Golden files that are no protocol message, in subdirectories of golden/ -> schema.
NESTED = {
    "envelope/sealed-v2.json": "sealed-v2",  # SECURITY.md 4, also checked by check_sealed_v2.py
}

# Response golden -> the request it answers (receipts must echo its changes in order).
PAIRS = {
    "push-response-basic.json": "push-request-basic.json",
    "push-response-duplicate.json": "push-request-basic.json",
    "push-response-conflict.json": "push-request-conflict.json",
    "push-response-rejected.json": "push-request-rejected.json",
    "push-response-sealed.json": "push-request-sealed.json",
}

ID_PREFIX = "urn:libsync:proto:v1:"


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def make_validators(schema_dir):
    schemas = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".schema.json"):
            s = load(os.path.join(schema_dir, name))
            jsonschema.Draft202012Validator.check_schema(s)
            schemas[s["$id"]] = s
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        registry = Registry().with_resources(
            (sid, Resource.from_contents(s, default_specification=DRAFT202012))
            for sid, s in schemas.items())
        make = lambda s: jsonschema.Draft202012Validator(s, registry=registry)
    except ImportError:  # jsonschema < 4.18
        def make(s):
            resolver = jsonschema.RefResolver.from_schema(s, store=dict(schemas))
            return jsonschema.Draft202012Validator(s, resolver=resolver)
    return {sid[len(ID_PREFIX):]: make(s) for sid, s in schemas.items()}


def errors_of(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def fmt(e):
    path = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in e.absolute_path)
    return "%s: %s" % (path or "(root)", e.message[:200])


def main():
    proto = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
    golden_dir = os.path.join(proto, "golden")
    validators = make_validators(os.path.join(proto, "schemas"))
    failures = []
    docs = {}

    # 1. schema validation
    for name in sorted(os.listdir(golden_dir)):
        if not name.endswith(".json"):
            continue
        schema = next((s for p, s in SCHEMA_BY_PREFIX if name.startswith(p)), "?")
        if schema == "?":
            failures.append("%s: no schema maps to this file name" % name)
            continue
        docs[name] = load(os.path.join(golden_dir, name))
        if schema is None:
            continue
        for e in errors_of(validators[schema], docs[name]):
            failures.append("%s (%s): %s" % (name, schema, fmt(e)))

    for name, schema in NESTED.items():
        docs[name] = load(os.path.join(golden_dir, name))
        for e in errors_of(validators[schema], docs[name]):
            failures.append("%s (%s): %s" % (name, schema, fmt(e)))

    # 2. cross-file rules
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import check_sealed_v2
    failures.extend(check_sealed_v2.check(docs["envelope/sealed-v2.json"]))
    for resp, req in PAIRS.items():
        if resp not in docs or req not in docs:
            failures.append("%s/%s: golden file missing" % (resp, req))
            continue
        changes, receipts = docs[req]["changes"], docs[resp]["receipts"]
        echo = [(r["uuid"], r["revision"]) for r in receipts]
        if echo != [(c["uuid"], c["revision"]) for c in changes]:
            failures.append("%s: receipts do not echo %s's changes in order" % (resp, req))
        if docs[resp]["batch_id"] != docs[req]["batch_id"]:
            failures.append("%s: batch_id differs from %s" % (resp, req))
    basic, dup = docs.get("push-response-basic.json"), docs.get("push-response-duplicate.json")
    if basic and dup:
        for a, b in zip(basic["receipts"], dup["receipts"]):
            if (a["server_seq"], a["received_at"]) != (b["server_seq"], b["received_at"]):
                failures.append("push-response-duplicate.json: receipt differs from the first time")
        # Same leaves, same count, deterministic Ed25519: the same signature as the first time.
        if basic.get("signature") != dup.get("signature"):
            failures.append("push-response-duplicate.json: signature differs from the first time")
    for name, doc in docs.items():
        for r in doc.get("receipts", []) if isinstance(doc, dict) else []:
            m = r.get("merged")
            if m and (m["uuid"] != r["uuid"] or m["base_revision"] != r["revision"]):
                failures.append("%s: merged revision must be based on the pushed one" % name)
    hashes = {}
    for name in docs:
        if name.startswith("form-"):
            d = docs[name]  # hash of the compact text (PROTOCOL.md 2.3), as cJSON_PrintUnformatted
            compact = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            hashes[(d["form_id"], d["version"])] = (hashlib.sha256(compact).hexdigest(), d)
    for name, doc in docs.items():
        entries = []
        if name.startswith("forms-list"):
            entries = [(f["form_id"], f["version"], f["sha256"], None) for f in doc["forms"]]
        elif name.startswith("pull-response-"):
            entries = [(i["form_id"], i["version"], i["sha256"], i["definition"])
                       for i in doc["items"] if i["kind"] == "form"]
        for fid, ver, sha, definition in entries:
            if (fid, ver) in hashes:
                if hashes[(fid, ver)][0] != sha:
                    failures.append("%s: sha256 of %s v%d differs from golden/form-*.json" % (name, fid, ver))
                if definition is not None and definition != hashes[(fid, ver)][1]:
                    failures.append("%s: definition of %s v%d differs from golden/form-*.json" % (name, fid, ver))
            elif definition is not None:
                failures.append("%s: no golden/form-%s-v%d.json for a form item" % (name, fid, ver))

    # 3. strictness: each mutation must make its golden file invalid
    def mut(name, fn, schema):
        doc = copy.deepcopy(docs[name])
        fn(doc)
        if not errors_of(validators[schema], doc):
            failures.append("schema %s accepts a bad mutation of %s (%s)" % (schema, name, fn.__doc__))

    def m1(d):
        "upper-case uuid"
        d["changes"][0]["uuid"] = d["changes"][0]["uuid"].upper()

    def m2(d):
        "unknown key in a change"
        d["changes"][0]["extra"] = 1

    def m3(d):
        "revision as string"
        d["changes"][0]["revision"] = "4"

    def m4(d):
        "base_hlc set with base_revision 0"
        d["changes"][0]["base_hlc"] = d["changes"][0]["hlc"]

    def m5(d):
        "draft status"
        d["changes"][0]["status"] = "draft"

    def m6(d):
        "delete with answers"
        d["changes"][2]["payload"] = {"province": "35"}

    def m7(d):
        "protocol 1"
        d["protocol"] = 1

    def m8(d):
        "hlc without counter"
        d["changes"][0]["hlc"] = "001732512345678-" + d["changes"][0]["hlc"][22:]

    def m9(d):
        "empty batch"
        d["changes"] = []

    for fn in (m1, m2, m3, m4, m5, m6, m7, m8, m9):
        mut("push-request-basic.json", fn, "push-request")

    def r1(d):
        "stored receipt without server_seq"
        del d["receipts"][0]["server_seq"]

    def r2(d):
        "unknown outcome"
        d["receipts"][0]["outcome"] = "ok"

    mut("push-response-basic.json", r1, "push-response")
    mut("push-response-basic.json", r2, "push-response")

    def r3(d):
        "conflict receipt without merged revision"
        del d["receipts"][0]["merged"]

    def r4(d):
        "merged revision with origin device"
        d["receipts"][0]["merged"]["origin"] = "device"

    mut("push-response-conflict.json", r3, "push-response")
    mut("push-response-conflict.json", r4, "push-response")

    def r5(d):
        "rejected receipt with server_seq"
        d["receipts"][0]["server_seq"] = 1

    mut("push-response-rejected.json", r5, "push-response")

    # The response signature (SECURITY.md 7): one per response, present exactly when a receipt
    # is not rejected; receipts carry none.
    def r6(d):
        "response with stored receipts without signature"
        del d["signature"]

    def r7(d):
        "signature of 63 bytes"
        d["signature"] = d["signature"][:84] + "A==="

    def r8(d):
        "a signature on a receipt"
        d["receipts"][0]["signature"] = d["signature"]

    for fn in (r6, r7, r8):
        mut("push-response-basic.json", fn, "push-response")
    mut("push-response-rejected.json", r6, "push-response")

    def all_rejected(d):
        d["receipts"] = [r for r in d["receipts"] if r["outcome"] == "rejected"]

    def r9(d):
        "every receipt rejected, without a signature (refusals are signed too, SECURITY.md 7)"
        all_rejected(d)
        del d["signature"]

    mut("push-response-rejected.json", r9, "push-response")
    signed = copy.deepcopy(docs["push-response-rejected.json"])
    all_rejected(signed)
    for e in errors_of(validators["push-response"], signed):  # the valid counterpart of r9
        failures.append("push-response-rejected.json, rejected receipts only, signed: %s" % fmt(e))

    def s1(d):
        "sealed on a delete"
        d["changes"][1]["sealed"] = d["changes"][0]["sealed"]

    def s2(d):
        "sealed in base64url"
        d["changes"][0]["sealed"] = d["changes"][0]["sealed"].replace("+", "-").replace("/", "_") + "-_-_"

    def s3(d):
        "upper-case dedup"
        d["changes"][0]["dedup"] = d["changes"][0]["dedup"].upper()

    for fn in (s1, s2, s3):
        mut("push-request-sealed.json", fn, "push-request")

    def h1(d):
        "health without receipt_key"
        del d["receipt_key"]

    mut("health.json", h1, "health")

    def w1(d):
        "whoami without credential_expires_at"
        del d["credential_expires_at"]

    mut("whoami.json", w1, "whoami")

    def n1(d):
        "enroll request with an unknown key"
        d["name"] = "x"

    def n2(d):
        "enroll code with an underscore"
        d["code"] = "7K3M_Q9TX_4HWD"

    mut("enroll-request.json", n1, "enroll-request")
    mut("enroll-request.json", n2, "enroll-request")

    def n3(d):
        "enroll response without secret"
        del d["secret"]

    def n4(d):
        "receipt_key of 33 bytes"
        d["receipt_key"] = d["receipt_key"][:43] + "AAAA"

    mut("enroll-response.json", n3, "enroll-response")
    mut("enroll-response.json", n4, "enroll-response")

    def p1(d):
        "record item without author"
        del d["items"][1]["author"]

    def p2(d):
        "unknown item kind"
        d["items"][0]["kind"] = "attachment"

    mut("pull-response-forms-and-status.json", p1, "pull-response")
    mut("pull-response-forms-and-status.json", p2, "pull-response")

    def e1(d):
        "message without Indonesian"
        del d["error"]["message"]["id"]

    def e2(d):
        "unknown error code"
        d["error"]["code"] = "oops"

    mut("error-unauthorized.json", e1, "error")
    mut("error-unauthorized.json", e2, "error")

    def v1(d):
        "sealed-v2 vector with header version 3"
        d["vectors"][0]["header"] = "03" + d["vectors"][0]["header"][2:]

    mut("envelope/sealed-v2.json", v1, "sealed-v2")

    for f in failures:
        print("FAIL " + f)
    checked = sum(1 for n in docs)
    print("check_golden: %d golden files, %d failures" % (checked, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
