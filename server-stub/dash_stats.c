/* Dashboard counts (dash_stats.h). */
#include "dash_stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_internal.h"
#include "sbuf.h"

static uint32_t hash_key(const char *s, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static int rehash(dash_dim_t *d, size_t size)
{
  uint32_t *slots = calloc(size, sizeof *slots);
  if (!slots)
    return -1;
  free(d->slots);
  d->slots = slots;
  d->mask = size - 1;
  for (size_t i = 0; i < d->n; i++) {
    size_t j = hash_key(d->kv[i].key, strlen(d->kv[i].key)) & d->mask;
    while (d->slots[j])
      j = (j + 1) & d->mask;
    d->slots[j] = (uint32_t)i + 1;
  }
  return 0;
}

void dim_add(dash_dim_t *d, const char *key, size_t len, int64_t by)
{
  if (d->failed)
    return;
  if (len >= DASH_KEY_MAX)
    len = DASH_KEY_MAX - 1;
  if (!d->slots && rehash(d, 64) != 0) {
    d->failed = 1;
    return;
  }
  size_t j = hash_key(key, len) & d->mask;
  for (; d->slots[j]; j = (j + 1) & d->mask) {
    dash_kv_t *kv = &d->kv[d->slots[j] - 1];
    if (strncmp(kv->key, key, len) == 0 && kv->key[len] == '\0') {
      kv->n += by;
      return;
    }
  }
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 32;
    dash_kv_t *kv = realloc(d->kv, cap * sizeof *kv);
    if (!kv) {
      d->failed = 1;
      return;
    }
    d->kv = kv;
    d->cap = cap;
  }
  dash_kv_t *kv = &d->kv[d->n];
  memcpy(kv->key, key, len);
  kv->key[len] = '\0';
  kv->n = by;
  d->slots[j] = (uint32_t)++d->n;
  if (d->n * 2 > d->mask && rehash(d, (d->mask + 1) * 2) != 0)
    d->failed = 1;
}

int64_t dim_get(const dash_dim_t *d, const char *key)
{
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->kv[i].key, key) == 0)
      return d->kv[i].n;
  return 0;
}

static int by_count(const void *a, const void *b)
{
  const dash_kv_t *x = a, *y = b;
  if (x->n != y->n)
    return x->n > y->n ? -1 : 1;
  return strcmp(x->key, y->key);
}

static int by_key(const void *a, const void *b)
{
  return strcmp(((const dash_kv_t *)a)->key, ((const dash_kv_t *)b)->key);
}

/* Sorting breaks the hash; it is done once the counting is over. */
void dim_sort_by_count(dash_dim_t *d)
{
  if (d->n)
    qsort(d->kv, d->n, sizeof *d->kv, by_count);
  free(d->slots);
  d->slots = NULL;
}

void dim_sort_by_key(dash_dim_t *d)
{
  if (d->n)
    qsort(d->kv, d->n, sizeof *d->kv, by_key);
  free(d->slots);
  d->slots = NULL;
}

static void dim_free(dash_dim_t *d)
{
  free(d->kv);
  free(d->slots);
  memset(d, 0, sizeof *d);
}

#define N_DIMS 10

static void dims_of(dash_stats_t *s, dash_dim_t *d[N_DIMS])
{
  dash_dim_t *all[N_DIMS] = {&s->province, &s->regency, &s->month, &s->result, &s->age,
                             &s->sector, &s->destination, &s->referral, &s->case_status,
                             &s->platform};
  memcpy(d, all, sizeof all);
}

void dash_stats_free(dash_stats_t *s)
{
  dash_dim_t *d[N_DIMS];
  dims_of(s, d);
  for (size_t i = 0; i < N_DIMS; i++)
    dim_free(d[i]);
}

static const char *text(sqlite3_stmt *st, int i, size_t *len)
{
  const char *t = sqlite3_column_type(st, i) == SQLITE_TEXT
                    ? (const char *)sqlite3_column_text(st, i) : NULL;
  *len = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
  return t;
}

/* "YYYY-MM" of a "YYYY-MM-DD" answer. */
static int month_of(const char *d, size_t n)
{
  if (!d || n < 7 || d[4] != '-')
    return 0;
  for (int i = 0; i < 7; i++)
    if (i != 4 && (d[i] < '0' || d[i] > '9'))
      return 0;
  return 1;
}

/* The choice names of a select_multiple answer as json_extract returns it: ["a","b"]. */
static void add_names(dash_dim_t *d, const char *arr, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (arr[i] != '"')
      continue;
    size_t j = i + 1;
    while (j < n && arr[j] != '"' && arr[j] != '\\')
      j++;
    if (j >= n || arr[j] != '"')
      break;
    dim_add(d, arr + i + 1, j - i - 1, 1);
    i = j;
  }
}

/* Referred, by the central fields: a referral outcome is recorded, or the case status is
 * `referred` or `assisted` (after a referral). */
static int is_referred(const char *status, const char *outcome)
{
  return outcome || (status && (strcmp(status, "referred") == 0 || strcmp(status, "assisted") == 0));
}

sync_err_t dash_stats_load(db_conn_t *c, const rq_filter_t *f, dash_stats_t *out)
{
  memset(out, 0, sizeof *out);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  sbuf_t sql;
  sbuf_init(&sql);
  sbuf_puts(&sql, "SELECT json_extract(r.payload, '$.province'),"
                  " json_extract(r.payload, '$.regency_code'),"
                  " json_extract(r.payload, '$.interview_date'), " RQ_RESULT_SQL ","
                  " json_extract(r.payload, '$.is_child'), json_extract(r.payload, '$.sector'),"
                  " json_extract(r.payload, '$.destination_country'),"
                  " json_extract(r.payload, '$.referral_outcome'),"
                  " json_extract(r.payload, '$.case_status'), json_extract(r.payload, '$.consent'),"
                  " json_extract(r.payload, '$.recruitment_platform')"
                  " FROM records r");
  rq_where(f, &sql);
  sqlite3_stmt *st = NULL;
  if (sbuf_failed(&sql) || sqlite3_prepare_v2(c->h, sql.data, -1, &st, NULL) != SQLITE_OK) {
    sbuf_free(&sql);
    return SYNC_ERR_DB;
  }
  sbuf_free(&sql);
  rq_bind(f, st);
  int rc;
  size_t n;
  const char *t;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out->total++;
    if ((t = text(st, 0, &n)))
      dim_add(&out->province, t, n, 1);
    if ((t = text(st, 1, &n)))
      dim_add(&out->regency, t, n, 1);
    if ((t = text(st, 2, &n)) && month_of(t, n))
      dim_add(&out->month, t, 7, 1);
    const char *consent = text(st, 9, &n);
    int refused = consent && strcmp(consent, "no") == 0;
    if ((t = text(st, 3, &n))) {
      dim_add(&out->result, t, n, 1);
      out->strong += strcmp(t, "strong_indication") == 0;
      out->needs += strcmp(t, "needs_assessment") == 0;
    } else {
      dim_add(&out->result, refused ? DASH_NO_CONSENT : DASH_NOT_ASSESSED,
              strlen(refused ? DASH_NO_CONSENT : DASH_NOT_ASSESSED), 1);
    }
    out->no_consent += refused;
    if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
      dim_add(&out->age, "unknown", 7, 1);
    } else if (sqlite3_column_int(st, 4)) {
      dim_add(&out->age, "child", 5, 1);
      out->children++;
    } else {
      dim_add(&out->age, "adult", 5, 1);
      out->adults++;
    }
    if ((t = text(st, 5, &n)))
      dim_add(&out->sector, t, n, 1);
    if ((t = text(st, 6, &n)))
      dim_add(&out->destination, t, n, 1);
    const char *outcome = text(st, 7, &n);
    if (outcome)
      dim_add(&out->referral, outcome, n, 1);
    const char *status = text(st, 8, &n);
    dim_add(&out->case_status, status ? status : "new", status ? n : 3, 1);
    out->referred += is_referred(status, outcome);
    if ((t = text(st, 10, &n)))
      add_names(&out->platform, t, n);
  }
  sync_err_t e = rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  dash_dim_t *d[N_DIMS];
  dims_of(out, d);
  for (size_t i = 0; i < N_DIMS; i++)
    if (d[i]->failed)
      e = SYNC_ERR_NOMEM;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  out->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
  if (e != SYNC_OK)
    dash_stats_free(out);
  return e;
}
