/* Counts behind the dashboard, in one pass over the filtered records (json_extract on the
 * stored answers of the reference form: province, regency_code, interview_date, the screening
 * result, is_child, sector, destination_country, consent, recruitment_platform of version 2, and
 * the central fields case_status and referral_outcome). Referrals and case status come from the
 * central fields only: central staff write them (syncserver record set-status) and they stay
 * readable when the form is sealed, where the officer's own answers (referral_to) do not. */
#ifndef SRV_DASH_STATS_H
#define SRV_DASH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "query.h"

#define DASH_KEY_MAX 40

typedef struct dash_kv {
  char key[DASH_KEY_MAX];
  int64_t n;
} dash_kv_t;

/* Counts by key (a small hash table over kv). */
typedef struct dash_dim {
  dash_kv_t *kv;
  size_t n, cap;
  uint32_t *slots;   /* index + 1 */
  size_t mask;
  int failed;
} dash_dim_t;

typedef struct dash_stats {
  int64_t total, strong, needs, children, adults, no_consent;
  int64_t referred;   /* case_status referred or assisted, or a referral_outcome recorded */
  dash_dim_t province, regency, month, result, age, sector, destination, referral, case_status,
    platform;
  double ms;          /* time the pass took */
} dash_stats_t;

/* Keys of the result dimension besides the form's result categories. */
#define DASH_NO_CONSENT "no_consent"
#define DASH_NOT_ASSESSED "not_assessed"

void dim_add(dash_dim_t *d, const char *key, size_t len, int64_t by);
int64_t dim_get(const dash_dim_t *d, const char *key);
/* Sorts kv by count, largest first (ties by key), or by key ascending. */
void dim_sort_by_count(dash_dim_t *d);
void dim_sort_by_key(dash_dim_t *d);

sync_err_t dash_stats_load(db_conn_t *c, const rq_filter_t *f, dash_stats_t *out);
void dash_stats_free(dash_stats_t *s);

#endif
