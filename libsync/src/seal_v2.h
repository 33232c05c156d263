/* Internal: the v2 sealed envelope (proto/SECURITY.md 4), binary:
 *
 *   header   0x02 (version) | compression (1 byte) | dictionary id (uint32, little-endian)
 *   eph_pk   32 bytes, the ephemeral X25519 public key
 *   box      XChaCha20-Poly1305-IETF(key, nonce = 24 zero bytes, AD, plaintext) with its 16-byte tag
 *
 *   key = BLAKE2b-256(X25519(eph_sk, recipient_pk) || eph_pk || recipient_pk)   (single use)
 *   AD  = "libsync-seal-v2\n" || header || u16le len || uuid || u16le len || form_id
 *         || u32le form_version
 *   plaintext = the answers (compact JSON object), compressed as the header says:
 *     SEAL_COMP_NONE  the JSON text itself
 *     SEAL_COMP_ZSTD  a zstd frame without its 4-byte magic number, content size, checksum or
 *                     dictionary id (the AEAD tag authenticates; the header names the dictionary)
 *
 * A v1 envelope (crypto_box_seal of a JSON envelope) has no header; its first byte is random, so
 * an opener tries v1 when a text that looks like v2 does not open as v2.
 *
 * Ownership: results through pointers are malloc'd (the caller frees; opened answers should be
 * wiped first). A dictionary is made once and shared read-only by any number of threads.
 */
#ifndef SYNC_SEAL_V2_H
#define SYNC_SEAL_V2_H

#include <stddef.h>
#include <stdint.h>

#include "sync/error.h"

#define SEAL_V2_VERSION   0x02
#define SEAL_COMP_NONE    0
#define SEAL_COMP_ZSTD    1
#define SEAL_V2_HEADER    6
#define SEAL_V2_OVERHEAD  (SEAL_V2_HEADER + 32 + 16)
#define SEAL_DICT_MAX     (256u * 1024u)   /* a dictionary in a definition, bytes */

/* The record a text is sealed for: bound as associated data. */
typedef struct seal_ident {
  const char *uuid;
  const char *form_id;
  int form_version;
} seal_ident_t;

/* A form's compression dictionary (a zstd dictionary with a non-zero id). */
typedef struct seal_dict seal_dict_t;

/* From its bytes (copied). SYNC_ERR_FORM when they are not a zstd dictionary with an id,
 * SYNC_ERR_TOO_LARGE beyond SEAL_DICT_MAX. */
sync_err_t seal_dict_new(const unsigned char *bytes, size_t len, seal_dict_t **out);
/* From base64 (standard, padded), as the definition's encryption.dictionary holds it. */
sync_err_t seal_dict_from_b64(const char *b64, seal_dict_t **out);
/* Prepares `d` for sealing many texts (a zstd CDict: the dictionary loaded once instead of on
 * every seal). Not thread-safe on `d`; call before sharing it. */
sync_err_t seal_dict_for_sealing(seal_dict_t *d);
uint32_t seal_dict_id(const seal_dict_t *d);
void seal_dict_free(seal_dict_t *d);

/* A dictionary of at most `dict_size` bytes (1 KiB .. SEAL_DICT_MAX) trained on `n` samples
 * (ZDICT_trainFromBuffer: the same samples give the same bytes and id). *out is malloc'd.
 * SYNC_ERR_INVALID_ARG when the samples are too few or too small to train on. seal_train.c. */
sync_err_t seal_dict_train(const char *const *samples, const size_t *lens, size_t n,
                           size_t dict_size, unsigned char **out, size_t *out_len);

/* Seals `answers` for `recipient_pk`. `d` may be NULL (compressed without a dictionary; stored
 * as is when that is not smaller). `eph_seed` NULL draws a random ephemeral key; a seed makes the
 * bytes reproducible and is for golden vectors and tests only. */
sync_err_t seal_v2_seal(const unsigned char recipient_pk[32], const seal_ident_t *id,
                        const seal_dict_t *d, const unsigned char *eph_seed, const char *answers,
                        size_t len, unsigned char **out, size_t *out_len);

/* The sealing step alone: `plain` (already compressed as `compression` says, with dictionary
 * `dict_id`, 0 for none) sealed under the header those make. For seal_v2_seal, and for golden
 * vectors and tests (with `eph_seed`). */
sync_err_t seal_v2_box(const unsigned char recipient_pk[32], const seal_ident_t *id,
                       int compression, uint32_t dict_id, const unsigned char *eph_seed,
                       const unsigned char *plain, size_t plen, unsigned char **out,
                       size_t *out_len);

/* 1 when `in` has a v2 header this library knows (it may still not open). */
int seal_v2_looks(const unsigned char *in, size_t len);

/* Opens a v2 text: *out the answers, NUL-terminated, at most SYNC_MAX_PAYLOAD bytes.
 * SYNC_ERR_CRYPTO when it does not open for this key and record (altered, another key, another
 * record or form); SYNC_ERR_STATE when it names a dictionary `d` is not (or `d` is NULL);
 * SYNC_ERR_TOO_LARGE when it decompresses past SYNC_MAX_PAYLOAD; SYNC_ERR_CORRUPT for a frame
 * that does not decompress; SYNC_ERR_INVALID_ARG for a text that is not v2. */
sync_err_t seal_v2_open(const unsigned char sk[32], const unsigned char pk[32],
                        const seal_ident_t *id, const seal_dict_t *d, const unsigned char *in,
                        size_t len, char **out, size_t *out_len);

#endif
