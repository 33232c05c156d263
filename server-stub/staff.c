/* Staff passwords, session tokens and the login limit (staff.h). */
#include "staff.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

int staff_name_ok(const char *name)
{
  size_t n = name ? strlen(name) : 0;
  if (n < 1 || n > DB_STAFF_NAME_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
      return 0;
  }
  return 1;
}

int staff_hash_password(const char *password, size_t len, char out[DB_PWHASH_MAX])
{
  if (len < STAFF_PASSWORD_MIN || len > STAFF_PASSWORD_MAX || sodium_init() < 0)
    return -1;
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return -1;
  memcpy(out, hash, sizeof hash < DB_PWHASH_MAX ? sizeof hash : DB_PWHASH_MAX);
  out[DB_PWHASH_MAX - 1] = '\0';
  return 0;
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];

static void make_dummy(void)
{
  unsigned char pw[16];
  randombytes_buf(pw, sizeof pw);
  if (crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof pw,
                        crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    dummy_hash[0] = '\0';
}

int staff_verify_password(const char *pwhash, const char *password, size_t len)
{
  if (sodium_init() < 0 || len > STAFF_PASSWORD_MAX)
    return 0;
  if (!pwhash) {
    /* Unknown user: verify against a hash nobody knows, so both answers take as long. */
    pthread_once(&dummy_once, make_dummy);
    volatile int sink = dummy_hash[0] ? crypto_pwhash_str_verify(dummy_hash, password, len) : 0;
    (void)sink;
    return 0;
  }
  return crypto_pwhash_str_verify(pwhash, password, len) == 0;
}

/* The delay that `failures` earn when the first `free_fails` are free (ms; 0: none). */
static int64_t backoff(int failures, int free_fails)
{
  if (failures < free_fails)
    return 0;
  int64_t d = STAFF_DELAY_FIRST_MS;
  for (int i = free_fails; i < failures && d < STAFF_DELAY_MAX_MS; i++)
    d *= 2;
  return d < STAFF_DELAY_MAX_MS ? d : STAFF_DELAY_MAX_MS;
}

static void later(int64_t *until, int64_t from, int64_t delay)
{
  if (delay > 0 && from + delay > *until)
    *until = from + delay;
}

int staff_login_wait(const db_login_failures_t *f, int64_t now)
{
  int64_t until = 0;
  later(&until, f->pair_last, backoff(f->pair, STAFF_PAIR_FREE_FAILS));
  later(&until, f->network_last, backoff(f->network, STAFF_NETWORK_FREE_FAILS));
  if (f->pair > 0 && !f->familiar)
    later(&until, f->pair_last, backoff(f->name, STAFF_NAME_FREE_FAILS));
  return until > now ? (int)((until - now + 999) / 1000) : 0;
}

int staff_new_token(char token[STAFF_TOKEN_TEXT], unsigned char sha256[32])
{
  unsigned char raw[32];
  if (sodium_init() < 0)
    return -1;
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(token, STAFF_TOKEN_TEXT, raw, sizeof raw,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return staff_token_hash(token, sha256);
}

int staff_token_hash(const char *token, unsigned char sha256[32])
{
  size_t n = token ? strlen(token) : 0;
  if (n != STAFF_TOKEN_TEXT - 1)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char c = token[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_'))
      return -1;
  }
  crypto_hash_sha256(sha256, (const unsigned char *)token, n);
  return 0;
}
