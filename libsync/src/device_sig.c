/* Device signatures of sealed changes and the server's certificates of device signing keys
 * (device_sig.h, SECURITY.md 4). */
#include "device_sig.h"
#include "codec_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LEN 32
/* domain, device, uuid, numbers, hlcs, form id and two hex hashes: well under 512 bytes */
#define TEXT_MAX 512

static int unb64(const char *text, unsigned char *bin, size_t n)
{
  size_t got = 0;
  return text && sodium_base642bin(bin, n, text, strlen(text), NULL, &got, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) == 0 && got == n ? 0 : -1;
}

static void hex_hash(const void *data, size_t len, char out[2 * HASH_LEN + 1])
{
  unsigned char h[HASH_LEN];
  crypto_generichash(h, sizeof h, data, len, NULL, 0);
  sodium_bin2hex(out, 2 * HASH_LEN + 1, h, sizeof h);
}

/* The signed text of a change (device_sig.h); -1 when the change cannot be signed. */
static int change_text(const char *device_id, const proto_change_t *ch, char *text, size_t *len)
{
  if (!device_id || !ch || !ch->sealed || !ch->sealed[0] || !ch->payload ||
      ch->op != PROTO_OP_UPSERT)
    return -1;
  size_t plen = strlen(ch->payload);
  char *compact = malloc(plen ? plen : 1);
  json_scan_t res;
  if (!compact || json_scan(ch->payload, plen, PROTO_MAX_JSON_DEPTH, compact, &res) != 0) {
    free(compact);
    return -1;
  }
  char sealed_hash[2 * HASH_LEN + 1], payload_hash[2 * HASH_LEN + 1];
  hex_hash(ch->sealed, strlen(ch->sealed), sealed_hash);
  hex_hash(compact, res.out_len, payload_hash);
  free(compact);
  int n = snprintf(text, TEXT_MAX, "libsync-change-sig-v1\n%s\n%s\n%lld\n%lld\n%s\n%s\n%s\n%d\n%s\n%s",
                   device_id, ch->uuid, (long long)ch->revision, (long long)ch->base_revision,
                   ch->base_hlc[0] ? ch->base_hlc : "-", ch->hlc, ch->form_id, ch->form_version,
                   sealed_hash, payload_hash);
  if (n < 0 || n >= TEXT_MAX)
    return -1;
  *len = (size_t)n;
  return 0;
}

sync_err_t devsig_keypair(char *pk_b64, char *sk_b64)
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  if (sodium_init() < 0 || crypto_sign_keypair(pk, sk) != 0)
    return SYNC_ERR_CRYPTO;
  sodium_bin2base64(pk_b64, PROTO_KEY_B64_LEN + 1, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(sk_b64, DEVSIG_SK_B64_LEN + 1, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(sk, sizeof sk);
  return SYNC_OK;
}

sync_err_t devsig_sign(const char *sk_b64, const char *device_id, const proto_change_t *ch,
                       char *out)
{
  char text[TEXT_MAX];
  size_t len = 0;
  unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
  out[0] = '\0';
  if (change_text(device_id, ch, text, &len) != 0)
    return SYNC_ERR_INVALID_ARG;
  if (unb64(sk_b64, sk, sizeof sk) != 0) {
    sodium_memzero(sk, sizeof sk);
    return SYNC_ERR_CRYPTO;
  }
  crypto_sign_detached(sig, NULL, (const unsigned char *)text, len, sk);
  sodium_memzero(sk, sizeof sk);
  sodium_bin2base64(out, PROTO_SIG_B64_LEN + 1, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  return SYNC_OK;
}

/* Ed25519 check of `text` against base64 signature and key. */
static sync_err_t verify_text(const unsigned char pk[32], const char *text, size_t len,
                              const char *sig_b64)
{
  unsigned char sig[crypto_sign_BYTES];
  if (unb64(sig_b64, sig, sizeof sig) != 0 ||
      crypto_sign_verify_detached(sig, (const unsigned char *)text, len, pk) != 0)
    return SYNC_ERR_CRYPTO;
  return SYNC_OK;
}

sync_err_t devsig_verify(const char *pk_b64, const char *device_id, const proto_change_t *ch)
{
  char text[TEXT_MAX];
  size_t len = 0;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  if (!ch || !ch->device_sig[0] || unb64(pk_b64, pk, sizeof pk) != 0 ||
      change_text(device_id, ch, text, &len) != 0)
    return SYNC_ERR_CRYPTO;
  return verify_text(pk, text, len, ch->device_sig);
}

static int cert_text(const char *device_id, const char *pk_b64, int64_t enrolled_at, char *text,
                     size_t *len)
{
  int n = snprintf(text, TEXT_MAX, "libsync-device-key-v1\n%s\n%s\n%lld", device_id ? device_id : "",
                   pk_b64 ? pk_b64 : "", (long long)enrolled_at);
  if (n < 0 || n >= TEXT_MAX)
    return -1;
  *len = (size_t)n;
  return 0;
}

sync_err_t devsig_cert_sign(const unsigned char server_sk[64], const char *device_id,
                            const char *pk_b64, int64_t enrolled_at, char *out)
{
  char text[TEXT_MAX];
  size_t len = 0;
  unsigned char sig[crypto_sign_BYTES];
  out[0] = '\0';
  if (cert_text(device_id, pk_b64, enrolled_at, text, &len) != 0)
    return SYNC_ERR_INVALID_ARG;
  crypto_sign_detached(sig, NULL, (const unsigned char *)text, len, server_sk);
  sodium_bin2base64(out, PROTO_SIG_B64_LEN + 1, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  return SYNC_OK;
}

sync_err_t devsig_cert_verify(const unsigned char server_pk[32], const char *device_id,
                              const char *pk_b64, int64_t enrolled_at, const char *cert_b64)
{
  char text[TEXT_MAX];
  size_t len = 0;
  if (cert_text(device_id, pk_b64, enrolled_at, text, &len) != 0)
    return SYNC_ERR_CRYPTO;
  return verify_text(server_pk, text, len, cert_b64);
}
