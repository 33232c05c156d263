/* The v2 sealed envelope, seal_v2.h (proto/SECURITY.md 4): answers compressed with the form's
 * zstd dictionary, then sealed to the central key with an ECIES made of libsodium primitives,
 * the record's identity bound as associated data. Decompression is bounded (window and output)
 * because the plaintext of a text that opens was still written by a device. */
#include "seal_v2.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zstd.h>

#include "sync/record.h"

#define SEAL_LEVEL     12           /* bench_seal: 2.6% larger than 19, ~15x faster to seal */
#define SEAL_WINDOW    20           /* log2 of the largest window the opener accepts (1 MiB) */
#define AD_TAG         "libsync-seal-v2\n"
#define AD_TAG_LEN     (sizeof AD_TAG - 1)
#define IDENT_MAX      255          /* uuid and form id lengths bound into AD */

static const unsigned char ZSTD_MAGIC_LE[4] = { 0x28, 0xb5, 0x2f, 0xfd };

struct seal_dict {
  uint32_t id;
  size_t len;
  unsigned char *bytes;
  ZSTD_DDict *dd;
  ZSTD_CDict *cd;              /* made by seal_dict_for_sealing; NULL: loaded on every seal */
};

sync_err_t seal_dict_new(const unsigned char *bytes, size_t len, seal_dict_t **out)
{
  *out = NULL;
  if (len > SEAL_DICT_MAX)
    return SYNC_ERR_TOO_LARGE;
  if (!bytes || len < 8 || ZSTD_getDictID_fromDict(bytes, len) == 0)
    return SYNC_ERR_FORM;
  seal_dict_t *d = calloc(1, sizeof *d);
  if (!d || !(d->bytes = malloc(len)))
    goto nomem;
  memcpy(d->bytes, bytes, len);
  d->len = len;
  d->id = ZSTD_getDictID_fromDict(bytes, len);
  if (!(d->dd = ZSTD_createDDict(bytes, len)))
    goto nomem;
  *out = d;
  return SYNC_OK;
nomem:
  seal_dict_free(d);
  return SYNC_ERR_NOMEM;
}

sync_err_t seal_dict_from_b64(const char *b64, seal_dict_t **out)
{
  *out = NULL;
  size_t n = strlen(b64), got = 0;
  if (n / 4 * 3 > SEAL_DICT_MAX + 3)
    return SYNC_ERR_TOO_LARGE;
  unsigned char *raw = malloc(n / 4 * 3 + 3);
  if (!raw)
    return SYNC_ERR_NOMEM;
  const char *end = NULL;
  sync_err_t rc = SYNC_ERR_FORM;
  if (sodium_base642bin(raw, n / 4 * 3 + 3, b64, n, NULL, &got, &end,
                        sodium_base64_VARIANT_ORIGINAL) == 0 && *end == '\0')
    rc = seal_dict_new(raw, got, out);
  free(raw);
  return rc;
}

sync_err_t seal_dict_for_sealing(seal_dict_t *d)
{
  if (!d->cd && !(d->cd = ZSTD_createCDict(d->bytes, d->len, SEAL_LEVEL)))
    return SYNC_ERR_NOMEM;
  return SYNC_OK;
}

uint32_t seal_dict_id(const seal_dict_t *d)
{
  return d ? d->id : 0;
}

void seal_dict_free(seal_dict_t *d)
{
  if (!d)
    return;
  ZSTD_freeDDict(d->dd);
  ZSTD_freeCDict(d->cd);
  free(d->bytes);
  free(d);
}

static void put_u16(unsigned char *p, size_t v)
{
  p[0] = (unsigned char)(v & 0xff);
  p[1] = (unsigned char)(v >> 8);
}

/* AD = tag || header || identity; its length, or 0 when the identity does not fit. */
static size_t make_ad(unsigned char *ad, size_t cap, const unsigned char header[SEAL_V2_HEADER],
                      const seal_ident_t *id)
{
  size_t ul = strlen(id->uuid), fl = strlen(id->form_id);
  size_t n = AD_TAG_LEN + SEAL_V2_HEADER + 2 + ul + 2 + fl + 4;
  if (ul > IDENT_MAX || fl > IDENT_MAX || id->form_version < 0 || n > cap)
    return 0;
  unsigned char *p = ad;
  memcpy(p, AD_TAG, AD_TAG_LEN);
  p += AD_TAG_LEN;
  memcpy(p, header, SEAL_V2_HEADER);
  p += SEAL_V2_HEADER;
  put_u16(p, ul);
  memcpy(p + 2, id->uuid, ul);
  p += 2 + ul;
  put_u16(p, fl);
  memcpy(p + 2, id->form_id, fl);
  p += 2 + fl;
  uint32_t v = (uint32_t)id->form_version;
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
  return n;
}

#define AD_CAP (AD_TAG_LEN + SEAL_V2_HEADER + 2 * (2 + IDENT_MAX) + 4)

/* key = BLAKE2b-256(shared || eph_pk || recipient_pk); -1 for a low-order point. */
static int derive_key(unsigned char key[32], const unsigned char scalar[32],
                      const unsigned char point[32], const unsigned char eph_pk[32],
                      const unsigned char recipient_pk[32])
{
  unsigned char shared[crypto_scalarmult_BYTES];
  if (crypto_scalarmult(shared, scalar, point) != 0)
    return -1;
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, shared, sizeof shared);
  crypto_generichash_update(&st, eph_pk, 32);
  crypto_generichash_update(&st, recipient_pk, 32);
  crypto_generichash_final(&st, key, 32);
  sodium_memzero(shared, sizeof shared);
  sodium_memzero(&st, sizeof st);
  return 0;
}

/* zstd frame of `src` without magic, content size, checksum or dictionary id, into *out. */
static sync_err_t compress(const seal_dict_t *d, const char *src, size_t len,
                           unsigned char **out, size_t *out_len)
{
  size_t cap = ZSTD_compressBound(len);
  unsigned char *buf = malloc(cap);
  ZSTD_CCtx *cc = ZSTD_createCCtx();
  sync_err_t rc = SYNC_ERR_NOMEM;
  if (!buf || !cc)
    goto done;
  rc = SYNC_ERR_INTERNAL;
  if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, SEAL_LEVEL)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_dictIDFlag, 0)) ||
      (d && d->cd && ZSTD_isError(ZSTD_CCtx_refCDict(cc, d->cd))) ||
      (d && !d->cd && ZSTD_isError(ZSTD_CCtx_loadDictionary(cc, d->bytes, d->len))))
    goto done;
  size_t n = ZSTD_compress2(cc, buf, cap, src, len);
  if (ZSTD_isError(n) || n < 4 || memcmp(buf, ZSTD_MAGIC_LE, 4) != 0)
    goto done;
  memmove(buf, buf + 4, n - 4);
  *out = buf;
  *out_len = n - 4;
  buf = NULL;
  rc = SYNC_OK;
done:
  ZSTD_freeCCtx(cc);   /* note: zstd frees its window (a copy of the answers) unwiped */
  if (buf) {
    sodium_memzero(buf, cap);
    free(buf);
  }
  return rc;
}

sync_err_t seal_v2_box(const unsigned char recipient_pk[32], const seal_ident_t *id,
                       int compression, uint32_t dict_id, const unsigned char *eph_seed,
                       const unsigned char *plain, size_t plen, unsigned char **out,
                       size_t *out_len)
{
  *out = NULL;
  *out_len = 0;
  unsigned char header[SEAL_V2_HEADER] = { SEAL_V2_VERSION, (unsigned char)compression,
                                           (unsigned char)dict_id, (unsigned char)(dict_id >> 8),
                                           (unsigned char)(dict_id >> 16),
                                           (unsigned char)(dict_id >> 24) };
  unsigned char ad[AD_CAP], key[32], eph_pk[32], eph_sk[32];
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = { 0 };
  size_t adlen = make_ad(ad, sizeof ad, header, id);
  unsigned char *buf = NULL;
  sync_err_t rc = SYNC_ERR_INVALID_ARG;
  if (!adlen || plen > SIZE_MAX - SEAL_V2_OVERHEAD)
    goto done;
  rc = SYNC_ERR_CRYPTO;
  if ((eph_seed ? crypto_box_seed_keypair(eph_pk, eph_sk, eph_seed)
                : crypto_box_keypair(eph_pk, eph_sk)) != 0 ||
      derive_key(key, eph_sk, recipient_pk, eph_pk, recipient_pk) != 0)
    goto done;
  rc = SYNC_ERR_NOMEM;
  if (!(buf = malloc(SEAL_V2_OVERHEAD + plen)))
    goto done;
  memcpy(buf, header, SEAL_V2_HEADER);
  memcpy(buf + SEAL_V2_HEADER, eph_pk, 32);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(buf + SEAL_V2_HEADER + 32, &clen, plain, plen, ad,
                                             adlen, NULL, nonce, key);
  *out = buf;
  *out_len = SEAL_V2_OVERHEAD + plen;
  rc = SYNC_OK;
done:
  sodium_memzero(eph_sk, sizeof eph_sk);
  sodium_memzero(key, sizeof key);
  return rc;
}

sync_err_t seal_v2_seal(const unsigned char recipient_pk[32], const seal_ident_t *id,
                        const seal_dict_t *d, const unsigned char *eph_seed, const char *answers,
                        size_t len, unsigned char **out, size_t *out_len)
{
  *out = NULL;
  *out_len = 0;
  if (len > SYNC_MAX_PAYLOAD)
    return SYNC_ERR_TOO_LARGE;
  unsigned char *z = NULL;
  size_t zlen = 0;
  sync_err_t rc = compress(d, answers, len, &z, &zlen);
  if (rc != SYNC_OK)
    return rc;
  if (zlen < len)
    rc = seal_v2_box(recipient_pk, id, SEAL_COMP_ZSTD, seal_dict_id(d), eph_seed, z, zlen, out,
                     out_len);
  else   /* compression would not pay: the text as it is */
    rc = seal_v2_box(recipient_pk, id, SEAL_COMP_NONE, 0, eph_seed,
                     (const unsigned char *)answers, len, out, out_len);
  sodium_memzero(z, zlen);
  free(z);
  return rc;
}

int seal_v2_looks(const unsigned char *in, size_t len)
{
  return len >= SEAL_V2_OVERHEAD && in[0] == SEAL_V2_VERSION &&
         (in[1] == SEAL_COMP_NONE || in[1] == SEAL_COMP_ZSTD);
}

/* Decompresses a magic-less frame (which *frame has 4 bytes of room before) into *out, at most
 * SYNC_MAX_PAYLOAD bytes; the frame must end exactly at the end of the input. */
static sync_err_t decompress(const seal_dict_t *d, unsigned char *frame, size_t len,
                             char **out, size_t *out_len)
{
  memcpy(frame, ZSTD_MAGIC_LE, 4);
  ZSTD_DCtx *dc = ZSTD_createDCtx();
  size_t cap = 16384;
  char *buf = malloc(cap);
  sync_err_t rc = SYNC_ERR_NOMEM;
  if (!dc || !buf)
    goto done;
  rc = SYNC_ERR_INTERNAL;
  if (ZSTD_isError(ZSTD_DCtx_setParameter(dc, ZSTD_d_windowLogMax, SEAL_WINDOW)) ||
      (d && ZSTD_isError(ZSTD_DCtx_refDDict(dc, d->dd))))
    goto done;
  ZSTD_inBuffer in = { frame, len + 4, 0 };
  ZSTD_outBuffer o = { buf, cap - 1, 0 };
  for (;;) {
    size_t r = ZSTD_decompressStream(dc, &o, &in);
    rc = SYNC_ERR_CORRUPT;
    if (ZSTD_isError(r))
      goto done;
    if (r == 0)   /* the frame is complete */
      break;
    rc = SYNC_ERR_TOO_LARGE;
    if (o.pos == o.size) {   /* more output: grow, up to the payload limit (+1 to see past it) */
      if (cap > SYNC_MAX_PAYLOAD)
        goto done;
      size_t ncap = cap * 4 > SYNC_MAX_PAYLOAD + 2 ? SYNC_MAX_PAYLOAD + 2 : cap * 4;
      char *grown = malloc(ncap);
      rc = SYNC_ERR_NOMEM;
      if (!grown)
        goto done;
      memcpy(grown, buf, o.pos);
      sodium_memzero(buf, o.pos);
      free(buf);
      buf = grown;
      cap = ncap;
      o.dst = buf;
      o.size = cap - 1;
    } else if (in.pos == in.size) {   /* truncated frame */
      rc = SYNC_ERR_CORRUPT;
      goto done;
    }
  }
  rc = SYNC_ERR_CORRUPT;
  if (in.pos != in.size)
    goto done;
  rc = SYNC_ERR_TOO_LARGE;
  if (o.pos > SYNC_MAX_PAYLOAD)
    goto done;
  buf[o.pos] = '\0';
  *out = buf;
  *out_len = o.pos;
  buf = NULL;
  rc = SYNC_OK;
done:
  ZSTD_freeDCtx(dc);
  if (buf) {
    sodium_memzero(buf, cap);
    free(buf);
  }
  return rc;
}

sync_err_t seal_v2_open(const unsigned char sk[32], const unsigned char pk[32],
                        const seal_ident_t *id, const seal_dict_t *d, const unsigned char *in,
                        size_t len, char **out, size_t *out_len)
{
  *out = NULL;
  *out_len = 0;
  if (!seal_v2_looks(in, len))
    return SYNC_ERR_INVALID_ARG;
  uint32_t dict_id = (uint32_t)in[2] | (uint32_t)in[3] << 8 | (uint32_t)in[4] << 16 |
                     (uint32_t)in[5] << 24;
  if (in[1] == SEAL_COMP_NONE && dict_id != 0)
    return SYNC_ERR_CRYPTO;   /* never written so */
  if (dict_id != 0 && dict_id != seal_dict_id(d))
    return SYNC_ERR_STATE;
  unsigned char ad[AD_CAP], key[32];
  size_t adlen = make_ad(ad, sizeof ad, in, id);
  if (!adlen)
    return SYNC_ERR_INVALID_ARG;
  const unsigned char *eph_pk = in + SEAL_V2_HEADER;
  if (derive_key(key, sk, eph_pk, eph_pk, pk) != 0)
    return SYNC_ERR_CRYPTO;
  size_t clen = len - SEAL_V2_HEADER - 32, plen = clen - 16;
  unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = { 0 };
  unsigned char *plain = malloc(plen + 5);   /* 4 bytes for the zstd magic, 1 for a NUL */
  sync_err_t rc = SYNC_ERR_NOMEM;
  if (!plain)
    goto done;
  rc = SYNC_ERR_CRYPTO;
  unsigned long long got = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain + 4, &got, NULL, in + SEAL_V2_HEADER + 32,
                                                 clen, ad, adlen, nonce, key) != 0)
    goto done;
  if (in[1] == SEAL_COMP_ZSTD) {
    rc = decompress(dict_id ? d : NULL, plain, plen, out, out_len);
  } else {
    rc = SYNC_ERR_TOO_LARGE;
    if (plen > SYNC_MAX_PAYLOAD)
      goto done;
    memmove(plain, plain + 4, plen);
    plain[plen] = '\0';
    *out = (char *)plain;
    *out_len = plen;
    plain = NULL;
    rc = SYNC_OK;
  }
done:
  sodium_memzero(key, sizeof key);
  if (plain) {
    sodium_memzero(plain, plen + 5);
    free(plain);
  }
  return rc;
}
