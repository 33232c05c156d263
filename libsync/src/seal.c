/* The central office's side of sealing, sync/seal.h (proto/SECURITY.md 4): key pairs and opening
 * sealed texts, v1 (crypto_box_seal of a JSON envelope) and v2 (seal_v2.h). Devices seal with
 * form_seal() (form_seal.c). */
#include "sync/seal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "form_def.h"
#include "form_seal.h"
#include "seal_open.h"
#include "sync/record.h"

/* A base64 text longer than this cannot be a sealed payload the library made (payload limit,
 * envelope fields, base64 growth); refusing it early bounds the work on hostile input. */
#define SEAL_MAX_B64 (2u * SYNC_MAX_PAYLOAD + 4096u)

sync_err_t sync_seal_keypair(char public_b64[SYNC_SEAL_KEY_B64_LEN + 1],
                             char secret_b64[SYNC_SEAL_KEY_B64_LEN + 1])
{
  if (!public_b64 || !secret_b64)
    return SYNC_ERR_INVALID_ARG;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  if (crypto_box_keypair(pk, sk) != 0)
    return SYNC_ERR_CRYPTO;
  sodium_bin2base64(public_b64, SYNC_SEAL_KEY_B64_LEN + 1, pk, sizeof pk,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(secret_b64, SYNC_SEAL_KEY_B64_LEN + 1, sk, sizeof sk,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(sk, sizeof sk);
  return SYNC_OK;
}

/* base64 (standard, padded) of exactly 32 bytes. */
static int key_from_b64(const char *b64, unsigned char key[32])
{
  size_t n = 0;
  const char *end = NULL;
  return sodium_base642bin(key, 32, b64, strlen(b64), NULL, &n, &end,
                           sodium_base64_VARIANT_ORIGINAL) == 0 && *end == '\0' && n == 32 ? 0 : -1;
}

/* The envelope has exactly these members, once each, with these types. */
static int envelope_ok(const cJSON *root)
{
  static const char *const keys[] = { "uuid", "form_id", "form_version", "revision", "hlc",
                                      "payload" };
  unsigned seen = 0;
  if (!cJSON_IsObject(root))
    return 0;
  for (const cJSON *m = root->child; m; m = m->next) {
    size_t k = 0;
    while (k < 6 && strcmp(keys[k], m->string) != 0)
      k++;
    if (k == 6 || (seen & (1u << k)))
      return 0;
    seen |= 1u << k;
    int ok;
    if (k == 5)
      ok = cJSON_IsObject(m);
    else if (k == 2 || k == 3)   /* form_version, revision: integers >= 0 */
      ok = cJSON_IsNumber(m) && m->valuedouble >= 0 && m->valuedouble <= 9007199254740992.0 &&
           floor(m->valuedouble) == m->valuedouble;
    else
      ok = cJSON_IsString(m);
    if (!ok)
      return 0;
  }
  return seen == 0x3f;
}

struct sync_seal_opener {
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
};

/* The key, and the public key derived from it once. 0, or the error. */
static sync_err_t opener_init(sync_seal_opener_t *o, const char *secret_b64)
{
  if (!secret_b64 || key_from_b64(secret_b64, o->sk))
    return SYNC_ERR_INVALID_ARG;
  return crypto_scalarmult_base(o->pk, o->sk) == 0 ? SYNC_OK : SYNC_ERR_CRYPTO;
}

sync_err_t sync_seal_opener_new(const char *secret_b64, sync_seal_opener_t **out)
{
  if (!out)
    return SYNC_ERR_INVALID_ARG;
  *out = NULL;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  sync_seal_opener_t *o = sodium_malloc(sizeof *o);
  if (!o)
    return SYNC_ERR_NOMEM;
  sync_err_t rc = opener_init(o, secret_b64);
  if (rc != SYNC_OK) {
    sodium_free(o);
    return rc;
  }
  *out = o;
  return SYNC_OK;
}

void sync_seal_opener_free(sync_seal_opener_t *opener)
{
  sodium_free(opener);   /* NULL-safe; wipes before it frees */
}

sync_err_t sync_seal_open(const char *secret_b64, const char *sealed_b64, char **out_envelope)
{
  if (!out_envelope)
    return SYNC_ERR_INVALID_ARG;
  *out_envelope = NULL;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  sync_seal_opener_t o;   /* one text: no need for guarded memory, wiped below */
  sync_err_t rc = opener_init(&o, secret_b64);
  if (rc == SYNC_OK)
    rc = sync_seal_opener_open(&o, sealed_b64, out_envelope);
  sodium_memzero(&o, sizeof o);
  return rc;
}

/* The bytes of a base64 sealed text, bounded. */
static sync_err_t sealed_bytes(const char *sealed_b64, unsigned char **out, size_t *out_len)
{
  *out = NULL;
  size_t b64_len = strlen(sealed_b64);
  if (b64_len > SEAL_MAX_B64)
    return SYNC_ERR_TOO_LARGE;
  size_t cap = b64_len / 4 * 3 + 3, n = 0;
  const char *end = NULL;
  unsigned char *c = malloc(cap);
  if (!c)
    return SYNC_ERR_NOMEM;
  if (sodium_base642bin(c, cap, sealed_b64, b64_len, NULL, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0') {
    free(c);
    return SYNC_ERR_INVALID_ARG;
  }
  *out = c;
  *out_len = n;
  return SYNC_OK;
}

/* Opens and checks a v1 text: *text the envelope (NUL-terminated), *root its tree. */
static sync_err_t open_v1(const sync_seal_opener_t *opener, const unsigned char *c, size_t clen,
                          char **text, cJSON **root)
{
  *text = NULL;
  *root = NULL;
  if (clen < crypto_box_SEALBYTES)
    return SYNC_ERR_INVALID_ARG;
  size_t mlen = clen - crypto_box_SEALBYTES;
  char *m = malloc(mlen + 1);
  if (!m)
    return SYNC_ERR_NOMEM;
  if (crypto_box_seal_open((unsigned char *)m, c, clen, opener->pk, opener->sk) != 0) {
    free(m);
    return SYNC_ERR_CRYPTO;
  }
  m[mlen] = '\0';
  const char *pend = NULL;
  cJSON *tree = memchr(m, '\0', mlen) ? NULL : cJSON_ParseWithLengthOpts(m, mlen, &pend, 0);
  if (!tree || (size_t)(pend - m) != mlen || !envelope_ok(tree)) {
    cJSON_Delete(tree);
    sodium_memzero(m, mlen);
    free(m);
    return SYNC_ERR_JSON;
  }
  *text = m;
  *root = tree;
  return SYNC_OK;
}

static void wipe_free(char *text)
{
  if (text) {
    sodium_memzero(text, strlen(text));
    free(text);
  }
}

sync_err_t sync_seal_opener_open(const sync_seal_opener_t *opener, const char *sealed_b64,
                                 char **out_envelope)
{
  if (!out_envelope)
    return SYNC_ERR_INVALID_ARG;
  *out_envelope = NULL;
  if (!opener || !sealed_b64)
    return SYNC_ERR_INVALID_ARG;
  unsigned char *c = NULL;
  size_t clen = 0;
  cJSON *root = NULL;
  sync_err_t rc = sealed_bytes(sealed_b64, &c, &clen);
  if (rc == SYNC_OK)
    rc = open_v1(opener, c, clen, out_envelope, &root);
  if (rc == SYNC_ERR_CRYPTO && seal_v2_looks(c, clen))
    rc = SYNC_ERR_STATE;   /* not v1 for this key, and reads as v2: it opens only for its record */
  cJSON_Delete(root);
  free(c);
  return rc;
}

/* A v1 envelope of record `id`: its payload, detached. SYNC_ERR_CRYPTO when it names another
 * record, form or version (a text copied from elsewhere). *opened: 1 when the text is a v1 text
 * for this key (it decrypted), whatever else holds. */
static sync_err_t v1_answers(const sync_seal_opener_t *opener, const seal_ident_t *id,
                             const unsigned char *c, size_t clen, cJSON **out, int *opened)
{
  char *text;
  cJSON *env;
  sync_err_t rc = open_v1(opener, c, clen, &text, &env);
  wipe_free(text);
  *opened = rc == SYNC_OK || rc == SYNC_ERR_JSON;
  if (rc != SYNC_OK)
    return rc;
  const cJSON *uuid = cJSON_GetObjectItemCaseSensitive(env, "uuid");
  const cJSON *form = cJSON_GetObjectItemCaseSensitive(env, "form_id");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(env, "form_version");
  if (strcmp(uuid->valuestring, id->uuid) != 0 || strcmp(form->valuestring, id->form_id) != 0 ||
      ver->valuedouble != (double)id->form_version)
    rc = SYNC_ERR_CRYPTO;
  else
    *out = cJSON_DetachItemFromObjectCaseSensitive(env, "payload");
  cJSON_Delete(env);
  return rc;
}

/* The answers of a v2 text as a tree: one JSON object, nothing after it. */
static sync_err_t v2_answers(const sync_seal_opener_t *opener, const seal_ident_t *id,
                             const seal_dict_t *d, const unsigned char *c, size_t clen,
                             cJSON **out)
{
  char *m = NULL;
  size_t mlen = 0;
  sync_err_t rc = seal_v2_open(opener->sk, opener->pk, id, d, c, clen, &m, &mlen);
  if (rc != SYNC_OK)
    return rc;
  const char *pend = NULL;
  cJSON *tree = memchr(m, '\0', mlen) ? NULL : cJSON_ParseWithLengthOpts(m, mlen, &pend, 0);
  sodium_memzero(m, mlen);
  free(m);
  if (!cJSON_IsObject(tree) || (size_t)(pend - m) != mlen) {
    cJSON_Delete(tree);
    return SYNC_ERR_JSON;
  }
  *out = tree;
  return SYNC_OK;
}

sync_err_t seal_open_answers(const sync_seal_opener_t *opener, const seal_ident_t *id,
                             const seal_dict_t *d, const char *sealed_b64, cJSON **out)
{
  *out = NULL;
  if (!opener || !id || !id->uuid || !id->form_id || !sealed_b64)
    return SYNC_ERR_INVALID_ARG;
  unsigned char *c = NULL;
  size_t clen = 0;
  sync_err_t rc = sealed_bytes(sealed_b64, &c, &clen);
  if (rc != SYNC_OK)
    return rc;
  /* A v1 text starts with a random byte: one that looks like v2 and does not open as v2 is
   * tried as v1 (a real v2 text never opens as v1, and the other way round). */
  rc = seal_v2_looks(c, clen) ? v2_answers(opener, id, d, c, clen, out) : SYNC_ERR_INVALID_ARG;
  if (rc != SYNC_OK) {
    int was_v1 = 0;
    sync_err_t v1 = v1_answers(opener, id, c, clen, out, &was_v1);
    if (was_v1 || !seal_v2_looks(c, clen))
      rc = v1;
  }
  free(c);
  return rc;
}

sync_err_t sync_seal_opener_open_record(const sync_seal_opener_t *opener,
                                        const char *definition_json, size_t definition_len,
                                        const char *uuid, const char *sealed_b64,
                                        char **out_answers)
{
  if (!out_answers)
    return SYNC_ERR_INVALID_ARG;
  *out_answers = NULL;
  if (!opener || !definition_json || !uuid || !sealed_b64)
    return SYNC_ERR_INVALID_ARG;
  char errbuf[256];
  sync_err_t rc;
  form_t *f = form_parse(definition_json, definition_len, &rc, errbuf, sizeof errbuf);
  if (!f)
    return rc;
  seal_dict_t *d = NULL;
  cJSON *answers = NULL;
  seal_ident_t id = { uuid, form_id(f), form_version(f) };
  rc = form_seal_dict(f, &d);
  if (rc == SYNC_OK)
    rc = seal_open_answers(opener, &id, d, sealed_b64, &answers);
  if (rc == SYNC_OK && !(*out_answers = cJSON_PrintUnformatted(answers)))
    rc = SYNC_ERR_NOMEM;
  cJSON_Delete(answers);
  seal_dict_free(d);
  form_free(f);
  return rc;
}
