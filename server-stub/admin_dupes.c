/* `syncserver duplicates` (SECURITY.md 9; admin.h): groups of records whose devices computed the
 * same duplicate-detection hash, for central review. */
#include "admin.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

typedef struct dupe_ctx {
  int json;
  cJSON *groups, *cur;
} dupe_ctx_t;

static int print_dupe(void *ctx, const db_dupe_t *d)
{
  dupe_ctx_t *l = ctx;
  char when[32];
  if (l->json) {
    if (d->first_of_group) {
      cJSON *g = cJSON_CreateObject();
      cJSON_AddStringToObject(g, "dedup", d->dedup);
      l->cur = cJSON_AddArrayToObject(g, "records");
      cJSON_AddItemToArray(l->groups, g);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", d->uuid);
    cJSON_AddStringToObject(o, "device_id", d->device_id);
    cJSON_AddStringToObject(o, "device_name", d->device_name);
    cJSON_AddStringToObject(o, "device_unit", d->device_unit);
    cJSON_AddStringToObject(o, "province", d->province);
    cJSON_AddStringToObject(o, "regency", d->regency);
    cJSON_AddStringToObject(o, "interview_date", d->interview_date);
    cJSON_AddNumberToObject(o, "received_at", (double)d->received_at);
    cJSON_AddItemToArray(l->cur, o);
  } else {
    if (d->first_of_group)
      printf("group %.12s\n", d->dedup);
    printf("  %-36s  %-10s  %-8s  %-10s  %-20s  %s%s%s\n", d->uuid,
           d->province[0] ? d->province : "-", d->regency[0] ? d->regency : "-",
           d->interview_date[0] ? d->interview_date : "-",
           admin_time(d->received_at, when, sizeof when), d->device_name,
           d->device_unit[0] ? " / " : "", d->device_unit);
  }
  return 0;
}

int admin_duplicates(const cli_t *c)
{
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
  dupe_ctx_t l = {cli_flag(c, "json"), NULL, NULL};
  if (l.json)
    l.groups = cJSON_CreateArray();
  int64_t groups = 0;
  sync_err_t e = db_duplicates(db, print_dupe, &l, &groups);
  rc = admin_list_done(db, e, l.groups);
  if (rc == 0 && !l.json)
    printf("%lld group(s) of likely duplicates\n", (long long)groups);
  return rc;
}
