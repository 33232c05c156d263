/* Sync test fixture (sync_fixture.h): enrolling test stores, with a code from the real server's
 * `enroll create` through sync_enroll, or written straight into the store for the fake server. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sync_fixture.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sync.h"

/* 1 if p starts a code XXXX-XXXX-XXXX of Crockford base32 characters. */
static int is_code(const char *p)
{
  for (int i = 0; i < 14; i++) {
    char c = p[i];
    if (i == 4 || i == 9) {
      if (c != '-')
        return 0;
    } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) {
      return 0;
    }
  }
  return 1;
}

int fx_enroll_code(const fx_server_t *s, char *code, size_t len)
{
  char *out = NULL;
  int rc = fx_syncserver(&out, "enroll", "create", "--db", s->db, "--name", "test device", "--unit",
                         "Polres Ponorogo", NULL);
  /* The code is printed once, somewhere in the output: the first XXXX-XXXX-XXXX. */
  const char *p = out;
  while (rc == 0 && p && p[0] && !(is_code(p) && (p == out || !isalnum((unsigned char)p[-1]))))
    p++;
  if (rc != 0 || !p || !p[0] || len < 15) {
    fprintf(stderr, "fx_enroll_code: no code in: %s\n", out ? out : "");
    free(out);
    return -1;
  }
  memcpy(code, p, 14);
  code[14] = '\0';
  free(out);
  return 0;
}

int fx_rekey_code(const fx_server_t *s, const char *device_id, char *code, size_t len)
{
  char *out = NULL;
  int rc = fx_syncserver(&out, "enroll", "create", "--db", s->db, "--device", device_id, "--by",
                         "test fixture", NULL);
  const char *p = rc == 0 && out ? strstr(out, "code: ") : NULL;
  if (!p || len < 15 || !is_code(p + 6)) {
    fprintf(stderr, "fx_rekey_code: no code in: %s\n", out ? out : "");
    free(out);
    return -1;
  }
  memcpy(code, p + 6, 14);
  code[14] = '\0';
  free(out);
  return 0;
}

sync_err_t fx_enroll(fx_server_t *s, const char *store_path, const char *ca_file, const char *pin,
                     char *why, size_t len)
{
  char code[16];
  sync_store_t *st = NULL;
  sync_err_t err = fx_store_open(store_path, &st);
  if (err) {
    snprintf(why, len, "cannot open the store: %s", sync_strerror(err));
    return err;
  }
  /* The store this server enrolled before gets a code for its own device; others a new one. */
  const char *id = sync_store_device_id(st);
  snprintf(why, len, "no enrollment code");
  if ((id && strcmp(id, s->device_id) == 0 ? fx_rekey_code(s, id, code, sizeof code)
                                            : fx_enroll_code(s, code, sizeof code)) != 0) {
    sync_store_close(st);
    return SYNC_ERR_INTERNAL;
  }
  sync_enroll_config_t c;
  sync_enroll_config_init(&c);
  c.server_url = s->url;
  c.code = code;
  c.ca_file = ca_file;
  c.pinned_pubkey = pin;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  err = sync_enroll(st, &c, why, len);
  if (err == SYNC_OK)
    snprintf(s->device_id, sizeof s->device_id, "%s", sync_store_device_id(st));
  sync_store_close(st);
  return err;
}

int fx_enroll_direct(const char *store_path, const char *url, const char *secret,
                     const char *server_id, const char *receipt_key)
{
  sync_store_t *st = NULL;
  if (fx_store_open(store_path, &st) != SYNC_OK)
    return -1;
  int ok = store_state_set(st, STATE_SERVER_URL, url) == SYNC_OK &&
           store_state_set(st, STATE_DEVICE_ID, sync_store_device_id(st)) == SYNC_OK &&
           store_state_set_secret(st, STATE_SECRET, secret) == SYNC_OK &&
           store_state_set(st, STATE_SERVER_ID, server_id) == SYNC_OK &&
           store_state_set(st, STATE_RECEIPT_KEY, receipt_key) == SYNC_OK;
  sync_store_close(st);
  return ok ? 0 : -1;
}
