/* Test fixture for the server's integration tests: a real `syncserver serve` child process on
 * 127.0.0.1 port 0 with a fresh temporary database, admin commands run as child processes, and
 * an HTTP client on libcurl. Every returned string belongs to the caller unless said otherwise.
 * Include after the cmocka prerequisites. */
#ifndef SERVER_FIXTURE_H
#define SERVER_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include <cJSON.h>

#define GOLDEN_DEVICE "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"

typedef struct server {
  pid_t pid;
  char *dir;          /* temporary directory, removed by server_cleanup */
  char *db;           /* <dir>/server.db */
  char *log;          /* <dir>/server.log (the server's stderr) */
  char base[128];     /* "http://127.0.0.1:PORT" ("https://" with TLS) */
  const char *tls_cert, *tls_key;  /* set before server_start: serve over HTTPS */
  const char *cainfo;              /* CA file the client trusts (HTTPS) */
  int auth_fail_limit;             /* set before server_start: --auth-fail-limit (0: default) */
  const char *const *serve_args;   /* set before server_start: more `serve` options (NULL-ended) */
} server_t;

typedef struct device {
  char id[40];
  char secret[48];
  char auth[128];     /* "Device <id>:<secret>" */
  char receipt_key[48];           /* the server's, from the enrollment response */
  long long credential_expires_at;
} device_t;

/* A fresh directory and database with the test form (tests/server/data/server_form.v1.json)
 * published. 0 on success. */
int server_prepare(server_t *s);
/* Starts `syncserver serve` on `listen` (NULL: 127.0.0.1:0) with the options the fields ask for
 * and waits for its LISTENING line. 0 when it listens. */
int server_start(server_t *s, const char *listen);
/* `syncserver serve --db DB ARGS...` (NULL-terminated) as a child, stderr appended to s->log;
 * waits for LISTENING and fills s->base ("https://" when ARGS name --tls-cert). 0 when it listens,
 * otherwise the child's exit code (128 + signal when it had to be killed). */
int server_serve(server_t *s, const char *const *args);
/* Sends `sig` and waits; returns the exit status (or 128+signal). */
int server_stop(server_t *s, int sig);
/* Stops the server if running and removes the directory. */
void server_cleanup(server_t *s);

/* Runs `syncserver ARGS... ` (NULL-terminated); *out (may be NULL) gets stdout. Returns the exit
 * code. */
int run_syncserver(char **out, const char *arg0, ...);
/* Like run_syncserver with the arguments in a NULL-terminated array. `input` (may be NULL) is
 * written to the command's stdin. */
int run_syncserver_argv(char **out, const char *const *args, const char *input);
/* Like run_syncserver_argv, with the command's stderr in *err (may be NULL). */
int run_syncserver_capture(char **out, char **err, const char *const *args);
/* `enroll create --name NAME` with optional extra options (NULL-terminated array, may be NULL):
 * the code into `code`. 0 on success. */
int enroll_code(const server_t *s, const char *name, const char *const *extra, char code[32]);
/* POST /v1/enroll {code, device_id} (the server must run). Returns the HTTP status (-1: no
 * reply); on 200 `out` holds the credential. */
long enroll_device(const server_t *s, const char *code, const char *device_id, device_t *out);
/* A device enrolled with a fresh code (SECURITY.md 2); id NULL = a random id. Starts the server
 * for the enrollment (and stops it again) when it is not running. 0 on success. */
int add_device(server_t *s, const char *name, const char *id, device_t *out);
/* add_device with the device's unit (--unit). */
int add_device_in(server_t *s, const char *name, const char *unit, const char *id, device_t *out);
/* Publishes a copy of the test form with another version number (and optionally an extra field
 * name); 0 on success. */
int publish_form_version(const server_t *s, int version);
/* The request handler in this process (server.h), on a fresh database in a temporary folder: for
 * tests of routes and limits without HTTP. */
struct srv;
typedef struct inproc {
  char *dir, *db;
  struct srv *srv;
} inproc_t;
/* 0, or -1 (what is made is freed by inproc_close). */
int inproc_open(inproc_t *p, int pool_size);
void inproc_close(inproc_t *p);

/* The definition of form `form_id` (NULL: any form) version `version` as devices get it (with the
 * duplicate-detection key from the key file), parsed; NULL when there is none. */
struct form;
struct form *published_form_of(const server_t *s, const char *form_id, int version);

typedef struct reply {
  long status;
  char *raw;          /* body as received */
  size_t raw_len;
  char *body;         /* body after lz4 decoding (== raw copy when plain); NUL-terminated */
  size_t len;
  char content_encoding[32];
  char content_type[64];
  char retry_after[16];
  char www_authenticate[96];
  char allow[32];
  char etag[96];
  char protocol[16];
  char cache_control[32];
} reply_t;

enum {
  REQ_LZ4 = 1,         /* compress the body, Content-Encoding: lz4 */
  REQ_ACCEPT_LZ4 = 2,  /* Accept-Encoding: lz4 */
  REQ_CHUNKED = 4,     /* send the body chunked, without Content-Length */
  REQ_NO_TYPE = 8      /* no Content-Type header */
};

/* One HTTP request. dev may be NULL (no Authorization); extra headers NULL-terminated (may be
 * NULL). Returns 0 when a reply arrived. */
int http_call(const server_t *s, const char *method, const char *path, const device_t *dev,
              const char *const *headers, const void *body, size_t len, int flags, reply_t *r);
void reply_free(reply_t *r);
/* The reply body parsed (NULL if not JSON); caller deletes. */
cJSON *reply_json(const reply_t *r);
/* The "error"."code" of an error reply, "" if none (static buffer per call site is fine). */
const char *reply_error_code(const reply_t *r);

/* A change as JSON text. base_hlc NULL → null. payload NULL → "{}". */
char *make_change(const char *uuid, int revision, int base_revision, const char *base_hlc,
                  const char *hlc, const char *op, const char *payload);
/* A push body from n change texts. */
char *make_push(const char *device_id, const char *batch_id, char **changes, size_t n);
/* An HLC text of this device: ms and counter. */
void make_hlc(char out[64], long long ms, int counter, const char *node);
/* A fresh lower-case uuid. */
void make_uuid(char out[40]);

/* An SQL scalar from the server database, opened read-only (-1 on error). */
long long db_scalar(const server_t *s, const char *sql);

/* The server's id from its database ("" on error). */
void server_id_of(const server_t *s, char out[40]);
/* The server's receipt key (base64, as enrollment and health give it) as the 32 bytes
 * receipt_proof.h takes; 0 on success. */
int receipt_key_decode(const char *key, unsigned char pk[32]);
/* 1 when a push response is signed as SECURITY.md 7 says: its `signature` verifies with dev's
 * receipt_key over the Merkle root of every receipt's leaves (receipt_leaves.h: delivery leaves,
 * then the outcome leaves of refusals and conflicts, each with the request change's hlc); 0
 * otherwise; -1 when a body does not decode. */
int push_response_signed(const server_t *s, const device_t *dev, const char *req, size_t req_len,
                         const char *resp, size_t resp_len);

/* ---- the encrypted version 2 of the test form (SECURITY.md 4) ---- */

struct proto_change;
struct proto_push_resp;
/* Version 2 of the test form with a consent field (the place answers stay without consent):
 * province, regency_code and interview_date may be kept without consent. JSON text. */
char *consent_form_v2(void);
/* Makes a central key (syncserver keygen: `key`, `key`.pub in s->dir) and publishes
 * consent_form_v2() sealed to it with the clear fields province, regency_code, interview_date,
 * consent and sex, plus `extra` publish options (NULL-terminated, may be NULL). The form as
 * published, NULL on failure. */
struct form *publish_consent_form_v2(const server_t *s, const char *const *extra, char key[512]);
/* A new record's first revision of form tppo_screening version 2 by device `dev_id` (upsert,
 * a fresh hlc of that device); the caller fills payload, sealed and what else it needs. */
struct proto_change v2_change(const char *dev_id, const char *uuid);
/* Frees what a change's payload and sealed text hold. */
void v2_change_clear(struct proto_change *c);
/* Pushes n changes as `dev` (LZ4): the decoded response (NULL when there was no 200 reply or it
 * does not decode; the status and body on stderr). `req`/`req_len` (may be NULL) get the request
 * body, `raw` (may be NULL) the reply (caller frees both). */
struct proto_push_resp *push_changes(const server_t *s, const device_t *dev,
                                     struct proto_change *changes, size_t n, char **req,
                                     size_t *req_len, reply_t *raw);

/* Removes keys named server_time, received_at, server_seq and signature everywhere (for golden
 * compares: the signature covers the first two through the receipts' leaves). */
void json_strip_volatile(cJSON *j);

#endif
