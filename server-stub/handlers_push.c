/* POST /v1/push (PROTOCOL.md 3): whole-batch checks, per-change form checks (before the
 * transaction, they need no lock), then the batch in one transaction, then the receipts. */
#include "srv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "form_seal.h"
#include "log.h"
#include "receipt_leaves.h"

static double elapsed_ms(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static proto_error_t *unknown_form(const proto_change_t *ch)
{
  char id[200], en[200];
  snprintf(id, sizeof id, "Server tidak mengenal formulir %s versi %d.", ch->form_id,
           ch->form_version);
  snprintf(en, sizeof en, "The server does not know form %s version %d.", ch->form_id,
           ch->form_version);
  return err_new(PROTO_E_UNKNOWN_FORM, id, en);
}

static proto_error_t *invalid_change(const proto_change_t *ch, const issue_list_t *issues)
{
  char id[256], en[256];
  snprintf(id, sizeof id, "Jawaban tidak sesuai dengan formulir %s v%d: %zu isian bermasalah.",
           ch->form_id, ch->form_version, issues->count);
  snprintf(en, sizeof en, "Answers do not fit form %s v%d: %zu field%s failed.", ch->form_id,
           ch->form_version, issues->count, issues->count == 1 ? "" : "s");
  proto_error_t *e = err_new(PROTO_E_INVALID_CHANGE, id, en);
  for (size_t i = 0; e && i < issues->count; i++) {
    if (err_add_issue(e, issues->items[i].field, issues->items[i].code) != 0) {
      err_free(e);
      return NULL;
    }
  }
  return e;
}

/* The security rules of a change (SECURITY.md 4, 6): an upsert of an encrypted form carries
 * `sealed` and only clear answers; every upsert respects consent. Appends issues. */
static int security_issues(const form_t *f, const proto_change_t *ch, issue_list_t *issues)
{
  char field[PROTO_FIELD_MAX + 1] = "";
  size_t len = strlen(ch->payload);
  if (form_is_encrypted(f)) {
    if (!ch->sealed && issue_list_add(issues, "sealed", "sealed_required", "") != 0)
      return -1;
    if (form_check_clear(f, ch->payload, len, field, sizeof field) == SYNC_ERR_VALIDATION &&
        issue_list_add(issues, field, "not_clear", "") != 0)
      return -1;
  }
  field[0] = '\0';
  if (form_check_consent(f, ch->payload, len, field, sizeof field) == SYNC_ERR_VALIDATION &&
      issue_list_add(issues, field, "consent", "") != 0)
    return -1;
  return 0;
}

/* Per-change form checks: unknown form version, every clear value (VALIDATE_VALUES: types,
 * choices, dates, constraints and calculated values the server can judge; SECURITY.md "Exports
 * and clear values"), the security rules. Returns SYNC_OK with prechecks filled (NULL = passes),
 * or a storage error. */
static sync_err_t precheck(srv_t *s, db_conn_t *c, const proto_push_req_t *req,
                           proto_error_t **pre)
{
  issue_list_t issues = {0};
  for (size_t i = 0; i < req->n_changes; i++) {
    const proto_change_t *ch = &req->changes[i];
    const form_t *f;
    sync_err_t e = forms_lookup(s, c, ch->form_id, ch->form_version, &f);
    if (e == SYNC_ERR_NOT_FOUND) {
      if (!(pre[i] = unknown_form(ch)))
        return SYNC_ERR_NOMEM;
      continue;
    }
    if (e != SYNC_OK)
      return e;
    if (ch->op == PROTO_OP_DELETE)
      continue;
    issue_list_clear(&issues);
    e = form_validate(f, ch->payload, strlen(ch->payload), VALIDATE_VALUES, "en", forms_today(),
                      NULL, &issues);
    if (e == SYNC_OK || e == SYNC_ERR_VALIDATION) {
      size_t before = issues.count;
      if (security_issues(f, ch, &issues) != 0) {
        issue_list_clear(&issues);
        return SYNC_ERR_NOMEM;
      }
      if (issues.count > before)
        e = SYNC_ERR_VALIDATION;
    }
    if (e == SYNC_ERR_VALIDATION || e == SYNC_ERR_JSON) {
      pre[i] = invalid_change(ch, &issues);
      if (!pre[i]) {
        issue_list_clear(&issues);
        return SYNC_ERR_NOMEM;
      }
    } else if (e != SYNC_OK) {
      issue_list_clear(&issues);
      return e;
    }
  }
  issue_list_clear(&issues);
  return SYNC_OK;
}

sync_err_t receipts_sign(const srv_t *s, const char *device_id, const proto_receipt_t *receipts,
                         const proto_change_t *changes, size_t n,
                         char sig_b64[PROTO_SIG_B64_LEN + 1])
{
  sig_b64[0] = '\0';
  receipt_hash_t *leaves = malloc(RECEIPT_LEAVES_MAX(n ? n : 1) * sizeof *leaves);
  const char **hlcs = malloc((n ? n : 1) * sizeof *hlcs);
  sync_err_t e = leaves && hlcs ? SYNC_OK : SYNC_ERR_NOMEM;
  for (size_t i = 0; e == SYNC_OK && i < n; i++)
    hlcs[i] = changes[i].hlc;
  size_t count = 0;
  receipt_hash_t root;
  if (e == SYNC_OK)
    e = receipt_leaves_of_response(s->server_id, device_id, receipts, n, hlcs, leaves, &count, NULL);
  if (e == SYNC_OK && (e = receipt_tree_root(leaves, count, root)) == SYNC_OK)
    e = receipt_sign_root(s->server_id, device_id, count, root, s->keys.receipt_sk, sig_b64);
  free(hlcs);
  free(leaves);
  return e;
}

void handle_push(srv_t *s, const char *json, size_t len, srv_call_t *call, srv_response_t *r)
{
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  proto_push_req_t *req = NULL;
  proto_diag_t diag;
  memset(&diag, 0, sizeof diag);
  sync_err_t e = proto_push_req_decode(json, len, &req, &diag);
  double t_decode = elapsed_ms(&t0), t_check = 0, t_db = 0;
  if (e != SYNC_OK) {
    resp_decode_error(r, e, &diag);
    return;
  }
  if (strcmp(req->device_id, call->device.device_id) != 0) {
    resp_error(r, PROTO_E_FORBIDDEN, "device_id tidak sama dengan kredensial perangkat.",
               "device_id does not match the device credential.");
    proto_push_req_free(req);
    return;
  }

  size_t n = req->n_changes;
  proto_error_t **pre = calloc(n ? n : 1, sizeof *pre);
  proto_receipt_t *receipts = calloc(n ? n : 1, sizeof *receipts);
  db_conn_t *c = NULL;
  if (!pre || !receipts) {
    resp_error(r, PROTO_E_SERVER_BUSY, NULL, NULL);
    goto done;
  }
  if (!(c = db_pool_acquire(s->pool))) {
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    goto done;
  }
  if ((e = precheck(s, c, req, pre)) != SYNC_OK) {
    resp_db_error(r, e, "form check");
    goto done;
  }
  t_check = elapsed_ms(&t0);
  forms_vctx_t vctx = {s, c};
  db_push_stats_t stats;
  if ((e = db_push(c, call->device.device_id, req, pre, forms_validate, &vctx, receipts,
                   &stats)) != SYNC_OK) {
    resp_db_error(r, e, db_errmsg(c));
    goto done;
  }
  db_pool_release(s->pool, c);
  c = NULL;
  t_db = elapsed_ms(&t0);

  proto_push_resp_t resp;
  memset(&resp, 0, sizeof resp);
  resp.protocol = PROTO_VERSION;
  snprintf(resp.batch_id, sizeof resp.batch_id, "%s", req->batch_id);
  resp.server_time = db_now_ms();
  resp.receipts = receipts;
  resp.n_receipts = n;
  char *out = NULL;
  size_t out_len = 0;
  e = receipts_sign(s, call->device.device_id, receipts, req->changes, n, resp.signature);
  if (e != SYNC_OK || proto_push_resp_encode(&resp, &out, &out_len) != SYNC_OK) {
    /* Stored and committed, but unsayable: the client re-sends and gets duplicates. */
    resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
    snprintf(r->detail, sizeof r->detail, "push response encoding failed");
  } else {
    resp_json(r, 200, out, out_len);
  }
  log_event(LOG_INFO, "push", "device=%s batch=%s changes=%zu stored=%d duplicate=%d"
            " conflict=%d rejected=%d decode_ms=%.1f check_ms=%.1f db_ms=%.1f ms=%.1f",
            call->device.device_id, req->batch_id, n, stats.stored, stats.duplicate,
            stats.conflict, stats.rejected, t_decode, t_check - t_decode, t_db - t_check,
            elapsed_ms(&t0));
done:
  if (c)
    db_pool_release(s->pool, c);
  if (receipts)
    db_receipts_free(receipts, n);
  free(receipts);
  for (size_t i = 0; pre && i < n; i++)
    err_free(pre[i]);
  free(pre);
  proto_push_req_free(req);
}
