/* Fixture of the sync engine tests: the real `syncserver serve` as a child process on 127.0.0.1
 * with a fresh database (reference form published, the device enrolled with a one-time code from
 * `syncserver enroll create` through sync_enroll), encrypted device stores (FX_PASSPHRASE, the
 * fast test KDF) filled with reference-form sample records, netproxy on a thread, and the
 * exactly-once check that compares both databases row by row. The secure setup
 * (sync_fixture_secure.c): the form published sealed to a central key made at test time, HTTPS
 * with a test CA and key pin, and the check that central opens every sealed record. Include after
 * the cmocka prerequisites. Returned strings belong to the caller (free()). */
#ifndef SYNC_FIXTURE_H
#define SYNC_FIXTURE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netproxy.h"
#include "sync/sync.h"

#define FX_FORM_ID "tppo_screening"
#define FX_FORM_PATH SYNC_SOURCE_DIR "/proto/forms/tppo_screening.v1.json"
#define FX_FORM_V2_PATH SYNC_SOURCE_DIR "/proto/golden/form-tppo_screening-v2.json"
/* Every test store's passphrase; fx_device_create also puts it in $SYNC_PASSPHRASE for syncctl. */
#define FX_PASSPHRASE "fixture passphrase"
/* The clear part of the sealed reference form: consent, every field answered without consent
 * (central_note is a note: it has no answer) and the fields the dashboard counts. Everything else
 * is sealed to the central key. */
#define FX_CLEAR_FIELDS                                                                            \
  "interview_date,province,regency_code,unit_type,unit_type_other,unit_name,interpreter_used,"     \
  "interpreter_language,safe_to_talk,consent,case_status,referral_outcome,is_child,"               \
  "result_category,sector,destination_country"
#define FX_DEDUP_FIELDS "full_name,dob,sex"

struct cJSON;

typedef struct fx_server {
  char *dir;
  char *db;
  char *log;
  pid_t pid;            /* 0 when not running */
  int port;             /* kept across restarts */
  char url[64];         /* "http://127.0.0.1:PORT" */
  char device_id[40];   /* the device fx_server_create enrolled */
  const char *tls_cert;  /* set both (PEM files) before fx_server_start to serve https */
  const char *tls_key;
  /* Owned, set by fx_server_use_tls: the server's certificate and key (tls_cert/tls_key point
   * here), and what a device trusts: the test CA and the pin of the server's key. */
  char *cert_file, *key_file, *ca_file, *pin;
  char *seal_key;       /* owned: central private key when the form is published sealed, else NULL */
} fx_server_t;

/* How a world is set up: FX_SECURE is the deployment (the reference form sealed to a central key,
 * HTTPS with a test CA and pin, the device enrolled with a code and given the form by pull);
 * FX_PLAIN the same with the form unsealed, over plain http to loopback. */
typedef enum fx_setup { FX_SECURE = 0, FX_PLAIN = 1 } fx_setup_t;

typedef struct fx_device fx_device_t;

/* A fresh directory and an initialised database (`syncserver init`), not serving yet. */
int fx_server_new(fx_server_t *s);
/* fx_server_new, the reference form published, `serve` started, and device `d` (may be NULL)
 * enrolled with fx_enroll. 0 on success. */
int fx_server_create(fx_server_t *s, const fx_device_t *d);
/* A one-time code from `syncserver enroll create` into code (at least 16 bytes). 0 on success. */
int fx_enroll_code(const fx_server_t *s, char *code, size_t len);
/* A code from `syncserver enroll create --device ID` that re-keys only that enrolled device
 * (SECURITY.md 2). 0 on success. */
int fx_rekey_code(const fx_server_t *s, const char *device_id, char *code, size_t len);
/* Enrols the store at store_path with a fresh code (a re-key code when it is the device this
 * server enrolled last) over s->url (ca_file/pin may be NULL; plain
 * http to loopback allowed); sets s->device_id. The library's result, `why` gets its words. */
sync_err_t fx_enroll(fx_server_t *s, const char *store_path, const char *ca_file, const char *pin,
                     char *why, size_t len);
/* Writes an enrollment straight into the store (for the scripted fake server, which has no
 * enrollment endpoint): server URL, the store's device id, `secret`, server id, receipt key. */
int fx_enroll_direct(const char *store_path, const char *url, const char *secret,
                     const char *server_id, const char *receipt_key);
/* (Re)starts `serve` on s->port (0 the first time: a free port). 0 on success. */
int fx_server_start(fx_server_t *s);
/* Sends `sig` and reaps the process. */
void fx_server_kill(fx_server_t *s, int sig);
/* Stops the server and removes its directory. */
void fx_server_destroy(fx_server_t *s);

/* Runs a program (argv NULL-terminated) and waits; *out (may be NULL) gets its stdout. Returns
 * the exit code, 128+signal when killed. */
int fx_run(char **out, char *const argv[]);
/* `syncserver ARGS...` (NULL-terminated) on this fixture's build. */
int fx_syncserver(char **out, const char *arg0, ...);
/* `syncctl ARGS...` (NULL-terminated). */
int fx_syncctl(char **out, const char *arg0, ...);
/* Writes `text` to a new file at path. 0 on success. */
int fx_write_file(const char *path, const char *text);
/* Starts a program without waiting (stdout/stderr to /dev/null unless FX_VERBOSE). */
pid_t fx_spawn(char *const argv[]);

struct fx_device {
  char *dir;
  char *path;           /* <dir>/device.db */
  char id[40];
};

/* Opens (creating if missing) a test store: FX_PASSPHRASE, SYNC_KDF_TEST. */
sync_err_t fx_store_open(const char *path, sync_store_t **out);
/* A fresh empty store (no form). 0 on success. */
int fx_device_new(fx_device_t *d);
/* A fresh store with the reference form and n final sample records (seeded). 0 on success. */
int fx_device_create(fx_device_t *d, size_t n, uint64_t seed);
/* n sample answers of the reference form (seed), each given to `add` inside one batch of the
 * store at store_path; 0 when every add succeeded (else the batch is rolled back). */
typedef sync_err_t (*fx_add_fn)(sync_store_t *st, const char *payload, void *ctx);
int fx_add_samples(const char *store_path, size_t n, uint64_t seed, fx_add_fn add, void *ctx);
/* n more final sample records in one batch; seeds differ from the creation's. */
int fx_add_records(const char *store_path, size_t n, uint64_t seed);
void fx_device_destroy(fx_device_t *d);

/* The common world of the engine tests against the real server: a device store with n sample
 * records (seed) and a fresh server it is enrolled with. For cmocka: fx_world_setup puts a new
 * world in *state (0 on success); fx_world_teardown stops the server and removes both. */
typedef struct fx_world {
  fx_device_t dev;
  fx_server_t srv;
} fx_world_t;
int fx_world_setup(void **state, size_t n, uint64_t seed);
int fx_world_teardown(void **state);

/* Engine defaults for tests: the store (FX_PASSPHRASE) and server (url, else s->url), the
 * server's CA and pin when it serves https, plain http to loopback allowed, quick backoff. */
void fx_engine_config(sync_engine_config_t *c, const fx_device_t *d, const fx_server_t *s,
                      const char *url);
/* One engine run with fx_engine_config; *st (may be NULL) gets the final status. */
sync_err_t fx_sync_once(const fx_device_t *d, const fx_server_t *s, sync_status_t *st);

/* Pending (not acknowledged, not failed), acknowledged and failed outbox rows. */
typedef struct fx_outbox {
  int64_t pending, acked, failed;
} fx_outbox_t;
int fx_outbox(const char *store_path, fx_outbox_t *out);

/* Payload bytes (decrypted text) of every revision in the outbox; -1 on error. */
int64_t fx_outbox_payload_bytes(const char *store_path);

/* Exactly once: every outbox row of the device is acknowledged, the server holds exactly one
 * revision per (uuid, revision) the device wrote and nothing else from it, with the same hlc, a
 * byte-identical payload (the device's decrypted) and the server_seq stored in the device's
 * receipt. 0 when all holds; else -1 and `why`. */
int fx_verify_exactly_once(const char *store_path, const char *server_db, const char *device_id,
                           char *why, size_t len);

/* ---- the secure setup (sync_fixture_secure.c) ---- */

/* Makes a test CA and server certificate in s->dir (tests/support/make-test-ca.sh) and sets
 * tls_cert/tls_key, ca_file and pin: the next fx_server_start serves https. 0 on success. */
int fx_server_use_tls(fx_server_t *s);
/* `syncserver keygen` into s->dir (s->seal_key) and the reference form published sealed to it
 * with FX_CLEAR_FIELDS and FX_DEDUP_FIELDS. 0 on success. */
int fx_server_publish_sealed(fx_server_t *s);
/* A device and a fresh server it is enrolled with, in setup `how`, then n final sample records
 * (seed) made on the device as an officer makes them (see fx_add_records_kept); `kept` (may be
 * NULL) gets their answers. 0 on success. */
int fx_world_create(fx_device_t *d, fx_server_t *s, fx_setup_t how, size_t n, uint64_t seed,
                    struct cJSON *kept);
/* n final sample records, each saved as a draft and then finalized (sealed when the store's form
 * is encrypted); `kept` (a cJSON object) gets each record's answers as the device saved them
 * before sealing, under its uuid. 0 on success. */
int fx_add_records_kept(const char *store_path, size_t n, uint64_t seed, struct cJSON *kept);
/* Central reads every record: `syncserver export` (jsonl, with s->seal_key when the form is
 * sealed) has exactly the records in `kept`, each with every answer the device saved. 0 when all
 * holds; else -1 and `why`. */
int fx_verify_export(const fx_server_t *s, const struct cJSON *kept, char *why, size_t len);
const char *fx_setup_name(fx_setup_t how);

/* An integer from the environment, or def. */
long fx_env_long(const char *name, long def);
/* 1 under AddressSanitizer (tests shrink their record counts). */
int fx_sanitized(void);
int64_t fx_now_ms(void);
void fx_sleep_ms(int ms);

/* netproxy on a thread. */
typedef struct fx_proxy {
  netproxy_t *np;
  pthread_t thread;
  char url[64];
} fx_proxy_t;

/* Starts a proxy to 127.0.0.1:upstream_port with `o` (upstream/listen filled in); url is http.
 * 0 on success. */
int fx_proxy_start(fx_proxy_t *p, netproxy_opts_t *o, int upstream_port);
/* fx_proxy_start to server s; url has s's scheme (the proxy passes TLS through untouched). */
int fx_proxy_start_to(fx_proxy_t *p, netproxy_opts_t *o, const fx_server_t *s);
void fx_proxy_stop(fx_proxy_t *p);

/* A device and its server (fx_world_create) with a netproxy between them: the fault and bad-link
 * tests' world. `kept` holds the answers of every record as the device saved them. */
typedef struct fx_linked {
  fx_device_t dev;
  fx_server_t srv;
  fx_proxy_t proxy;
  struct cJSON *kept;
} fx_linked_t;

/* fx_world_create(how, n, seed) then the proxy with `po`; fails the running test on error. */
void fx_linked_open(fx_linked_t *w, fx_setup_t how, size_t n, uint64_t seed, netproxy_opts_t *po);
void fx_linked_close(fx_linked_t *w);
/* Everything the device made is delivered: exactly once on the server, every answer readable by
 * central, nothing pending or failed in the outbox. Fails the running test naming `what`. */
void fx_linked_verify(const fx_linked_t *w, const char *what);

#endif
