/* The world one bench_sync run measures: `syncserver serve` on loopback with a fresh database, a
 * device store enrolled with a one-time code that received the server's form by a first sync, and
 * n reference-form sample records finalized on the device. Two setups: sealed (the deployment:
 * the form published with --seal-to and the README's clear fields, HTTPS with a test CA and key
 * pin) and plain (the form unsealed, http to loopback). Every device store is encrypted with
 * BENCH_PASSPHRASE at the fast test KDF (the figures measure the sync, not the one key derivation
 * per open) and durable (SYNC_DURABILITY_FULL, the default); the server commits each push with
 * synchronous=FULL. Threads: bench_sync's main thread only. */
#ifndef BENCH_WORLD_H
#define BENCH_WORLD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_PASSPHRASE "bench passphrase"

typedef struct world {
  int sealed;
  char dir[PATH_MAX], db[PATH_MAX], store[PATH_MAX];
  char ca[PATH_MAX];  /* "" when plain */
  char pin[128];      /* "" when plain */
  pid_t pid;
  int port;
  char url[64];       /* the server's own address (scheme https when sealed) */
  char device_id[40];
} world_t;

/* The programs the bench runs (set once by main). */
extern char g_syncserver[PATH_MAX];

/* A server and an enrolled device in <work>/<name>, ready to sync (its form received). */
void world_start(world_t *w, const char *work, const char *name, int sealed);
/* Stops the server (the files stay until the work directory is removed). */
void world_stop(world_t *w);
/* Revisions the server stored from this device. */
long long world_server_count(const world_t *w);

/* The records' content: their answers' JSON, one per line. */
typedef struct content {
  char *json;
  size_t len, cap;
} content_t;

/* n final sample records (seed) saved on the device as an officer finalizes them (sealed when the
 * setup seals; checked); their answers are appended to c. */
void world_add_records(world_t *w, size_t n, uint64_t seed, content_t *c);
/* The content compressed with LZ4 HC level 9 in one block (LZ4_compress_HC): what no encoding of
 * these records sends much less of. */
size_t content_lz4hc9(const content_t *c);

#endif
