/* Push (PROTOCOL.md 3 and 7): the outbox goes in batches whose compressed body needs a few seconds
 * of link time at the upload rate measured from the server's answers (engine_link.c); each batch
 * is compressed and measured before it goes (rebuilt when it does not fit), so no compression
 * ratio is assumed. A batch the link cuts in the middle is sent again at once, halved, down to
 * one change, and batches grow again after answers. Each batch is
 * acknowledged in one local transaction only when every receipt echoes what was sent and the
 * server's signature over the receipts verifies (SECURITY.md 7), and a batch the server refuses
 * as a whole is split until the one bad change is found and set aside. A change that carries
 * answers given without consent (SECURITY.md 6) is refused here and never sent. A sealed change
 * is signed with the device's signing key as it goes into a batch (SECURITY.md 4), so whatever
 * is sent — a record re-sealed under the server's form included — carries a signature of exactly
 * what is sent.
 *
 * A response whose signature does not verify acknowledges nothing and stops the run in
 * SYNC_STATE_ERROR with SYNC_ERR_CRYPTO rather than retrying at once: a server that signs wrongly
 * is misconfigured or an impostor, and hammering it helps neither. Nothing is lost: the rows stay
 * pending and the next sync (woken, or at the next interval) sends them again.
 *
 * Pipelining: with the built-in transport, two batches are in flight from the start, on two
 * connections: the next batch goes while the previous one waits for its receipts, so a long round
 * trip (and the download of the receipts) overlaps the next upload instead of adding to it. The
 * first of two launched onto an idle link is half size, so that they land apart. A push may take
 * what its bytes and those of the batch ahead of it need at the measured rate, three times over,
 * plus round trips (engine_link_timeout_ms); it is never ended by a low-speed limit, which cannot
 * see a server still receiving what sits in the socket buffers. A batch never
 * holds a change of a record that the batch in flight also holds, so the server sees every
 * record's revisions in order. Batches complete in order; requests run on short-lived threads and
 * everything touching the store stays on the sync thread. */
#include "device_sig.h"
#include "engine_internal.h"
#include "form_seal.h"
#include "refusal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Above this observed push rate (compressed bytes / request time, server time included) the fast
 * LZ4 level wins over LZ4HC: compressing harder costs more time than the bytes it saves take on
 * the wire. 2G/3G links stay far below it (32-250 KB/s); a LAN or loopback is above it. */
#define FAST_LINK_BYTES_PER_S (1024.0 * 1024)
#define PUSH_HC_LEVEL 9
#define MAX_BAD_ROWS 16
/* A batch is built again when its compressed body misses the budget by this much (over: 1/8;
 * under: half, when the budget and not the outbox ended it), at most FIT_TRIES times. */
#define FIT_TRIES 3
/* Pushes cut by the link in a row that are sent again at once; past this, backoff. */
#define MAX_CUTS_IN_ROW 16

typedef struct batch_row {
  int64_t seq;
  char uuid[PROTO_UUID_LEN + 1];
  int64_t revision;
  char hlc[PROTO_HLC_LEN + 1];
  int64_t payload_len;
} batch_row_t;

typedef struct bad_row {
  int64_t seq;
  char why[512];                /* the refusal as kept (refusal.h) */
} bad_row_t;

typedef struct batch {
  sync_store_t *store;          /* for the forms of the consent check */
  const char *device_id;
  const char *sign_sk;          /* the device's signing secret key while the batch is built;
                                 * NULL: a store enrolled before device signatures */
  proto_push_writer_t *w;
  const char *const *busy;      /* sorted uuids of the batch in flight (NULL: none) */
  size_t n_busy;
  int blocked;                  /* stopped at a record the batch in flight holds */
  int full;                     /* stopped because the next change did not fit the budget */
  char batch_id[PROTO_UUID_LEN + 1];
  size_t json_budget;           /* uncompressed bytes the writer may fill */
  size_t limit;                 /* most changes (poisoned-batch search), 0: none */
  batch_row_t *rows;            /* PROTO_MAX_CHANGES */
  size_t n;
  bad_row_t bad[MAX_BAD_ROWS];  /* rows that can never be sent */
  size_t n_bad;
  sync_err_t err;
  char errmsg[256];
} batch_t;

static void new_uuid(char out[PROTO_UUID_LEN + 1])
{
  unsigned char b[16];
  randombytes_buf(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, PROTO_UUID_LEN + 1,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets a row aside for good with its refusal (refusal.h); returns 1 when the list is full, which
 * stops the scan. */
static int set_aside(batch_t *b, int64_t seq, const char *code, const char *message,
                     const char *field, const char *issue)
{
  bad_row_t *bad = &b->bad[b->n_bad++];
  bad->seq = seq;
  char *json = refusal_make(code, message, field, issue);
  snprintf(bad->why, sizeof bad->why, "%s", json ? json : code);
  free(json);
  return b->n_bad == MAX_BAD_ROWS;
}

/* SYNC_OK when the change respects its form's consent rule; SYNC_ERR_VALIDATION with the first
 * field answered without consent in `field`; another error when the form cannot be read. */
static sync_err_t check_consent(batch_t *b, const proto_change_t *c, size_t len, char *field,
                                size_t flen)
{
  if (c->op != PROTO_OP_UPSERT)
    return SYNC_OK;
  const form_t *f = NULL;
  int resolved = 0;
  sync_err_t err = store_form_get(b->store, c->form_id, c->form_version, &f, &resolved);
  if (err)
    return err;
  return form_check_consent(f, c->payload, len, field, flen);
}

static int add_row(void *ctx, const outbox_row_t *row)
{
  batch_t *b = ctx;
  if (b->limit && b->n >= b->limit)
    return -1;
  const char *key = row->change.uuid;
  if (b->busy && bsearch(&key, b->busy, b->n_busy, sizeof *b->busy, cmp_str)) {
    b->blocked = 1;
    return -1;
  }
  char why[160];
  sync_err_t rc = check_consent(b, &row->change, row->payload_len, why, sizeof why);
  if (rc == SYNC_ERR_VALIDATION)
    return set_aside(b, row->seq, "consent", "answered without consent; not sent", why, "consent");
  if (rc != SYNC_OK) {
    b->err = rc;
    snprintf(b->errmsg, sizeof b->errmsg, "cannot check consent: %s", sync_store_errmsg(b->store));
    return 1;
  }
  proto_change_t signed_change = row->change;
  if (b->sign_sk && signed_change.sealed && signed_change.op == PROTO_OP_UPSERT &&
      (rc = devsig_sign(b->sign_sk, b->device_id, &row->change, signed_change.device_sig))) {
    if (rc == SYNC_ERR_INVALID_ARG)
      return set_aside(b, row->seq, "not_sendable", "cannot be signed", NULL, NULL);
    b->err = rc;
    snprintf(b->errmsg, sizeof b->errmsg, "cannot sign a sealed change: the stored signing key"
             " is unusable; enrol again");
    return 1;
  }
  rc = proto_push_writer_add(b->w, &signed_change, b->json_budget, why, sizeof why);
  if (rc == SYNC_ERR_TOO_LARGE) {
    b->full = 1;
    return -1; /* batch full: this row opens the next one */
  }
  if (rc == SYNC_ERR_INVALID_ARG)
    return set_aside(b, row->seq, "not_sendable", why, NULL, NULL);
  if (rc != SYNC_OK) {
    b->err = rc;
    snprintf(b->errmsg, sizeof b->errmsg, "cannot encode the push: %s", why);
    return 1;
  }
  batch_row_t *r = &b->rows[b->n++];
  r->seq = row->seq;
  memcpy(r->uuid, row->change.uuid, sizeof r->uuid);
  r->revision = row->change.revision;
  memcpy(r->hlc, row->change.hlc, sizeof r->hlc);
  r->payload_len = (int64_t)row->payload_len;
  return 0;
}

/* Fills a batch from the pending outbox rows after `after`, up to b->json_budget. */
static sync_err_t build_batch(sync_engine_t *e, batch_t *b, int64_t after, engine_fail_t *fail)
{
  new_uuid(b->batch_id);
  b->store = e->store;
  sync_err_t err = proto_push_writer_new(e->device_id, b->batch_id, &b->w);
  if (err)
    return engine_fail_set(fail, err, 0, "cannot start a push batch: %s", sync_strerror(err));
  b->limit = e->run.split_limit;
  b->device_id = e->device_id;
  char sk[DEVSIG_SK_B64_LEN + 2];
  err = store_state_get_secret(e->store, STATE_SIGNING_KEY, sk, sizeof sk);
  if (err != SYNC_OK && err != SYNC_ERR_NOT_FOUND) {
    sodium_memzero(sk, sizeof sk);
    return engine_fail_store(e, fail, err);
  }
  b->sign_sk = err == SYNC_OK && sk[0] ? sk : NULL;
  err = store_outbox_scan(e->ss, after, add_row, b);
  b->sign_sk = NULL;
  sodium_memzero(sk, sizeof sk);
  if (err != SYNC_OK)
    return engine_fail_store(e, fail, err);
  if (b->err)
    return engine_fail_set(fail, b->err, 0, "%s", b->errmsg);
  return SYNC_OK;
}

/* Marks rows failed in one transaction; counts them in the run. */
static sync_err_t fail_rows(sync_engine_t *e, const int64_t *seqs, const char *const *why, size_t n,
                            engine_fail_t *fail)
{
  sync_err_t err = store_sync_begin(e->ss);
  for (size_t i = 0; err == SYNC_OK && i < n; i++)
    err = store_outbox_fail(e->ss, seqs[i], why[i]);
  if (err == SYNC_OK)
    err = store_sync_commit(e->ss);
  else
    store_sync_rollback(e->ss);
  if (err)
    return engine_fail_store(e, fail, err);
  e->run.failed += (int64_t)n;
  return SYNC_OK;
}

static sync_err_t fail_bad_rows(sync_engine_t *e, const batch_t *b, engine_fail_t *fail)
{
  int64_t seqs[MAX_BAD_ROWS];
  const char *why[MAX_BAD_ROWS];
  for (size_t i = 0; i < b->n_bad; i++) {
    seqs[i] = b->bad[i].seq;
    why[i] = b->bad[i].why;
  }
  return fail_rows(e, seqs, why, b->n_bad, fail);
}

/* After rows up to `seq` are settled: leave the poisoned-batch search once past the bad batch. */
static void settled_through(sync_engine_t *e, int64_t seq)
{
  if (seq > e->run.after_seq)
    e->run.after_seq = seq;
  if (e->run.split_limit && e->run.after_seq >= e->run.split_end_seq) {
    e->run.split_limit = 0;
    e->run.split_end_seq = 0;
  }
}

/* Every receipt must echo the change sent at its place. */
static int receipts_match(const batch_t *b, const proto_push_resp_t *resp, char *why, size_t len)
{
  if (strcmp(resp->batch_id, b->batch_id) != 0) {
    snprintf(why, len, "the response is for batch %s, not %s", resp->batch_id, b->batch_id);
    return 0;
  }
  if (resp->n_receipts != b->n) {
    snprintf(why, len, "%zu receipts for %zu changes", resp->n_receipts, b->n);
    return 0;
  }
  for (size_t i = 0; i < b->n; i++) {
    const proto_receipt_t *r = &resp->receipts[i];
    if (strcmp(r->uuid, b->rows[i].uuid) != 0 || r->revision != b->rows[i].revision) {
      snprintf(why, len, "receipt %zu is for %s revision %lld, %s revision %lld was sent", i,
               r->uuid, (long long)r->revision, b->rows[i].uuid, (long long)b->rows[i].revision);
      return 0;
    }
  }
  return 1;
}

/* Checks the response signature over the receipts (SECURITY.md 7) with the hlc of each change
 * sent; *proofs as engine_receipt_proofs. */
static sync_err_t prove_receipts(const sync_engine_t *e, const batch_t *b,
                                 const proto_push_resp_t *resp, char ***proofs)
{
  const char **hlcs = malloc((b->n ? b->n : 1) * sizeof *hlcs);
  if (!hlcs)
    return SYNC_ERR_NOMEM;
  for (size_t i = 0; i < b->n; i++)
    hlcs[i] = b->rows[i].hlc;
  sync_err_t err = engine_receipt_proofs(e, resp, hlcs, proofs);
  free(hlcs);
  return err;
}

/* Applies a verified response in one transaction: acknowledgements, failed rows, conflicts,
 * merged revisions, then the revisions kept aside. */
static sync_err_t apply_receipts(sync_engine_t *e, const batch_t *b, const proto_push_resp_t *resp,
                                 char *const *proofs, engine_fail_t *fail)
{
  int64_t now = store_now_ms(), done = 0, bytes = 0, failed = 0, conflicts = 0, pulled = 0;
  sync_err_t err = store_sync_begin(e->ss);
  for (size_t i = 0; err == SYNC_OK && i < b->n; i++) {
    const proto_receipt_t *r = &resp->receipts[i];
    if (r->outcome == PROTO_OUTCOME_REJECTED) {
      /* the codec guarantees r->error on a rejected receipt */
      char *why = refusal_from_error(r->error);
      if (!why)
        err = SYNC_ERR_NOMEM;
      else if (r->error->retryable)
        err = store_outbox_note_row(e->ss, b->rows[i].seq, why);
      else if ((err = store_outbox_fail(e->ss, b->rows[i].seq, why)) == SYNC_OK)
        failed++;
      free(why);
      continue;
    }
    err = store_outbox_ack(e->ss, b->rows[i].seq, r->server_seq, r->received_at, proofs[i], now);
    done++;
    bytes += b->rows[i].payload_len;
  }
  /* Merges after every acknowledgement: rows acknowledged by this response count as sent. */
  for (size_t i = 0; err == SYNC_OK && i < b->n; i++) {
    const proto_receipt_t *r = &resp->receipts[i];
    if (!r->merged)
      continue;
    int64_t added = 0;
    apply_result_t res;
    err = store_apply_conflict(e->ss, r, b->rows[i].hlc, &added, &res);
    conflicts += added;
    pulled += res == APPLY_HEAD;
  }
  int64_t applied = 0;
  if (err == SYNC_OK)
    err = store_apply_recheck_aside(e->ss, &applied);
  if (err == SYNC_OK)
    err = store_sync_commit(e->ss);
  else
    store_sync_rollback(e->ss);
  if (err)
    return engine_fail_store(e, fail, err);
  sync_progress_t *p = &e->run.progress;
  p->records_done += done;
  p->bytes_done += bytes;
  p->conflicts += conflicts;
  p->pulled += pulled + applied;
  e->run.failed += failed;
  return SYNC_OK;
}

typedef enum send_result { SENT, RESEND, STOP } send_result_t;

/* A batch refused as a whole with a status that splitting can explain. */
static int poisoned(const engine_fail_t *f)
{
  return f->http_status == 400 &&
         (f->code == PROTO_E_BAD_REQUEST || f->code == PROTO_E_MALFORMED_JSON);
}

/* One batch on its way: its rows, its compressed body, its request. */
typedef struct flight {
  sync_engine_t *e;
  batch_t b;
  const char **uuids;           /* the batch's uuids, sorted: what the next batch must avoid */
  char *z;
  size_t zlen;
  double ratio;
  int64_t t0;
  int alone;                    /* nothing else was in flight at its launch */
  const sync_transport_t *t;
  engine_call_t call;
  pthread_t thread;
  int active;
  int threaded;
} flight_t;

static void *flight_main(void *arg)
{
  flight_t *f = arg;
  engine_call_perform(f->e, f->t, &f->call);
  return NULL;
}

/* Finishes and compresses the batch into f->z; measures its ratio. */
static sync_err_t compress_batch(sync_engine_t *e, flight_t *f, engine_fail_t *fail)
{
  char *json = NULL;
  size_t jlen = 0;
  sync_err_t err = proto_push_writer_finish(f->b.w, &json, &jlen);
  if (err)
    return engine_fail_set(fail, err, 0, "cannot finish the push batch: %s", sync_strerror(err));
  int fast = e->link.bps >= FAST_LINK_BYTES_PER_S;
  err = codec_lz4_compress(json, jlen, fast ? 0 : PUSH_HC_LEVEL, &f->z, &f->zlen);
  free(json);
  if (err)
    return engine_fail_set(fail, err, 0, "cannot compress the push batch: %s", sync_strerror(err));
  f->ratio = jlen ? (double)f->zlen / (double)jlen : ENGINE_INITIAL_RATIO;
  return SYNC_OK;
}

/* JSON bytes the writer may fill for `budget` compressed bytes at `ratio`. */
static size_t json_budget(size_t budget, double ratio)
{
  double r = ratio < 0.02 ? 0.02 : ratio > 1.5 ? 1.5 : ratio;
  double j = (double)budget / r;
  return j >= (double)PROTO_MAX_BODY ? PROTO_MAX_BODY : j < 1 ? 1 : (size_t)j;
}

/* Builds and compresses the next batch after `after` (avoiding the records of `other`, the batch
 * in flight, when not NULL) so that its compressed body fits `budget`: the ratio is measured on
 * the batch itself, which is built again with it when the body misses. Rows that can never be
 * sent are set aside on the way. b->n == 0: nothing to send now (f->z stays NULL). */
static sync_err_t fill(sync_engine_t *e, flight_t *f, const flight_t *other, int64_t after,
                       size_t budget, engine_fail_t *fail)
{
  batch_t *b = &f->b;
  double ratio = e->ratio;
  for (int tries = 1;; tries++) {
    proto_push_writer_free(b->w);
    b->w = NULL;
    free(f->z);
    f->z = NULL;
    b->n = b->n_bad = 0;
    b->err = SYNC_OK;
    b->blocked = b->full = 0;
    b->busy = other ? other->uuids : NULL;
    b->n_busy = other ? other->b.n : 0;
    b->json_budget = json_budget(budget, ratio);
    sync_err_t err = build_batch(e, b, after, fail);
    if (err == SYNC_OK && b->n_bad)
      err = fail_bad_rows(e, b, fail);
    if (err != SYNC_OK || b->n == 0 || (err = compress_batch(e, f, fail)) != SYNC_OK)
      return err;
    e->ratio = ratio = f->ratio;
    int over = f->zlen > budget + budget / 8 && b->n > 1;
    int under = b->full && f->zlen < budget / 2 && b->n < PROTO_MAX_CHANGES;
    if ((!over && !under) || tries == FIT_TRIES)
      return SYNC_OK;
    if (over)
      ratio *= 1.05; /* aim a little under: the next body lands inside the slack */
  }
}

/* Sends the compressed batch (on a thread when possible); `ahead`: body bytes of the batch in
 * flight before it, which share the link. */
static void launch(sync_engine_t *e, flight_t *f, const sync_transport_t *t, int alone,
                   size_t ahead)
{
  batch_t *b = &f->b;
  for (size_t i = 0; i < b->n; i++)
    f->uuids[i] = b->rows[i].uuid;
  qsort(f->uuids, b->n, sizeof *f->uuids, cmp_str);
  memset(&f->call, 0, sizeof f->call);
  f->call.method = "POST";
  snprintf(f->call.path, sizeof f->call.path, "%s", PROTO_PATH_PUSH);
  f->call.body = f->z;
  f->call.len = f->zlen;
  f->call.lz4 = 1;
  f->call.timeout_ms = engine_link_timeout_ms(e, f->zlen + ahead);
  f->e = e;
  f->t = t;
  f->alone = alone;
  f->t0 = engine_mono_ms();
  f->active = 1;
  f->threaded = pthread_create(&f->thread, NULL, flight_main, f) == 0;
  if (!f->threaded)
    engine_call_perform(e, t, &f->call);
}

/* A push that got no response. Cut by the link in the middle of its upload (the built-in transport
 * saw some of the body leave and no answer begin, or it timed out): sent again at once, smaller
 * (engine_link_lost caps the next batches at half of it), while there is something to halve or
 * the cuts in a row are few; RESEND. The server could not be reached (nothing left) or its answer
 * broke off (the upload was whole): STOP, and backoff. With a custom transport, which cannot say,
 * the next batches are halved and it is STOP. */
static send_result_t lost(sync_engine_t *e, const flight_t *f, int64_t t1, engine_fail_t *fail)
{
  const engine_call_t *c = &f->call;
  int known = c->body_sent >= 0;
  int cut = c->timed_out || (c->body_sent > 0 && !c->answer_started);
  engine_link_lost(e, t1, f->zlen, cut || !known, c->timed_out);
  if (cut && ++e->run.cuts_in_row <= MAX_CUTS_IN_ROW && (f->b.n > 1 || e->run.cuts_in_row <= 3))
    return RESEND;
  (void)store_outbox_note_failure(e->ss, f->b.rows[0].seq, f->b.rows[f->b.n - 1].seq,
                                  fail->detail);
  return STOP;
}

/* Waits for the batch's answer and settles its rows. `in_order`: every earlier batch was
 * settled, so the run may move past these rows. RESEND: go on at once (after a split or a
 * smaller batch); STOP: *fail says why. */
static send_result_t land(sync_engine_t *e, flight_t *f, int in_order, engine_fail_t *fail)
{
  batch_t *b = &f->b;
  if (f->threaded)
    pthread_join(f->thread, NULL);
  f->active = 0;
  int64_t t1 = engine_mono_ms();
  engine_reply_t reply;
  sync_err_t err = engine_call_finish(e, &f->call, &reply, fail);
  free(f->z);
  f->z = NULL;
  int64_t first = b->rows[0].seq, last = b->rows[b->n - 1].seq;

  if (err != SYNC_OK) {
    if (err == SYNC_ERR_CANCELLED)
      return STOP;
    if (err == SYNC_ERR_NETWORK && fail->http_status == 0)
      return lost(e, f, t1, fail);
    engine_link_lost(e, t1, f->zlen, 0, 0);
    int too_large = fail->http_status == 413;
    if ((too_large || poisoned(fail)) && b->n == 1) {
      /* One change the server will never take as it is: set it aside, go on. */
      char *json = refusal_make(too_large ? "too_large" : "not_sendable", fail->detail, NULL, NULL);
      const char *why = json ? json : fail->detail;
      engine_fail_t f2;
      sync_err_t ferr = fail_rows(e, &first, &why, 1, &f2);
      free(json);
      if (ferr != SYNC_OK) {
        *fail = f2;
        return STOP;
      }
      if (in_order)
        settled_through(e, first);
      /* The culprit is found: back to full batches (another one would be split again). */
      e->run.split_limit = 0;
      e->run.split_end_seq = 0;
      return RESEND;
    }
    if (too_large) {
      engine_link_lost(e, t1, f->zlen, 1, 0); /* halve and send again at once */
      return RESEND;
    }
    if (poisoned(fail)) {
      /* Split the batch in halves until the culprit stands alone. */
      e->run.split_limit = b->n / 2;
      if (last > e->run.split_end_seq)
        e->run.split_end_seq = last;
      return RESEND;
    }
    (void)store_outbox_note_failure(e->ss, first, last, fail->detail);
    return STOP;
  }
  /* Answered: the link carried the whole body, whatever the answer says. */
  engine_link_landed(e, f->t0, t1, f->call.setup_ms, f->alone, f->zlen);
  e->run.cuts_in_row = 0;

  proto_push_resp_t *resp = NULL;
  proto_diag_t diag;
  char why[300];
  err = proto_push_resp_decode(reply.body, reply.len, &resp, &diag);
  engine_reply_free(&reply);
  if (err != SYNC_OK || !receipts_match(b, resp, why, sizeof why)) {
    if (err != SYNC_OK)
      snprintf(why, sizeof why, "%s", diag.msg);
    engine_fail_set(fail, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_PROTOCOL, err != SYNC_ERR_NOMEM,
                    "push response not accepted, nothing acknowledged: %s", why);
    proto_push_resp_free(resp);
    (void)store_outbox_note_failure(e->ss, first, last, fail->detail);
    return STOP;
  }
  char **proofs = NULL;
  err = prove_receipts(e, b, resp, &proofs);
  if (err != SYNC_OK) {
    if (err == SYNC_ERR_CRYPTO)
      engine_fail_set(fail, err, 0, "the server's signature over the receipts of batch %s does "
                      "not verify: nothing acknowledged", b->batch_id);
    else
      engine_fail_set(fail, err, 1, "out of memory checking the receipts: nothing acknowledged");
    proto_push_resp_free(resp);
    (void)store_outbox_note_failure(e->ss, first, last, fail->detail);
    return STOP;
  }
  err = apply_receipts(e, b, resp, proofs, fail);
  engine_proofs_free(proofs, resp->n_receipts);
  proto_push_resp_free(resp);
  if (err)
    return STOP;
  if (in_order)
    settled_through(e, last);
  e->failures = 0;
  return SENT;
}

/* Totals that stay truthful while the officer keeps saving: what waited at the start plus every
 * row added since. */
static sync_err_t refresh_totals(sync_engine_t *e, engine_fail_t *fail)
{
  int64_t added = 0, added_bytes = 0;
  sync_err_t err = store_outbox_added_since(e->ss, e->run.start_seq, &added, &added_bytes);
  if (err)
    return engine_fail_store(e, fail, err);
  e->run.progress.records_total = e->run.pending0 + added;
  e->run.progress.bytes_total = e->run.bytes0 + added_bytes;
  return SYNC_OK;
}

sync_err_t engine_push(sync_engine_t *e, engine_fail_t *fail)
{
  flight_t fl[2];
  memset(fl, 0, sizeof fl);
  for (int i = 0; i < 2; i++) {
    fl[i].b.rows = malloc(PROTO_MAX_CHANGES * sizeof *fl[i].b.rows);
    fl[i].uuids = malloc(PROTO_MAX_CHANGES * sizeof *fl[i].uuids);
    if (!fl[i].b.rows || !fl[i].uuids) {
      for (int j = 0; j <= i; j++) {
        free(fl[j].b.rows);
        free(fl[j].uuids);
      }
      return engine_fail_set(fail, SYNC_ERR_NOMEM, 0, "out of memory");
    }
  }
  int can_pipeline = e->transport2.perform != NULL;
  int head = 0, n_active = 0, stopping = 0, rescan = 0, hole = 0, more = 1;
  int announced = 0;
  int64_t sent_seq = e->run.after_seq;   /* rows up to here are in flight or settled */
  sync_err_t err = SYNC_OK;
  engine_fail_t ff;

  for (;;) {
    /* Send while there is room: two batches, one while searching for a bad change. */
    int depth = can_pipeline && !e->run.split_limit ? 2 : 1;
    while (!stopping && !rescan && more && n_active < depth) {
      if (engine_cancelled(e)) {
        err = engine_fail_set(fail, SYNC_ERR_CANCELLED, 0, "cancelled");
        stopping = 1;
        break;
      }
      flight_t *f = &fl[(head + n_active) % 2];
      const flight_t *other = n_active ? &fl[head] : NULL;
      batch_t *b = &f->b;
      size_t budget = engine_link_batch_bytes(e, !other && depth == 2);
      if ((err = refresh_totals(e, fail)) != SYNC_OK ||
          (err = fill(e, f, other, sent_seq, budget, fail)) != SYNC_OK) {
        stopping = 1;
        break;
      }
      if (b->n == 0) {
        if (b->n_bad)
          continue;
        more = 0;   /* nothing (or nothing sendable before the batch in flight lands) */
        break;
      }
      if (!announced) {
        char msg[256];
        engine_message(e, MSG_PUSHING, 0, msg, sizeof msg);
        engine_progress(e, 0);
        engine_set_state(e, SYNC_STATE_PUSHING, SYNC_OK, msg);
        announced = 1;
      }
      const sync_transport_t *t = other && other->t == &e->transport ? &e->transport2 : &e->transport;
      launch(e, f, t, !other, other ? other->zlen : 0);
      sent_seq = b->rows[b->n - 1].seq;
      n_active++;
    }
    if (n_active == 0)
      break;

    /* The oldest batch lands. */
    flight_t *f = &fl[head];
    send_result_t r = land(e, f, !hole, &ff);
    head = (head + 1) % 2;
    n_active--;
    more = 1;
    engine_progress(e, 0);
    if (r == RESEND) {
      hole = 1;
      rescan = 1;
    } else if (r == STOP && !stopping) {
      stopping = 1;
      *fail = ff;
      err = ff.err;
      hole = 1;
    }
    if (n_active == 0 && rescan) {
      /* Every batch has landed: send again from the first unsettled row. */
      rescan = 0;
      hole = 0;
      sent_seq = e->run.after_seq;
    }
  }
  for (int i = 0; i < 2; i++) {
    proto_push_writer_free(fl[i].b.w);
    free(fl[i].b.rows);
    free(fl[i].uuids);
    free(fl[i].z);
  }
  return err;
}
