/* Admin commands: enrollment codes (SECURITY.md 2; admin.h). A code is printed once and stored
 * only as SHA-256 of its normalised text; it enrols a new device, or with --device re-keys that
 * one device (its creator, --by, goes to the audit). */
#include "admin.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define HOUR_MS 3600000LL
#define CROCKFORD "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* 60 random bits as "XXXX-XXXX-XXXX" in Crockford base32. */
static void new_code(char out[15])
{
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  uint64_t bits = 0;
  for (size_t i = 0; i < sizeof raw; i++)
    bits = bits << 8 | raw[i];
  sodium_memzero(raw, sizeof raw);
  size_t o = 0;
  for (int i = 0; i < 12; i++) {
    if (i == 4 || i == 8)
      out[o++] = '-';
    out[o++] = CROCKFORD[(bits >> (55 - 5 * i)) & 31];
  }
  out[o] = '\0';
}

static int int_opt(const cli_t *c, const char *key, int def, int min, int max, int *out)
{
  const char *v = cli_opt(c, key);
  *out = def;
  if (!v)
    return 0;
  char *end;
  long n = strtol(v, &end, 10);
  if (!*v || *end || n < min || n > max) {
    fprintf(stderr, "syncserver: --%s must be %d..%d\n", key, min, max);
    return 2;
  }
  *out = (int)n;
  return 0;
}

int admin_enroll_create(const cli_t *c)
{
  static const char *const known[] = {"db", "name", "unit", "device", "by", "ttl-hours",
                                      "valid-days", "flag:json", NULL};
  if (cli_check(c, known))
    return 2;
  const char *name = cli_opt(c, "name"), *unit = cli_opt(c, "unit");
  const char *device = cli_opt(c, "device"), *by = cli_opt(c, "by");
  if (!device && (!name || !*name)) {
    fprintf(stderr, "syncserver: enroll create needs --name NAME (the device, e.g. \"Laptop PPA"
            " Ponorogo 02\"), or --device ID to re-key an enrolled device\n");
    return 2;
  }
  if (device && (!*device || strlen(device) > PROTO_UUID_LEN || !by || !*by)) {
    fprintf(stderr, "syncserver: enroll create --device ID needs --by NAME (who re-keys the"
            " device: written to the security log)\n");
    return 2;
  }
  if ((name && strlen(name) > DB_NAME_MAX) || (unit && strlen(unit) > DB_NAME_MAX) ||
      (by && strlen(by) > DB_BY_MAX)) {
    fprintf(stderr, "syncserver: --name and --unit are limited to %d bytes, --by to %d\n",
            DB_NAME_MAX, DB_BY_MAX);
    return 2;
  }
  /* --ttl-hours 0 makes a code that has already expired (for tests of the refusal). */
  int ttl_hours, valid_days;
  if (int_opt(c, "ttl-hours", 24, 0, 24 * 30, &ttl_hours) ||
      int_opt(c, "valid-days", 365, 1, 3650, &valid_days))
    return 2;
  if (sodium_init() < 0) {
    fprintf(stderr, "syncserver: no random source\n");
    return 1;
  }
  db_conn_t *db = admin_open(c, 0);
  if (!db)
    return 1;
  db_enroll_code_t row;
  memset(&row, 0, sizeof row);
  sync_err_t e = SYNC_OK;
  if (device) {   /* a re-key keeps the device's name and unit unless new ones are given */
    db_device_t dev;
    if ((e = db_device_get(db, device, &dev)) != SYNC_OK) {
      db_close(db);
      return admin_named_result(e, "device", device);
    }
    snprintf(row.device_id, sizeof row.device_id, "%s", dev.device_id);
    snprintf(row.name, sizeof row.name, "%s", name && *name ? name : dev.name);
    snprintf(row.unit, sizeof row.unit, "%s", unit ? unit : dev.unit);
  } else {
    snprintf(row.name, sizeof row.name, "%s", name);
    snprintf(row.unit, sizeof row.unit, "%s", unit ? unit : "");
  }
  snprintf(row.created_by, sizeof row.created_by, "%s", by ? by : "");
  row.created_at = db_now_ms();
  row.expires_at = row.created_at + ttl_hours * HOUR_MS;
  row.valid_days = valid_days;
  char code[15], norm[13];
  unsigned char hash[32];
  do {   /* a collision with an existing code is astronomically rare, but cheap to retry */
    new_code(code);
    if (proto_enroll_code_normalise(code, norm) != SYNC_OK) {
      e = SYNC_ERR_INTERNAL;
      break;
    }
    crypto_hash_sha256(hash, (const unsigned char *)norm, strlen(norm));
    e = db_enroll_code_store(db, hash, &row);
  } while (e == SYNC_ERR_EXISTS);
  db_close(db);
  sodium_memzero(norm, sizeof norm);
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: cannot store the code: %s\n", sync_strerror(e));
    return 1;
  }
  char when[32];
  int rc = 0;
  if (cli_flag(c, "json")) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", code);
    cJSON_AddStringToObject(o, "name", row.name);
    cJSON_AddStringToObject(o, "unit", row.unit);
    if (device)
      cJSON_AddStringToObject(o, "device_id", row.device_id);
    else
      cJSON_AddNullToObject(o, "device_id");
    cJSON_AddStringToObject(o, "created_by", row.created_by);
    cJSON_AddNumberToObject(o, "expires_at", (double)row.expires_at);
    cJSON_AddNumberToObject(o, "valid_days", valid_days);
    rc = admin_print_json(o);
  } else {
    printf("code: %s\nfor: %s\nname: %s\nunit: %s\nexpires: %s\ncredential valid for: %d days\n",
           code, device ? row.device_id : "a new device", row.name, row.unit,
           admin_time(row.expires_at, when, sizeof when), valid_days);
    fprintf(stderr, "The code is shown only now and works once; the server keeps only its"
            " SHA-256.\n");
    if (device)
      fprintf(stderr, "Using it replaces the device's secret: the old one stops working.\n");
  }
  sodium_memzero(code, sizeof code);
  fflush(stdout);
  return rc;
}

typedef struct code_ctx {
  int json;
  int64_t now;
  cJSON *arr;
} code_ctx_t;

static int print_code(void *ctx, const db_enroll_code_t *e)
{
  code_ctx_t *l = ctx;
  const char *status = e->used_at ? "used" : e->expires_at <= l->now ? "expired" : "pending";
  char t1[32], t2[32];
  if (l->json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "unit", e->unit);
    cJSON_AddStringToObject(o, "status", status);
    cJSON_AddNumberToObject(o, "created_at", (double)e->created_at);
    cJSON_AddNumberToObject(o, "expires_at", (double)e->expires_at);
    cJSON_AddNumberToObject(o, "valid_days", e->valid_days);
    if (e->device_id[0])
      cJSON_AddStringToObject(o, "device_id", e->device_id);
    else
      cJSON_AddNullToObject(o, "device_id");
    cJSON_AddStringToObject(o, "created_by", e->created_by);
    if (e->used_at) {
      cJSON_AddNumberToObject(o, "used_at", (double)e->used_at);
      cJSON_AddStringToObject(o, "used_by", e->used_by);
    } else {
      cJSON_AddNullToObject(o, "used_at");
      cJSON_AddNullToObject(o, "used_by");
    }
    cJSON_AddItemToArray(l->arr, o);
  } else {
    printf("%-7s  %-36s  %-20s  %-20s  %-36s  %s%s%s\n", status,
           e->device_id[0] ? e->device_id : "new device",
           admin_time(e->expires_at, t1, sizeof t1),
           e->used_at ? admin_time(e->used_at, t2, sizeof t2) : "-",
           e->used_at ? e->used_by : "-", e->name, e->unit[0] ? " / " : "", e->unit);
  }
  return 0;
}

int admin_enroll_list(const cli_t *c)
{
  int rc;
  db_conn_t *db = admin_list_open(c, &rc);
  if (!db)
    return rc;
  code_ctx_t l = {cli_flag(c, "json"), db_now_ms(), NULL};
  if (l.json)
    l.arr = cJSON_CreateArray();
  else
    printf("%-7s  %-36s  %-20s  %-20s  %-36s  %s\n", "STATUS", "FOR", "EXPIRES", "USED",
           "USED BY", "NAME / UNIT");
  sync_err_t e = db_enroll_code_list(db, print_code, &l);
  return admin_list_done(db, e, l.arr);
}
