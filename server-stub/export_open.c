/* Openers of stored records for exports (export.h, SECURITY.md 4): the clear answers alone, or
 * the sealed envelope opened with the central secret key and checked against the record. */
#include "export.h"

#include <cJSON.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/seal.h"

static cJSON *parse_clear(const exp_stored_t *rec, char *why, size_t whylen)
{
  cJSON *doc = cJSON_ParseWithLength(rec->payload ? rec->payload : "", rec->payload_len);
  if (!cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    snprintf(why, whylen, "the stored answers are not a JSON object");
    return NULL;
  }
  return doc;
}

cJSON *export_open_plain(void *ctx, const exp_stored_t *rec, int *sealed_left, char *why,
                         size_t whylen)
{
  (void)ctx;
  *sealed_left = rec->sealed != NULL;
  return parse_clear(rec, why, whylen);
}

/* The envelope's identity must be the record's: a sealed text copied onto another record (or
 * another form) is refused, not exported under the wrong uuid. */
static const char *envelope_mismatch(const cJSON *env, const exp_stored_t *rec)
{
  const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(env, "uuid");
  const cJSON *form = cJSON_GetObjectItemCaseSensitive(env, "form_id");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(env, "form_version");
  if (!cJSON_IsString(uuid) || strcmp(uuid->valuestring, rec->uuid) != 0)
    return "the sealed envelope belongs to another record";
  if (!cJSON_IsString(form) || strcmp(form->valuestring, rec->form_id) != 0 ||
      !cJSON_IsNumber(ver) || ver->valuedouble != (double)rec->form_version)
    return "the sealed envelope names another form or version";
  if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(env, "payload")))
    return "the sealed envelope has no answers";
  return NULL;
}

cJSON *export_open_sealed(void *ctx, const exp_stored_t *rec, int *sealed_left, char *why,
                          size_t whylen)
{
  *sealed_left = 0;
  if (!rec->sealed)
    return parse_clear(rec, why, whylen);
  char *text = NULL;
  sync_err_t e = sync_seal_opener_open(ctx, rec->sealed, &text);
  if (e != SYNC_OK) {
    snprintf(why, whylen, "the sealed text does not open (%s: altered, or sealed to another"
             " key)", sync_strerror(e));
    return NULL;
  }
  cJSON *env = cJSON_Parse(text);
  sodium_memzero(text, strlen(text));
  free(text);
  const char *bad = env ? envelope_mismatch(env, rec) : "the sealed envelope is not JSON";
  cJSON *clear = bad ? NULL : parse_clear(rec, why, whylen);
  if (bad || !clear) {
    if (bad)
      snprintf(why, whylen, "%s", bad);
    cJSON_Delete(env);
    return NULL;
  }
  cJSON *answers = cJSON_DetachItemFromObjectCaseSensitive(env, "payload");
  cJSON_Delete(env);
  /* Clear answers are newer (central staff set some of them after the record was sealed). */
  for (cJSON *it = clear->child; it;) {
    cJSON *next = it->next;
    cJSON *v = cJSON_DetachItemViaPointer(clear, it);
    cJSON_DeleteItemFromObjectCaseSensitive(answers, v->string);
    cJSON_AddItemToObject(answers, v->string, v);   /* copies the key before freeing v's own */
    it = next;
  }
  cJSON_Delete(clear);
  return answers;
}

/* ---- several at once ---------------------------------------------------------------------- */

#define MAX_OPEN_THREADS 16

typedef struct open_share {
  exp_open_fn open;
  void *ctx;
  exp_job_t *jobs;
  size_t n, first, step;   /* this thread's jobs: first, first + step, ... */
} open_share_t;

static void *open_share(void *arg)
{
  const open_share_t *s = arg;
  for (size_t i = s->first; i < s->n; i += s->step) {
    exp_job_t *j = &s->jobs[i];
    j->answers = s->open(s->ctx, &j->rec, &j->sealed_left, j->why, sizeof j->why);
  }
  return NULL;
}

void export_open_jobs(exp_open_fn open, void *ctx, exp_job_t *jobs, size_t n, int threads)
{
  size_t t = threads < 1 ? 1 : threads > MAX_OPEN_THREADS ? MAX_OPEN_THREADS : (size_t)threads;
  if (t > n)
    t = n ? n : 1;
  open_share_t shares[MAX_OPEN_THREADS];
  pthread_t ids[MAX_OPEN_THREADS];
  size_t started = 1;   /* share 0 runs here */
  for (size_t k = 0; k < t; k++)
    shares[k] = (open_share_t){open, ctx, jobs, n, k, t};
  /* A thread that cannot start leaves its share to this one. */
  for (size_t k = 1; k < t; k++) {
    if (pthread_create(&ids[started], NULL, open_share, &shares[k]) == 0)
      started++;
    else
      open_share(&shares[k]);
  }
  open_share(&shares[0]);
  for (size_t k = 1; k < started; k++)
    pthread_join(ids[k], NULL);
}
