/* Reference-form test helpers (tppo_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tppo_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "form_def.h"
#include "form_seal.h"
#include "sample.h"
#include "test_support.h"


int tppo_publish(const server_t *s, const char *relpath)
{
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", SYNC_SOURCE_DIR, relpath);
  return run_syncserver(NULL, "form", "publish", "--db", s->db, path, NULL);
}

int tppo_prepare(server_t *s)
{
  memset(s, 0, sizeof *s);
  s->dir = ts_tempdir();
  if (!s->dir)
    return -1;
  s->db = ts_path(s->dir, "server.db");
  s->log = ts_path(s->dir, "server.log");
  if (run_syncserver(NULL, "init", "--db", s->db, NULL) != 0)
    return -1;
  return tppo_publish(s, TPPO_V1);
}

/* ---- payloads ----------------------------------------------------------------------------- */

struct tppo_gen {
  sample_gen_t *sample;
  form_t *form;
  int version;
  size_t index;
};

static int32_t days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

tppo_gen_t *tppo_gen_new(unsigned long long seed, int version)
{
  tppo_gen_t *g = calloc(1, sizeof *g);
  char *v1 = ts_source_file(TPPO_V1, NULL);
  char *def = ts_source_file(version == 2 ? TPPO_V2 : TPPO_V1, NULL);
  char err[256];
  sync_err_t e;
  if (!g || !v1 || !def ||
      !(g->sample = sample_gen_new(v1, strlen(v1), seed, err, sizeof err)) ||
      !(g->form = form_parse(def, strlen(def), &e, err, sizeof err))) {
    fprintf(stderr, "tppo_gen_new: %s\n", err);
    tppo_gen_free(g);
    g = NULL;
  }
  if (g)
    g->version = version;
  free(v1);
  free(def);
  return g;
}

void tppo_gen_free(tppo_gen_t *g)
{
  if (!g)
    return;
  sample_gen_free(g->sample);
  form_free(g->form);
  free(g);
}

char *tppo_gen_next(tppo_gen_t *g, tppo_edit_fn edit, void *ctx)
{
  char *raw = sample_gen_next(g->sample);
  cJSON *doc = raw ? cJSON_Parse(raw) : NULL;
  free(raw);
  if (!doc)
    return NULL;
  const cJSON *consent = cJSON_GetObjectItemCaseSensitive(doc, "consent");
  if (g->version == 2 && cJSON_IsString(consent) && strcmp(consent->valuestring, "yes") == 0) {
    static const char *const picks[][3] = {{"facebook", "whatsapp", NULL}, {"tiktok", NULL, NULL},
                                           {"none", NULL, NULL}, {"telegram", "job_site", NULL},
                                           {"instagram", NULL, NULL}};
    const char *const *p = picks[g->index % 5];
    cJSON *arr = cJSON_AddArrayToObject(doc, "recruitment_platform");
    for (int i = 0; i < 3 && p[i]; i++)
      cJSON_AddItemToArray(arr, cJSON_CreateString(p[i]));
  }
  if (edit)
    edit(ctx, doc, g->index);
  g->index++;
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  char *canonical = NULL;
  issue_list_t issues = {0};
  sync_err_t e = form_validate(g->form, text, strlen(text), VALIDATE_FINAL, "en",
                               days_from_civil(2026, 11, 1), &canonical, &issues);
  if (e != SYNC_OK) {
    fprintf(stderr, "tppo_gen_next: payload does not validate (%s):", sync_strerror(e));
    for (size_t i = 0; i < issues.count; i++)
      fprintf(stderr, " %s/%s", issues.items[i].field, issues.items[i].code);
    fprintf(stderr, "\n");
    free(canonical);
    canonical = NULL;
  }
  issue_list_clear(&issues);
  free(text);
  return canonical;
}

/* ---- push / pull -------------------------------------------------------------------------- */

static int push_batch(const server_t *s, const device_t *dev, proto_change_t *ch, size_t n)
{
  proto_push_writer_t *w = NULL;
  char batch[40], err[256];
  make_uuid(batch);
  if (proto_push_writer_new(dev->id, batch, &w) != SYNC_OK)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (proto_push_writer_add(w, &ch[i], 0, err, sizeof err) != SYNC_OK) {
      fprintf(stderr, "push writer: %s\n", err);
      proto_push_writer_free(w);
      return -1;
    }
  }
  char *json = NULL;
  size_t len = 0;
  sync_err_t e = proto_push_writer_finish(w, &json, &len);
  proto_push_writer_free(w);
  if (e != SYNC_OK)
    return -1;
  reply_t r;
  int rc = http_call(s, "POST", "/v1/push", dev, NULL, json, len, REQ_LZ4 | REQ_ACCEPT_LZ4, &r);
  free(json);
  if (rc != 0 || r.status != 200) {
    fprintf(stderr, "push: HTTP %ld %s\n", r.status, r.body ? r.body : "");
    reply_free(&r);
    return -1;
  }
  proto_push_resp_t *resp = NULL;
  proto_diag_t diag;
  rc = proto_push_resp_decode(r.body, r.len, &resp, &diag) == SYNC_OK ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < resp->n_receipts; i++)
    if (resp->receipts[i].outcome != PROTO_OUTCOME_STORED) {
      fprintf(stderr, "push: change %zu not stored: %s\n", i, r.body);
      rc = -1;
    }
  if (rc == 0 && resp->n_receipts != n)
    rc = -1;
  proto_push_resp_free(resp);
  reply_free(&r);
  return rc;
}

/* Frees what seal_change allocated in changes [0, n). */
static void sealed_free(proto_change_t *ch, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(ch[i].payload);
    free(ch[i].sealed);
  }
}

/* A device's finalize of an encrypted form: the clear part as payload, the full answers sealed
 * beside it, the duplicate-detection hash. */
static int seal_change(const form_t *form, proto_change_t *c, const char *answers)
{
  size_t len = strlen(answers);
  c->payload = NULL;
  if (form_clear_part(form, answers, len, &c->payload) != SYNC_OK ||
      form_seal(form, c->uuid, answers, len, &c->sealed) != SYNC_OK ||
      form_dedup_hash(form, answers, len, c->dedup) != SYNC_OK)
    return -1;
  return 0;
}

static int push_records(const server_t *s, const device_t *dev, int version, const form_t *seal,
                        char **payloads, size_t n, char (*uuids)[40])
{
  static long long clock_ms = 1761955200000LL;   /* 2025-11-01, moves on with every change */
  proto_change_t ch[200];
  size_t k = 0;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    proto_change_t *c = &ch[k++];
    memset(c, 0, sizeof *c);
    char uuid[40];
    make_uuid(uuid);
    memcpy(c->uuid, uuid, sizeof c->uuid - 1);
    c->uuid[sizeof c->uuid - 1] = '\0';
    if (uuids)
      memcpy(uuids[i], uuid, 40);
    c->revision = 1;
    c->op = PROTO_OP_UPSERT;
    memcpy(c->form_id, "tppo_screening", sizeof "tppo_screening");
    c->form_version = version;
    char hlc[64];
    make_hlc(hlc, ++clock_ms, 0, dev->id);
    memcpy(c->hlc, hlc, sizeof c->hlc - 1);
    c->hlc[sizeof c->hlc - 1] = '\0';
    c->created_at = c->updated_at = clock_ms;
    c->origin = PROTO_ORIGIN_DEVICE;
    if (seal)
      rc = seal_change(seal, c, payloads[i]);
    else
      c->payload = payloads[i];
    if (rc == 0 && (k == 200 || i + 1 == n))
      rc = push_batch(s, dev, ch, k);
    if (seal && (rc != 0 || k == 200 || i + 1 == n))
      sealed_free(ch, k);
    if (k == 200 || i + 1 == n)
      k = 0;
  }
  return rc;
}

int tppo_push(const server_t *s, const device_t *dev, int version, char **payloads, size_t n,
              char (*uuids)[40])
{
  return push_records(s, dev, version, NULL, payloads, n, uuids);
}

int tppo_push_sealed(const server_t *s, const device_t *dev, const form_t *form, char **payloads,
                     size_t n, char (*uuids)[40])
{
  return push_records(s, dev, form_version(form), form, payloads, n, uuids);
}

proto_pull_resp_t *tppo_pull(const server_t *s, const device_t *dev, const char *cursor)
{
  char path[256];
  if (cursor)
    snprintf(path, sizeof path, "/v1/pull?cursor=%s&limit=500", cursor);
  else
    snprintf(path, sizeof path, "/v1/pull?limit=500");
  reply_t r;
  if (http_call(s, "GET", path, dev, NULL, NULL, 0, REQ_ACCEPT_LZ4, &r) != 0 || r.status != 200) {
    reply_free(&r);
    return NULL;
  }
  proto_pull_resp_t *out = NULL;
  proto_diag_t diag;
  if (proto_pull_resp_decode(r.body, r.len, &out, &diag) != SYNC_OK) {
    fprintf(stderr, "pull response does not decode: %s\n", diag.msg);
    out = NULL;
  }
  reply_free(&r);
  return out;
}

/* ---- labels (oracle) ---------------------------------------------------------------------- */

const char *tppo_choice_label(const char *relpath, const char *field, const char *name,
                              const char *lang)
{
  static char out[512];
  out[0] = '\0';
  char *text = ts_source_file(relpath, NULL);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  const char *list = NULL;
  const cJSON *sec, *f;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItem(doc, "sections"))
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(sec, "fields"))
      if (strcmp(cJSON_GetObjectItem(f, "name")->valuestring, field) == 0 &&
          cJSON_GetObjectItem(f, "choices"))
        list = cJSON_GetObjectItem(f, "choices")->valuestring;
  const cJSON *ch;
  if (list)
    cJSON_ArrayForEach(ch, cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "choice_lists"), list))
      if (strcmp(cJSON_GetObjectItem(ch, "name")->valuestring, name) == 0)
        snprintf(out, sizeof out, "%s",
                 cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "label"), lang)->valuestring);
  cJSON_Delete(doc);
  return out;
}
