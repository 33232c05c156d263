/* Internal: helpers shared by the codec_*.c files only (codec.h is the module's interface).
 *
 * - json_scan(): one linear pass that validates JSON text strictly (grammar, UTF-8, escapes,
 *   nesting) and optionally writes its compact form. Decoders run it over the whole body before
 *   cJSON sees it (so cJSON's own 1000-level nesting limit never matters), and the push and pull
 *   decoders let it cut the payloads out, so cJSON parses only the envelope and payload texts are
 *   copied, never parsed and re-printed; encoders use it to embed payloads and definitions without
 *   building a cJSON tree.
 * - jbuf_t: a growing output buffer with a sticky out-of-memory flag.
 * - jctx_t: decoding context that tracks the field path ("changes[3].revision") for diagnostics,
 *   and typed getters on cJSON that report errors naming that path.
 * Ownership as in codec.h. Threads: no shared state.
 */
#ifndef SYNC_CODEC_INTERNAL_H
#define SYNC_CODEC_INTERNAL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

/* Depth budgets. The root object of a body is level 1; a value embedded below k containers may
 * itself nest PROTO_MAX_JSON_DEPTH - k levels, so an encoder can never produce a body deeper than
 * the decoders accept. */
#define CODEC_DEPTH_CHANGE_PAYLOAD (PROTO_MAX_JSON_DEPTH - 3)  /* root.changes[i].payload, items[i] */
#define CODEC_DEPTH_MERGED_PAYLOAD (PROTO_MAX_JSON_DEPTH - 4)  /* root.receipts[i].merged.payload */
#define CODEC_DEPTH_CONFLICT_VALUE (PROTO_MAX_JSON_DEPTH - 6)  /* ...conflict.fields[j].device_value */
#define CODEC_DEPTH_TITLE (PROTO_MAX_JSON_DEPTH - 3)           /* root.forms[i].title */

/* "\"protocol\":2" for the encoders' literal text. */
#define CODEC_STR_(x) #x
#define CODEC_STR(x) CODEC_STR_(x)
#define CODEC_PROTOCOL_MEMBER "\"protocol\":" CODEC_STR(PROTO_VERSION)

#define CODEC_MAX_INT 9007199254740992LL   /* 2^53: larger integers do not survive a double */
#define CODEC_MAX_MS 999999999999999LL     /* "ms" in common.schema.json */
#define CODEC_MAX_MESSAGE_CHARS 1024       /* error message texts, label texts */
#define CODEC_MAX_AUTHOR_CHARS 128
#define CODEC_MAX_NAME_CHARS 256           /* whoami name / unit */
#define CODEC_MAX_FORMS 10000              /* forms-list.schema.json */

/* ---- codec_scan.c: strict JSON validation and minification ------------------------------------ */

typedef enum json_type {
  JSON_T_NONE = 0, JSON_T_OBJECT, JSON_T_ARRAY, JSON_T_STRING, JSON_T_NUMBER, JSON_T_BOOL,
  JSON_T_NULL
} json_type_t;

typedef struct json_scan {
  json_type_t type;     /* of the top-level value */
  size_t members;       /* top-level object members or array elements */
  size_t out_len;       /* length of the compact text (also when out is NULL) */
  size_t err_pos;       /* byte offset of the error */
  const char *err;      /* static text of the error, NULL on success */
} json_scan_t;

/* Validates that s[0..len) is exactly one JSON value (whitespace around it allowed) nesting at most
 * max_depth (<= PROTO_MAX_JSON_DEPTH) containers: RFC 8259 grammar, valid UTF-8, valid escapes with
 * paired surrogates, no \u0000, numbers of at most 63 characters that stay finite as a double (what
 * cJSON can represent without loss of kind). When out is non-NULL it receives the compact text
 * (whitespace outside strings removed; at most len bytes, no NUL). Returns 0, or -1 with res->err. */
int json_scan(const char *s, size_t len, int max_depth, char *out, json_scan_t *res);
/* Decoders' payload capture: while scanning a body, the object values of the raw key "payload"
 * (written without escapes) whose object sits at nesting level `level` - 1 are located in the
 * compact output, so they can be handed out without cJSON parsing and printing them. */
typedef struct json_span {
  size_t start, end;    /* offsets in the compact output */
} json_span_t;

typedef struct json_capture {
  int level;            /* the payload object's own level (root object = 1) */
  json_span_t *spans;   /* in document order; free() */
  size_t n, cap;
  int oom;
} json_capture_t;

int json_scan_capture(const char *s, size_t len, int max_depth, char *out, json_scan_t *res,
                      json_capture_t *cap);
/* 1-based line and byte column of byte offset pos. */
void json_line_col(const char *s, size_t len, size_t pos, size_t *line, size_t *col);
/* Length (1..4) of the valid UTF-8 sequence at s (avail bytes readable), 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);
/* Code points of a valid UTF-8 string; SIZE_MAX when it is not valid UTF-8. */
size_t utf8_chars(const char *s);

/* ---- codec_buf.c: output buffer --------------------------------------------------------------- */

typedef struct jbuf {
  char *p;
  size_t len, cap;
  int oom;              /* sticky: an allocation failed, the content is incomplete */
} jbuf_t;

/* Room for `extra` more bytes plus a NUL. 0, or -1 (and oom set). */
int jb_reserve(jbuf_t *b, size_t extra);
void jb_put(jbuf_t *b, const char *s, size_t n);
void jb_puts(jbuf_t *b, const char *s);
void jb_putc(jbuf_t *b, char c);
void jb_i64(jbuf_t *b, int64_t v);
/* A JSON string literal with quotes, escaped like cJSON_PrintUnformatted (non-ASCII raw). -1 and
 * nothing appended when s is not valid UTF-8. */
int jb_str(jbuf_t *b, const char *s);
/* "key": for a key known to need no escaping; a comma first unless `first`. */
void jb_key(jbuf_t *b, const char *key, int first);
/* The compact form of JSON text `json` (NUL-terminated), validated by json_scan() with max_depth.
 * -1 (buffer unchanged, res->err set) when invalid, or when out of memory (b->oom set). */
int jb_json(jbuf_t *b, const char *json, int max_depth, json_scan_t *res);
/* Cuts the content back to `len` bytes (an abandoned append). */
void jb_truncate(jbuf_t *b, size_t len);
/* Hands over the NUL-terminated text (shrunk to fit) and resets b. SYNC_ERR_NOMEM if oom. */
sync_err_t jb_finish(jbuf_t *b, char **out, size_t *out_len);
void jb_free(jbuf_t *b);

/* ---- codec_json.c: decoding context ----------------------------------------------------------- */

typedef struct jctx {
  proto_diag_t *diag;   /* may point at a local when the caller passed NULL */
  char path[160];
  size_t plen;
  char *compact;        /* jparse_body_capture: the compact body and the payload spans in it */
  json_span_t *spans;
  size_t n_spans;
} jctx_t;

void jctx_init(jctx_t *c, proto_diag_t *diag, proto_diag_t *local);
/* Frees what jparse_body_capture kept. */
void jctx_done(jctx_t *c);
/* Path stack: push a key or an index, pop back to the returned mark. */
size_t jpath_key(jctx_t *c, const char *key);
size_t jpath_index(jctx_t *c, size_t i);
void jpath_pop(jctx_t *c, size_t mark);
/* Fills the diag with "<path>.<key>: <message>" (key may be NULL) and returns `err`. */
sync_err_t jfail_code(jctx_t *c, proto_errcode_t code, sync_err_t err, const char *key,
                      const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 5, 6)))
#endif
  ;
/* Same with code bad_request and SYNC_ERR_PROTOCOL. */
sync_err_t jfail(jctx_t *c, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 3, 4)))
#endif
  ;

/* The whole-body steps every decoder shares: size cap, json_scan (malformed_json with line and
 * column), cJSON parse, the root must be an object (bad_request). */
sync_err_t jparse_body(jctx_t *c, const char *json, size_t len, cJSON **root);
/* jparse_body, and payload objects at nesting level `payload_level` (see json_capture_t) are cut
 * out of what cJSON parses: each is replaced by a placeholder that only jget_payload() resolves.
 * Call jctx_done() when finished. */
sync_err_t jparse_body_capture(jctx_t *c, const char *json, size_t len, int payload_level,
                               cJSON **root);
/* The start every message decoder shares: jparse_body_capture, then a zeroed message of `size`
 * bytes in *msg. On failure the context is finished and nothing is left to free. */
sync_err_t jdecode_begin(jctx_t *c, const char *json, size_t len, int payload_level, cJSON **root,
                         size_t size, void **msg);
/* A message without payloads, decoded whole by jdecode_message(). */
typedef struct jmessage {
  const char *const *keys;  /* the root object's members */
  size_t n_keys;
  size_t size;              /* of the message struct, allocated zeroed */
  ptrdiff_t protocol_at;    /* offsetof its int `protocol`, or -1: the message has none */
  /* Reads the members found (f[i] for keys[i]; NULL = missing) into msg. */
  sync_err_t (*fill)(jctx_t *c, const cJSON **f, void *msg);
  void (*release)(void *msg);  /* frees a message, also one fill() left half done */
} jmessage_t;
/* The whole of such a decoder: jparse_body, the message, its `protocol` (before the members, so
 * a newer body is reported as such), jfields, fill. *out gets the message, or NULL on failure
 * (`want_out` 0: the caller gave no output pointer, reported as bad_request). */
sync_err_t jdecode_message(const jmessage_t *m, const char *json, size_t len, int want_out,
                           proto_diag_t *diag, void **out);
/* `protocol` of a root object: missing or not an integer is bad_request, another version is
 * unsupported_protocol. Run it before jfields() so a newer body is reported as such. */
sync_err_t jprotocol(jctx_t *c, const cJSON *root, int *out);
/* obj (at the current path, named `key` for messages; NULL = the path itself) must be an object
 * whose keys are among keys[0..n) (n <= 32), each at most once; found[i] gets the item or NULL. */
sync_err_t jfields(jctx_t *c, const cJSON *obj, const char *key, const char *const *keys, size_t n,
                   const cJSON **found);

/* Typed getters. `it` is the value of `key` in the object at the current path; NULL = missing. */
sync_err_t jget_int(jctx_t *c, const cJSON *it, const char *key, int64_t min, int64_t max,
                    int64_t *out);
sync_err_t jget_bool(jctx_t *c, const cJSON *it, const char *key, int *out);
/* A string accepted by valid() (NULL: any), copied into buf of cap bytes (longer: error). `what`
 * completes "not a <what>". */
sync_err_t jget_str(jctx_t *c, const cJSON *it, const char *key, int (*valid)(const char *),
                    const char *what, char *buf, size_t cap);
/* A string of min_chars..max_chars code points, duplicated. */
sync_err_t jget_strdup(jctx_t *c, const cJSON *it, const char *key, size_t min_chars,
                       size_t max_chars, char **out);
/* One of names[0..n) (a string); *out gets the index. */
sync_err_t jget_enum(jctx_t *c, const cJSON *it, const char *key, const char *const *names, size_t n,
                     int *out);
/* An array of min..max elements (more than max: TOO_LARGE/body_too_large when `over_is_too_large`). */
sync_err_t jget_array(jctx_t *c, const cJSON *it, const char *key, size_t min, size_t max,
                      int over_is_too_large, size_t *n);
/* Compact text of any value (`want_object`: must be an object); over max_len bytes is
 * TOO_LARGE/body_too_large. */
sync_err_t jget_json(jctx_t *c, const cJSON *it, const char *key, int want_object, size_t max_len,
                     char **out);
/* A change's payload: an object (`empty`: must be {}) of at most PROTO_MAX_PAYLOAD bytes as
 * compact text, captured by jparse_body_capture or else printed by cJSON. */
sync_err_t jget_payload(jctx_t *c, const cJSON *it, const char *key, int empty, char **out);
/* A label object (common.schema.json "label"): language-tag keys, strings <= 1024 characters. */
sync_err_t jcheck_label(jctx_t *c, const cJSON *it, const char *key);

/* ---- codec_valid.c ---------------------------------------------------------------------------- */

int codec_form_id_valid(const char *s);       /* ^[a-z][a-z0-9_]{0,63}$ */
int codec_code_valid(const char *s);          /* ^[a-z][a-z0-9_]{0,62}$ (fits PROTO_CODE_MAX) */
int codec_conflict_field_valid(const char *s);/* form field name or "$deleted" */
int codec_server_version_valid(const char *s);/* ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ */
int codec_label_key_valid(const char *s);     /* ^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$ */
/* Standard base64 with padding (RFC 4648 4), canonical (unused bits zero), of 4..max_chars
 * characters: the number of bytes it decodes to, or -1. */
long codec_base64_bytes(const char *s, size_t max_chars);
int codec_sealed_valid(const char *s);        /* base64 of 1..PROTO_MAX_SEALED characters */
int codec_key_valid(const char *s);           /* base64 of 32 bytes (44 characters) */
int codec_signature_valid(const char *s);     /* base64 of 64 bytes (88 characters) */
int codec_secret_valid(const char *s);        /* base64url of 32 bytes, no padding (43) */

/* ---- codec_error.c ---------------------------------------------------------------------------- */

/* An error object ({"code", "message", ...}, the value of "error") at the current path. */
sync_err_t error_decode_obj(jctx_t *c, const cJSON *obj, const char *key, proto_error_t *out);
/* Appends the error object; SYNC_ERR_INVALID_ARG for one that breaks the schema. */
sync_err_t error_encode_obj(jbuf_t *b, const proto_error_t *err);
/* Frees what an error owns (not the struct). */
void error_clear(proto_error_t *err);

/* ---- codec_change.c --------------------------------------------------------------------------- */

typedef enum change_form {
  CHANGE_PUSHED = 15,   /* the 12 change fields + optional sealed, dedup, device_sig (a push
                         * request) */
  CHANGE_CENTRAL = 17,  /* + origin, author (a merged revision) */
  CHANGE_PULLED = 19    /* + kind, seq (a pull record item) */
} change_form_t;

/* Checks the fields other than the payload (sealed and dedup included); `central`: origin must be CENTRAL with an author. */
sync_err_t change_check_fields(const proto_change_t *ch, int central, char *errbuf, size_t errlen);
/* Appends the change object (after checking it); a pull item gets kind and seq first. On error the
 * buffer may hold a partial object: truncate it. INVALID_ARG, TOO_LARGE (payload) or NOMEM. */
sync_err_t change_encode(jbuf_t *b, const proto_change_t *ch, change_form_t form, int64_t seq,
                         int payload_depth, char *errbuf, size_t errlen);
/* Decodes a change object at the current path into *out (zeroed first; free with change_clear). */
sync_err_t change_decode(jctx_t *c, const cJSON *obj, const char *key, change_form_t form,
                         proto_change_t *out, int64_t *seq);
void change_clear(proto_change_t *ch);

/* Formats into errbuf (may be NULL) and returns err. */
sync_err_t codec_errf(char *errbuf, size_t errlen, sync_err_t err, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 4, 5)))
#endif
  ;

#endif
