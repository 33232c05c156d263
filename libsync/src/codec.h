/* Internal: the wire codec of protocol 2 (proto/PROTOCOL.md, SECURITY.md), shared by the sync engine and the
 * server. Two jobs: LZ4 frames with hard size caps, and JSON messages <-> C structs. JSON is text
 * in and text out; no cJSON or LZ4 type appears here.
 *
 * Ownership:
 * - Decoders (`proto_*_decode`) return a heap object in *out that the caller releases with the
 *   matching `proto_*_free()` (NULL is a no-op). Every pointer inside a decoded object (payloads,
 *   definitions, messages, arrays, nested receipts) is malloc'd and owned by that object. On
 *   failure *out is NULL.
 * - Encoders (`proto_*_encode`, the writers' `_finish`) only read their argument and never take
 *   ownership, so a caller may fill a struct on the stack with borrowed strings. They return
 *   compact JSON in *out_json (malloc'd, NUL-terminated; caller frees with free()/sync_free()).
 * - codec_lz4_* results are malloc'd; caller frees with free().
 * - Writers (`proto_push_writer_t`, `proto_pull_writer_t`) are opaque handles released with their
 *   `_free()`; they copy what they are given.
 * Threads: no global state; different objects may be used on different threads at once.
 *
 * Strictness: decoders follow proto/schemas/ exactly: an unknown key, a missing key, a wrong JSON
 * type, a number that is not an integer where one is required (cJSON stores doubles: check it is
 * integral and |v| <= 2^53), a uuid/hlc/cursor that does not match its pattern (lower case only),
 * an unknown enum value, or `protocol` != PROTO_VERSION is an error. Payloads and form definitions are checked
 * only for being JSON objects within PROTO_MAX_JSON_DEPTH and their size caps; the form rules are
 * form_validate()'s job. Decoder failures return SYNC_ERR_PROTOCOL (or SYNC_ERR_TOO_LARGE for a
 * cap, SYNC_ERR_NOMEM) and fill a proto_diag_t: a message naming the field path, e.g.
 * "changes[3].revision: expected integer" or "receipts[0].uuid: not a lower-case uuid", and the
 * wire error code the server answers with (malformed_json, bad_request, unsupported_protocol,
 * body_too_large).
 */
#ifndef SYNC_CODEC_H
#define SYNC_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "sync/error.h"
#include "sync/record.h"

/* ---- protocol constants ----------------------------------------------------------------------- */

#define PROTO_VERSION 2                   /* the only version spoken (1 was never deployed) */
#define PROTO_HDR_PROTOCOL "X-Sync-Protocol"
#define PROTO_CONTENT_TYPE "application/json"
#define PROTO_CONTENT_ENCODING "lz4"      /* Content-Encoding / Accept-Encoding token */
#define PROTO_AUTH_SCHEME "Device"        /* Authorization: Device <device_id>:<secret> */

#define PROTO_PATH_HEALTH "/v1/health"
#define PROTO_PATH_WHOAMI "/v1/whoami"
#define PROTO_PATH_PUSH "/v1/push"
#define PROTO_PATH_PULL "/v1/pull"
#define PROTO_PATH_FORMS "/v1/forms"      /* and /v1/forms/{form_id}/{version} */
#define PROTO_PATH_ENROLL "/v1/enroll"

/* ---- limits (PROTOCOL.md 1.2) ----------------------------------------------------------------- */

#define PROTO_MAX_BODY_WIRE (8u << 20)    /* a body as sent (compressed or not) */
#define PROTO_MAX_BODY (32u << 20)        /* a body after decompression */
#define PROTO_MAX_CHANGES 500             /* changes per push, receipts per response */
#define PROTO_MAX_PAYLOAD SYNC_MAX_PAYLOAD /* one payload as compact JSON text */
#define PROTO_MAX_FORM_DEF (4u << 20)     /* one form definition as JSON text */
#define PROTO_MAX_JSON_DEPTH 64           /* nesting of a whole body */
#define PROTO_PULL_DEFAULT_LIMIT 100
#define PROTO_PULL_MAX_LIMIT 500          /* items per pull page */
#define PROTO_PULL_PAGE_BYTES (4u << 20)  /* a pull page stops growing here (at least one item) */
#define PROTO_MAX_PROTOCOLS 8             /* versions listed in health / an error */
#define PROTO_MAX_ISSUES 1000             /* issues in one error */

/* Text sizes, without the NUL. */
#define PROTO_UUID_LEN 36                 /* == SYNC_UUID_STRLEN, lower case */
#define PROTO_HLC_LEN 58                  /* "ppppppppppppppp-ccccc-" + uuid */
#define PROTO_FORM_ID_MAX 64              /* == SYNC_FORM_ID_MAX */
#define PROTO_SHA256_LEN 64               /* lower-case hex */
#define PROTO_CURSOR_MAX 128              /* ^[A-Za-z0-9._:-]{1,128}$ */
#define PROTO_SECRET_LEN 43               /* base64url of 32 bytes, no padding */
#define PROTO_CODE_MAX 63                 /* snake_case error / issue codes */
#define PROTO_FIELD_MAX 64                /* field names, "$deleted" */
#define PROTO_VERSION_TEXT_MAX 63         /* server_version */
#define PROTO_ERRMSG_MAX 256              /* proto_diag_t.msg, with NUL */
#define PROTO_DEDUP_LEN 64                /* lower-case hex of a 32-byte keyed BLAKE2b */
#define PROTO_KEY_B64_LEN 44              /* base64 (padded) of a 32-byte public key */
#define PROTO_SIG_B64_LEN 88              /* base64 (padded) of a 64-byte Ed25519 signature */
#define PROTO_ENROLL_CODE_MAX 32          /* enrollment code as typed (dashes, spaces allowed) */
#define PROTO_MAX_SEALED ((SYNC_MAX_PAYLOAD / 3 + 1024) * 4 + 4096) /* base64 of a sealed envelope */

/* ---- LZ4 frames (PROTOCOL.md 1.1) ------------------------------------------------------------- */

/* Compresses `len` bytes into one LZ4 frame with the content size and content checksum set (block
 * checksums off). `level` 0 is LZ4's fast default; 3..12 use LZ4HC (the engine uses 9 for pushes:
 * CPU is cheaper than 2G bytes). SYNC_ERR_TOO_LARGE when len > PROTO_MAX_BODY. */
sync_err_t codec_lz4_compress(const void *src, size_t len, int level, char **out, size_t *out_len);

/* Decompresses exactly one LZ4 frame of `len` bytes. Output is malloc'd with one extra NUL byte
 * after *out_len (not counted) so JSON can be parsed in place. Refuses with SYNC_ERR_TOO_LARGE as
 * soon as the output would exceed `max_out` (or the frame declares a larger content size), and with
 * SYNC_ERR_PROTOCOL a bad magic, a corrupt or truncated frame, a checksum mismatch, a skippable
 * frame, or bytes after the end of the frame. errbuf (may be NULL) gets the detail, e.g.
 * "lz4 frame truncated after 4096 of 5210 bytes". On failure *out is NULL. */
sync_err_t codec_lz4_decompress(const void *src, size_t len, size_t max_out, char **out,
                                size_t *out_len, char *errbuf, size_t errlen);

/* 1 if the bytes start with the LZ4 frame magic 04 22 4D 18, else 0. For diagnostics only: the
 * Content-Encoding header decides how a body is decoded. */
int codec_lz4_is_frame(const void *src, size_t len);

/* ---- wire error codes (PROTOCOL.md 6) --------------------------------------------------------- */

/* X(enum, code, http status (0: per change only), retryable, client sync_err_t, message id, en) */
#define PROTO_ERROR_TABLE(X)                                                                       \
  X(PROTO_E_BAD_REQUEST, "bad_request", 400, 0, SYNC_ERR_PROTOCOL,                                 \
    "Permintaan tidak sesuai protokol.", "The request does not follow the protocol.")              \
  X(PROTO_E_MALFORMED_JSON, "malformed_json", 400, 0, SYNC_ERR_PROTOCOL,                           \
    "Isi permintaan bukan JSON yang sah.", "The request body is not valid JSON.")                  \
  X(PROTO_E_BAD_COMPRESSION, "bad_compression", 400, 0, SYNC_ERR_PROTOCOL,                         \
    "Bingkai LZ4 rusak atau terpotong.", "Corrupt or truncated LZ4 frame.")                        \
  X(PROTO_E_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415, 0, SYNC_ERR_PROTOCOL,           \
    "Jenis isi atau kompresi tidak didukung.", "Unsupported content type or encoding.")           \
  X(PROTO_E_BODY_TOO_LARGE, "body_too_large", 413, 0, SYNC_ERR_TOO_LARGE,                          \
    "Kiriman terlalu besar.", "Request body too large.")                                          \
  X(PROTO_E_UNSUPPORTED_PROTOCOL, "unsupported_protocol", 400, 0, SYNC_ERR_PROTOCOL,               \
    "Versi protokol tidak didukung.", "Unsupported protocol version.")                             \
  X(PROTO_E_UNAUTHORIZED, "unauthorized", 401, 0, SYNC_ERR_AUTH,                                   \
    "Perangkat tidak dikenali atau kredensial salah.", "Unknown device or wrong credential.")      \
  X(PROTO_E_DEVICE_REVOKED, "device_revoked", 403, 0, SYNC_ERR_REVOKED,                               \
    "Perangkat ini telah dicabut.", "This device has been revoked.")                              \
  X(PROTO_E_CREDENTIAL_EXPIRED, "credential_expired", 403, 0, SYNC_ERR_AUTH,                     \
    "Kredensial perangkat ini sudah kedaluwarsa. Daftarkan ulang dengan kode baru.",               \
    "This device's credential has expired. Enrol again with a new code.")                         \
  X(PROTO_E_INVALID_ENROLLMENT_CODE, "invalid_enrollment_code", 401, 0, SYNC_ERR_AUTH,             \
    "Kode pendaftaran tidak dikenal, sudah dipakai, atau kedaluwarsa.",                             \
    "The enrollment code is unknown, already used or expired.")                                    \
  X(PROTO_E_FORBIDDEN, "forbidden", 403, 0, SYNC_ERR_AUTH,                                         \
    "Perangkat ini tidak berhak melakukannya.", "This device may not do that.")                    \
  X(PROTO_E_NOT_FOUND, "not_found", 404, 0, SYNC_ERR_PROTOCOL,                                     \
    "Alamat tidak ditemukan.", "No such endpoint.")                                                \
  X(PROTO_E_METHOD_NOT_ALLOWED, "method_not_allowed", 405, 0, SYNC_ERR_PROTOCOL,                   \
    "Metode tidak diizinkan.", "Method not allowed.")                                              \
  X(PROTO_E_UNKNOWN_FORM, "unknown_form", 404, 0, SYNC_ERR_NOT_FOUND,                              \
    "Formulir tidak dikenal server.", "The server does not know this form version.")               \
  X(PROTO_E_INVALID_CHANGE, "invalid_change", 0, 0, SYNC_ERR_VALIDATION,                           \
    "Perubahan ditolak: jawaban tidak sesuai formulir.", "Change rejected: answers do not fit the form.") \
  X(PROTO_E_RATE_LIMITED, "rate_limited", 429, 1, SYNC_ERR_SERVER,                                 \
    "Terlalu banyak permintaan. Coba lagi nanti.", "Too many requests. Try again later.")          \
  X(PROTO_E_SERVER_BUSY, "server_busy", 503, 1, SYNC_ERR_SERVER,                                   \
    "Server sedang sibuk. Coba lagi nanti.", "The server is busy. Try again later.")               \
  X(PROTO_E_INTERNAL, "internal", 500, 1, SYNC_ERR_SERVER,                                         \
    "Terjadi kesalahan di server.", "Internal server error.")

typedef enum proto_errcode {
  PROTO_E_NONE = 0,
#define PROTO_ERRCODE_ENUM_(e, code, http, retry, serr, id, en) e,
  PROTO_ERROR_TABLE(PROTO_ERRCODE_ENUM_)
#undef PROTO_ERRCODE_ENUM_
  PROTO_E_UNKNOWN   /* a code this library does not know (newer server): go by retryable/status */
} proto_errcode_t;

/* "bad_request", ... ; "" for PROTO_E_NONE, "unknown" for PROTO_E_UNKNOWN. */
const char *proto_errcode_text(proto_errcode_t code);
/* PROTO_E_UNKNOWN for text not in the table. */
proto_errcode_t proto_errcode_parse(const char *text);
int proto_errcode_http_status(proto_errcode_t code);   /* 0 for per-change-only codes */
int proto_errcode_retryable(proto_errcode_t code);
sync_err_t proto_errcode_sync_err(proto_errcode_t code); /* SYNC_ERR_SERVER for PROTO_E_UNKNOWN */
const char *proto_errcode_message(proto_errcode_t code, const char *lang); /* "id" or "en" */

/* Why a decode failed: the detail and the wire code the server answers with. */
typedef struct proto_diag {
  proto_errcode_t code;          /* MALFORMED_JSON, BAD_REQUEST, UNSUPPORTED_PROTOCOL, BODY_TOO_LARGE */
  char msg[PROTO_ERRMSG_MAX];    /* "changes[3].revision: expected integer" */
} proto_diag_t;

/* ---- small validators and headers ------------------------------------------------------------- */

int proto_uuid_valid(const char *s);    /* 1 if a lower-case 8-4-4-4-12 hex uuid */
int proto_hlc_valid(const char *s);     /* 1 if "<15 digits>-<5 digits>-<lower-case uuid>" */
int proto_cursor_valid(const char *s);  /* 1 if ^[A-Za-z0-9._:-]{1,128}$ */
int proto_sha256_valid(const char *s);  /* 1 if 64 lower-case hex digits */

/* Writes "Device <device_id>:<secret>" (the Authorization header value) into buf.
 * SYNC_ERR_INVALID_ARG for a bad id/secret, SYNC_ERR_TOO_LARGE if buf is too small. */
sync_err_t proto_auth_format(const char *device_id, const char *secret, char *buf, size_t len);
/* Parses an Authorization header value of the Device scheme (scheme name case-insensitive, one
 * space). SYNC_ERR_AUTH for another scheme or a malformed value (the server answers 401). */
sync_err_t proto_auth_parse(const char *value, char device_id[PROTO_UUID_LEN + 1],
                            char secret[PROTO_SECRET_LEN + 1]);

/* Checks GET /v1/pull query values (either may be NULL = absent). cursor_out gets "" when absent;
 * *limit_out the limit (default PROTO_PULL_DEFAULT_LIMIT). SYNC_ERR_PROTOCOL (bad_request) else. */
sync_err_t proto_pull_params_parse(const char *cursor, const char *limit,
                                   char cursor_out[PROTO_CURSOR_MAX + 1], int *limit_out,
                                   proto_diag_t *diag);

/* ---- errors ----------------------------------------------------------------------------------- */

typedef struct proto_issue {
  char field[PROTO_FIELD_MAX + 1];
  char code[PROTO_CODE_MAX + 1];       /* FORMS.md validation codes */
} proto_issue_t;

/* {"code", "message": {"id", "en"}, "retryable", "retry_after"?, "issues"?, "supported_protocols"?} */
typedef struct proto_error {
  proto_errcode_t code;
  char code_text[PROTO_CODE_MAX + 1];  /* as on the wire; kept for PROTO_E_UNKNOWN */
  char *message_id;                    /* Bahasa Indonesia */
  char *message_en;
  int retryable;
  int64_t retry_after;                 /* seconds; -1 when absent */
  proto_issue_t *issues;               /* n_issues entries, NULL when absent */
  size_t n_issues;
  int supported_protocols[PROTO_MAX_PROTOCOLS];
  size_t n_supported_protocols;        /* 0 when absent */
} proto_error_t;

/* Encodes {"error": {...}}. code_text is ignored unless code is PROTO_E_UNKNOWN. */
sync_err_t proto_error_encode(const proto_error_t *err, char **out_json, size_t *out_len);
/* Decodes an error body. A client that gets a non-2xx whose body does not decode treats the reply
 * as a transport failure (SYNC_ERR_NETWORK), see PROTOCOL.md 6. */
sync_err_t proto_error_decode(const char *json, size_t len, proto_error_t **out, proto_diag_t *diag);
void proto_error_free(proto_error_t *err);

/* ---- changes (PROTOCOL.md 3) ------------------------------------------------------------------ */

typedef enum proto_op { PROTO_OP_UPSERT = 1, PROTO_OP_DELETE = 2 } proto_op_t;

typedef enum proto_origin {
  PROTO_ORIGIN_DEVICE = 1,   /* pushed by the authenticated device: no origin/author on the wire */
  PROTO_ORIGIN_CENTRAL = 2   /* written on the server: "origin": "central", "author" required */
} proto_origin_t;

/* One revision of one record. `status` is always "final" on the wire and is not stored here. */
typedef struct proto_change {
  char uuid[PROTO_UUID_LEN + 1];
  int64_t revision;                    /* >= 1 */
  int64_t base_revision;               /* >= 0, < revision */
  char base_hlc[PROTO_HLC_LEN + 1];    /* "" <=> base_revision == 0 (null on the wire) */
  proto_op_t op;
  char form_id[PROTO_FORM_ID_MAX + 1];
  int form_version;                    /* >= 1 */
  char hlc[PROTO_HLC_LEN + 1];
  int64_t created_at;                  /* ms since the epoch */
  int64_t updated_at;
  char *payload;                       /* compact JSON object text; "{}" for a delete; for an
                                        * encrypted form only the clear part (SECURITY.md 4) */
  char *sealed;                        /* "sealed": base64 crypto_box_seal text <= PROTO_MAX_SEALED,
                                        * or NULL (absent on the wire): forms without encryption,
                                        * deletes */
  char dedup[PROTO_DEDUP_LEN + 1];     /* "dedup": duplicate-detection hash, "" = absent */
  char device_sig[PROTO_SIG_B64_LEN + 1]; /* "device_sig": the sending device's Ed25519 signature
                                        * of a sealed upsert (device_sig.h, SECURITY.md 4); ""
                                        * = absent. Only on a pushed change that carries sealed */
  proto_origin_t origin;
  char *author;                        /* CENTRAL only (staff login or "system:merge"); else NULL */
} proto_change_t;

/* Checks one change against the rules of PROTOCOL.md 3 (patterns, ranges, base_hlc vs
 * base_revision, delete => "{}", payload an object <= PROTO_MAX_PAYLOAD, origin/author). Used by
 * the writers; exposed for the store/engine tests. SYNC_ERR_INVALID_ARG or SYNC_ERR_TOO_LARGE. */
sync_err_t proto_change_check(const proto_change_t *c, char *errbuf, size_t errlen);

/* ---- push request (push-request.schema.json) -------------------------------------------------- */

typedef struct proto_push_req {
  int protocol;
  char device_id[PROTO_UUID_LEN + 1];
  char batch_id[PROTO_UUID_LEN + 1];
  proto_change_t *changes;             /* n_changes, 1..PROTO_MAX_CHANGES, all origin DEVICE */
  size_t n_changes;
} proto_push_req_t;

/* Server side. Also checks the batch rules of PROTOCOL.md 3.1 that need no database: (uuid,
 * revision) unique in the batch, revisions of one uuid increasing, delete => {}. It does not
 * compare device_id with the credential (the server does: 403 forbidden). */
sync_err_t proto_push_req_decode(const char *json, size_t len, proto_push_req_t **out,
                                 proto_diag_t *diag);
/* Whole-struct encoder (tests, bundles); built on the writer below. */
sync_err_t proto_push_req_encode(const proto_push_req_t *req, char **out_json, size_t *out_len);
void proto_push_req_free(proto_push_req_t *req);

/* Incremental push encoder: the engine appends outbox changes one at a time until the byte budget
 * is reached, without holding the outbox in memory. The writer keeps the JSON text built so far.
 *
 *   proto_push_writer_new(dev, batch, &w);
 *   while (next outbox row) {
 *     rc = proto_push_writer_add(w, &change, budget, err, sizeof err);
 *     if (rc == SYNC_ERR_TOO_LARGE) break;            // batch full: this row opens the next batch
 *     if (rc == SYNC_ERR_INVALID_ARG) mark row failed; // can never be sent
 *   }
 *   proto_push_writer_finish(w, &json, &len); proto_push_writer_free(w);
 */
typedef struct proto_push_writer proto_push_writer_t;

sync_err_t proto_push_writer_new(const char *device_id, const char *batch_id,
                                 proto_push_writer_t **out);
/* Appends a copy of `c` (origin DEVICE, author NULL), re-serialising its payload compactly.
 * Returns SYNC_OK; SYNC_ERR_TOO_LARGE, writer unchanged, when the batch already holds at least one
 * change and adding this one would make the body exceed `budget` bytes (0: no budget) or the
 * batch exceed PROTO_MAX_CHANGES / PROTO_MAX_BODY; SYNC_ERR_INVALID_ARG (writer unchanged, detail
 * in errbuf) when the change itself breaks proto_change_check() — such a change is never sendable.
 * The first change of a batch is always accepted whatever the budget. Ordering rules between
 * changes are the caller's (outbox order satisfies them). */
sync_err_t proto_push_writer_add(proto_push_writer_t *w, const proto_change_t *c, size_t budget,
                                 char *errbuf, size_t errlen);
size_t proto_push_writer_count(const proto_push_writer_t *w);
/* Exact length of the JSON body _finish() would return now (uncompressed). */
size_t proto_push_writer_size(const proto_push_writer_t *w);
/* The finished body; SYNC_ERR_STATE if no change was added. The writer may then only be freed. */
sync_err_t proto_push_writer_finish(proto_push_writer_t *w, char **out_json, size_t *out_len);
void proto_push_writer_free(proto_push_writer_t *w);

/* ---- push response (push-response.schema.json) ------------------------------------------------ */

typedef enum proto_outcome {
  PROTO_OUTCOME_STORED = 1,
  PROTO_OUTCOME_DUPLICATE = 2,  /* same receipt as the first time; merged/conflict if that was one */
  PROTO_OUTCOME_CONFLICT = 3,   /* stored, and merged with a central revision: see merged/conflict */
  PROTO_OUTCOME_REJECTED = 4    /* not stored: see error */
} proto_outcome_t;

typedef enum proto_side { PROTO_SIDE_DEVICE = 1, PROTO_SIDE_CENTRAL = 2 } proto_side_t;

typedef struct proto_conflict_field {
  char field[PROTO_FIELD_MAX + 1];     /* a form field name or "$deleted" */
  proto_side_t winner;
  char *device_value;                  /* JSON value text; "null" for no answer */
  char *central_value;
} proto_conflict_field_t;

typedef struct proto_conflict {
  char conflict_id[PROTO_UUID_LEN + 1];
  int64_t base_revision;
  char base_hlc[PROTO_HLC_LEN + 1];    /* "" when null (base not found on the server) */
  int64_t central_revision;
  char central_hlc[PROTO_HLC_LEN + 1];
  proto_conflict_field_t *fields;
  size_t n_fields;
} proto_conflict_t;

typedef struct proto_receipt {
  char uuid[PROTO_UUID_LEN + 1];
  int64_t revision;
  proto_outcome_t outcome;
  int64_t server_seq;                  /* 0 for REJECTED */
  int64_t received_at;                 /* 0 for REJECTED */
  proto_change_t *merged;              /* CONFLICT (and DUPLICATE of one); origin CENTRAL; else NULL */
  proto_conflict_t *conflict;          /* present exactly when merged is */
  proto_error_t *error;                /* REJECTED only; code unknown_form/invalid_change/forbidden */
} proto_receipt_t;

/* The text of one receipt's Merkle leaf (receipt_proof.h, SECURITY.md 7) into buf;
 * SYNC_ERR_TOO_LARGE if buf is too small (512 bytes always suffice). */
sync_err_t proto_receipt_signed_text(const char *server_id, const char *device_id, const char *uuid,
                                     int64_t revision, const char *hlc, int64_t server_seq,
                                     int64_t received_at, char *buf, size_t len);

/* One receipt as it appears in a push response, the canonical text an outcome leaf covers
 * (receipt_leaves.h); caller frees *out_json. SYNC_ERR_INVALID_ARG as proto_push_resp_encode. */
sync_err_t proto_receipt_encode(const proto_receipt_t *r, char **out_json, size_t *out_len);

typedef struct proto_push_resp {
  int protocol;
  char batch_id[PROTO_UUID_LEN + 1];
  int64_t server_time;
  proto_receipt_t *receipts;           /* n_receipts, in request order */
  size_t n_receipts;
  char signature[PROTO_SIG_B64_LEN + 1]; /* Ed25519 over the Merkle root of every receipt's leaves
                                          * (receipt_leaves.h); always required */
} proto_push_resp_t;

/* Server side: SYNC_ERR_INVALID_ARG for a struct that breaks the schema (e.g. CONFLICT without
 * merged), so the server can never send what clients refuse. */
sync_err_t proto_push_resp_encode(const proto_push_resp_t *resp, char **out_json, size_t *out_len);
/* Client side. Schema checks only: the engine must also check that the receipts echo the sent
 * (uuid, revision) pairs in order and batch_id matches; on a mismatch it acknowledges nothing and
 * reports SYNC_ERR_PROTOCOL. */
sync_err_t proto_push_resp_decode(const char *json, size_t len, proto_push_resp_t **out,
                                  proto_diag_t *diag);
void proto_push_resp_free(proto_push_resp_t *resp);

/* ---- pull response (pull-response.schema.json) ----------------------------------------------- */

typedef enum proto_item_kind { PROTO_ITEM_FORM = 1, PROTO_ITEM_RECORD = 2 } proto_item_kind_t;

typedef struct proto_form_item {
  char form_id[PROTO_FORM_ID_MAX + 1];
  int version;
  char sha256[PROTO_SHA256_LEN + 1];
  char *definition;                    /* the definition document as compact JSON text */
} proto_form_item_t;

typedef struct proto_pull_item {
  proto_item_kind_t kind;
  int64_t seq;
  proto_form_item_t form;              /* kind FORM */
  proto_change_t record;               /* kind RECORD; origin CENTRAL, author set */
} proto_pull_item_t;

typedef struct proto_pull_resp {
  int protocol;
  proto_pull_item_t *items;            /* n_items, in seq order */
  size_t n_items;
  char next_cursor[PROTO_CURSOR_MAX + 1];
  int more;
} proto_pull_resp_t;

sync_err_t proto_pull_resp_decode(const char *json, size_t len, proto_pull_resp_t **out,
                                  proto_diag_t *diag);
sync_err_t proto_pull_resp_encode(const proto_pull_resp_t *resp, char **out_json, size_t *out_len);
void proto_pull_resp_free(proto_pull_resp_t *resp);

/* Incremental pull encoder for the server: add items in seq order until it says the page is full.
 * The form definition is embedded as a JSON value in its compact text, the text whose SHA-256 is
 * `sha256` (PROTOCOL.md 2.3, the store's forms.sha256). */
typedef struct proto_pull_writer proto_pull_writer_t;

sync_err_t proto_pull_writer_new(proto_pull_writer_t **out);
/* SYNC_OK; SYNC_ERR_TOO_LARGE (writer unchanged) when the page already holds an item and this one
 * would exceed `budget` bytes (0: PROTO_PULL_PAGE_BYTES) or PROTO_PULL_MAX_LIMIT items;
 * SYNC_ERR_INVALID_ARG for an item that breaks the schema. */
sync_err_t proto_pull_writer_add(proto_pull_writer_t *w, const proto_pull_item_t *item,
                                 size_t budget, char *errbuf, size_t errlen);
size_t proto_pull_writer_count(const proto_pull_writer_t *w);
size_t proto_pull_writer_size(const proto_pull_writer_t *w);
/* Closes the page with next_cursor (valid cursor) and more. Zero items is allowed. */
sync_err_t proto_pull_writer_finish(proto_pull_writer_t *w, const char *next_cursor, int more,
                                    char **out_json, size_t *out_len);
void proto_pull_writer_free(proto_pull_writer_t *w);

/* ---- health, whoami, forms list --------------------------------------------------------------- */

typedef struct proto_limits {
  int64_t max_body_wire, max_body, max_changes, max_payload, max_pull_limit;
} proto_limits_t;

typedef struct proto_health {
  int degraded;                        /* "status": "degraded" (1) or "ok" (0) */
  char server_version[PROTO_VERSION_TEXT_MAX + 1];
  char server_id[PROTO_UUID_LEN + 1];
  int protocols[PROTO_MAX_PROTOCOLS];
  size_t n_protocols;
  int64_t server_time;
  proto_limits_t limits;
  char receipt_key[PROTO_KEY_B64_LEN + 1]; /* Ed25519 public key that signs receipts */
} proto_health_t;

sync_err_t proto_health_encode(const proto_health_t *h, char **out_json, size_t *out_len);
sync_err_t proto_health_decode(const char *json, size_t len, proto_health_t **out, proto_diag_t *diag);
void proto_health_free(proto_health_t *h);

typedef struct proto_whoami {
  int protocol;
  char device_id[PROTO_UUID_LEN + 1];
  char *name;                          /* <= 256 characters; may be "" */
  char *unit;                          /* <= 256 characters; may be "" */
  int64_t server_time;                 /* "status" is always "active" (else the server refused) */
  int64_t credential_expires_at;       /* ms */
} proto_whoami_t;

sync_err_t proto_whoami_encode(const proto_whoami_t *w, char **out_json, size_t *out_len);
sync_err_t proto_whoami_decode(const char *json, size_t len, proto_whoami_t **out, proto_diag_t *diag);
void proto_whoami_free(proto_whoami_t *w);

typedef struct proto_form_info {
  char form_id[PROTO_FORM_ID_MAX + 1];
  int version;
  char sha256[PROTO_SHA256_LEN + 1];
  char *title;                         /* label object as compact JSON text {"id": .., "en": ..} */
  int64_t published_at;
} proto_form_info_t;

typedef struct proto_forms_list {
  int protocol;
  proto_form_info_t *forms;            /* n_forms, ordered by form_id then version */
  size_t n_forms;
} proto_forms_list_t;

sync_err_t proto_forms_list_encode(const proto_forms_list_t *l, char **out_json, size_t *out_len);
sync_err_t proto_forms_list_decode(const char *json, size_t len, proto_forms_list_t **out,
                                   proto_diag_t *diag);
void proto_forms_list_free(proto_forms_list_t *l);

/* ---- enrollment (enroll-request / enroll-response schemas, SECURITY.md 2) ---------------------- */

typedef struct proto_enroll_req {
  int protocol;
  char code[PROTO_ENROLL_CODE_MAX + 1];   /* as typed: [A-Za-z0-9 -]{1,32} */
  char device_id[PROTO_UUID_LEN + 1];
  char signing_key[PROTO_KEY_B64_LEN + 1]; /* the device's Ed25519 public signing key (base64);
                                            * "" = absent (a client older than device signatures) */
} proto_enroll_req_t;

sync_err_t proto_enroll_req_encode(const proto_enroll_req_t *req, char **out_json, size_t *out_len);
sync_err_t proto_enroll_req_decode(const char *json, size_t len, proto_enroll_req_t **out,
                                   proto_diag_t *diag);
void proto_enroll_req_free(proto_enroll_req_t *req);

typedef struct proto_enroll_resp {
  int protocol;
  char device_id[PROTO_UUID_LEN + 1];
  char secret[PROTO_SECRET_LEN + 1];
  char *name;                             /* <= 256 characters; may be "" */
  char *unit;                             /* <= 256 characters; may be "" */
  char server_id[PROTO_UUID_LEN + 1];
  char receipt_key[PROTO_KEY_B64_LEN + 1];
  int64_t credential_expires_at;          /* ms */
  int64_t server_time;
} proto_enroll_resp_t;

sync_err_t proto_enroll_resp_encode(const proto_enroll_resp_t *resp, char **out_json, size_t *out_len);
sync_err_t proto_enroll_resp_decode(const char *json, size_t len, proto_enroll_resp_t **out,
                                    proto_diag_t *diag);
void proto_enroll_resp_free(proto_enroll_resp_t *resp);

/* Normalises an enrollment code as typed: upper case, dashes and spaces dropped, Crockford
 * look-alikes mapped (O->0, I/L->1). SYNC_ERR_INVALID_ARG unless 12 base32 characters remain. */
sync_err_t proto_enroll_code_normalise(const char *typed, char out[13]);

#endif
