/* The Merkle proof of delivery (receipt_proof.h, proto/SECURITY.md 7). */
#include "receipt_proof.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define SIG_LEN crypto_sign_BYTES
#define SIG_B64_LEN 88
#define LEAF_TEXT_MAX 512

sync_err_t receipt_leaf(const char *server_id, const char *device_id, const char *uuid,
                        int64_t revision, const char *hlc, int64_t server_seq, int64_t received_at,
                        receipt_hash_t leaf)
{
  char text[LEAF_TEXT_MAX];
  sync_err_t err = proto_receipt_signed_text(server_id, device_id, uuid, revision, hlc, server_seq,
                                             received_at, text, sizeof text);
  if (err != SYNC_OK)
    return SYNC_ERR_INVALID_ARG;
  static const unsigned char tag = 0x00; /* leaves and nodes never hash alike */
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, RECEIPT_HASH_LEN);
  crypto_generichash_update(&st, &tag, 1);
  crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
  crypto_generichash_final(&st, leaf, RECEIPT_HASH_LEN);
  return SYNC_OK;
}

static void node_hash(const receipt_hash_t left, const receipt_hash_t right, receipt_hash_t out)
{
  static const unsigned char tag = 0x01;
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, RECEIPT_HASH_LEN);
  crypto_generichash_update(&st, &tag, 1);
  crypto_generichash_update(&st, left, RECEIPT_HASH_LEN);
  crypto_generichash_update(&st, right, RECEIPT_HASH_LEN);
  crypto_generichash_final(&st, out, RECEIPT_HASH_LEN);
}

sync_err_t receipt_tree_build(const receipt_hash_t *leaves, size_t n, receipt_tree_t *out)
{
  out->nodes = NULL;
  out->n = 0;
  if (!leaves || n == 0 || n > ((size_t)1 << RECEIPT_MAX_DEPTH))
    return SYNC_ERR_INVALID_ARG;
  /* The levels of a tree over n leaves: n + n/2 + ... < 2n + depth (odd nodes carried up). */
  receipt_hash_t *nodes = malloc((2 * n + RECEIPT_MAX_DEPTH) * sizeof *nodes);
  if (!nodes)
    return SYNC_ERR_NOMEM;
  memcpy(nodes, leaves, n * sizeof *nodes);
  for (size_t base = 0, w = n; w > 1; base += w, w = (w + 1) / 2)
    for (size_t i = 0; i < w; i += 2) {
      unsigned char *node = nodes[base + w + i / 2];
      if (i + 1 < w)
        node_hash(nodes[base + i], nodes[base + i + 1], node);
      else
        memcpy(node, nodes[base + i], RECEIPT_HASH_LEN);
    }
  out->nodes = nodes;
  out->n = n;
  return SYNC_OK;
}

const unsigned char *receipt_tree_top(const receipt_tree_t *t)
{
  size_t base = 0;
  for (size_t w = t->n; w > 1; w = (w + 1) / 2)
    base += w;
  return t->nodes[base];
}

size_t receipt_tree_leaf_path(const receipt_tree_t *t, size_t index,
                              receipt_hash_t path[RECEIPT_MAX_DEPTH])
{
  size_t d = 0;
  for (size_t base = 0, w = t->n, at = index; w > 1; base += w, w = (w + 1) / 2, at /= 2)
    if ((at ^ 1) < w)
      memcpy(path[d++], t->nodes[base + (at ^ 1)], RECEIPT_HASH_LEN);
  return d;
}

void receipt_tree_free(receipt_tree_t *t)
{
  free(t->nodes);
  t->nodes = NULL;
  t->n = 0;
}

sync_err_t receipt_tree_root(const receipt_hash_t *leaves, size_t n, receipt_hash_t root)
{
  receipt_tree_t t;
  sync_err_t err = receipt_tree_build(leaves, n, &t);
  if (err != SYNC_OK)
    return err;
  memcpy(root, receipt_tree_top(&t), RECEIPT_HASH_LEN);
  receipt_tree_free(&t);
  return SYNC_OK;
}

sync_err_t receipt_tree_path(const receipt_hash_t *leaves, size_t n, size_t index,
                             receipt_hash_t path[RECEIPT_MAX_DEPTH], size_t *depth)
{
  if (index >= n)
    return SYNC_ERR_INVALID_ARG;
  receipt_tree_t t;
  sync_err_t err = receipt_tree_build(leaves, n, &t);
  if (err != SYNC_OK)
    return err;
  *depth = receipt_tree_leaf_path(&t, index, path);
  receipt_tree_free(&t);
  return SYNC_OK;
}

sync_err_t receipt_root_from_path(const receipt_hash_t leaf, size_t index, size_t n,
                                  const receipt_hash_t *path, size_t depth, receipt_hash_t root)
{
  if (n == 0 || index >= n || n > ((size_t)1 << RECEIPT_MAX_DEPTH) || depth > RECEIPT_MAX_DEPTH)
    return SYNC_ERR_CRYPTO;
  receipt_hash_t cur;
  memcpy(cur, leaf, RECEIPT_HASH_LEN);
  size_t used = 0;
  /* Same walk as the tree: at each level the node either has a sibling (consume one path hash)
   * or is the odd last node (carried up). */
  for (size_t at = index, width = n; width > 1; at /= 2, width = (width + 1) / 2) {
    size_t sib = at ^ 1;
    if (sib >= width)
      continue;
    if (used == depth)
      return SYNC_ERR_CRYPTO;
    if (at & 1)
      node_hash(path[used], cur, cur);
    else
      node_hash(cur, path[used], cur);
    used++;
  }
  if (used != depth)
    return SYNC_ERR_CRYPTO;
  memcpy(root, cur, RECEIPT_HASH_LEN);
  return SYNC_OK;
}

sync_err_t receipt_root_text(const char *server_id, const char *device_id, size_t n,
                             const receipt_hash_t root, char *buf, size_t len)
{
  if (!proto_uuid_valid(server_id) || !proto_uuid_valid(device_id) || n == 0 || !buf)
    return SYNC_ERR_INVALID_ARG;
  char hex[2 * RECEIPT_HASH_LEN + 1];
  sodium_bin2hex(hex, sizeof hex, root, RECEIPT_HASH_LEN);
  int w = snprintf(buf, len, "libsync-receipts-v2\n%s\n%s\n%zu\n%s", server_id, device_id, n, hex);
  return w < 0 || (size_t)w >= len ? SYNC_ERR_TOO_LARGE : SYNC_OK;
}

sync_err_t receipt_sign_root(const char *server_id, const char *device_id, size_t n,
                             const receipt_hash_t root, const unsigned char *secret_key,
                             char sig_b64[89])
{
  char text[RECEIPT_ROOT_TEXT_MAX];
  unsigned char sig[SIG_LEN];
  sync_err_t err = receipt_root_text(server_id, device_id, n, root, text, sizeof text);
  if (err != SYNC_OK)
    return err;
  if (crypto_sign_detached(sig, NULL, (const unsigned char *)text, strlen(text), secret_key) != 0)
    return SYNC_ERR_CRYPTO;
  sodium_bin2base64(sig_b64, SIG_B64_LEN + 1, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
  return SYNC_OK;
}

sync_err_t receipt_verify_root(const char *server_id, const char *device_id, size_t n,
                               const receipt_hash_t root, const char *sig_b64,
                               const unsigned char *public_key)
{
  char text[RECEIPT_ROOT_TEXT_MAX];
  unsigned char sig[SIG_LEN];
  size_t sig_len = 0;
  if (!sig_b64 || !public_key ||
      receipt_root_text(server_id, device_id, n, root, text, sizeof text) != SYNC_OK)
    return SYNC_ERR_INVALID_ARG;
  if (strlen(sig_b64) != SIG_B64_LEN ||
      sodium_base642bin(sig, sizeof sig, sig_b64, SIG_B64_LEN, NULL, &sig_len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || sig_len != SIG_LEN)
    return SYNC_ERR_CRYPTO;
  return crypto_sign_verify_detached(sig, (const unsigned char *)text, strlen(text), public_key) == 0
           ? SYNC_OK : SYNC_ERR_CRYPTO;
}

sync_err_t receipt_proof_format(size_t index, size_t n, const receipt_hash_t *path, size_t depth,
                                const char *sig_b64, char **out)
{
  if (!out || index >= n || depth > RECEIPT_MAX_DEPTH || !sig_b64 || strlen(sig_b64) != SIG_B64_LEN)
    return SYNC_ERR_INVALID_ARG;
  size_t cap = 64 + depth * (2 * RECEIPT_HASH_LEN + 1) + SIG_B64_LEN;
  char *s = malloc(cap);
  if (!s)
    return SYNC_ERR_NOMEM;
  size_t at = (size_t)snprintf(s, cap, "%zu/%zu/", index, n);
  for (size_t i = 0; i < depth; i++) {
    if (i > 0)
      s[at++] = ',';
    sodium_bin2hex(s + at, cap - at, path[i], RECEIPT_HASH_LEN);
    at += 2 * RECEIPT_HASH_LEN;
  }
  snprintf(s + at, cap - at, "/%s", sig_b64);
  *out = s;
  return SYNC_OK;
}

/* 1 if the n characters are lower-case hex digits (the canonical form the documents use). */
static int lower_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

/* Reads a decimal size_t from *p up to `stop`; advances past it. */
static int read_size(const char **p, char stop, size_t *out)
{
  const char *s = *p;
  size_t v = 0;
  if (*s < '0' || *s > '9')
    return -1;
  for (; *s >= '0' && *s <= '9'; s++) {
    if (v > (SIZE_MAX - 9) / 10)
      return -1;
    v = v * 10 + (size_t)(*s - '0');
  }
  if (*s != stop)
    return -1;
  *p = s + 1;
  *out = v;
  return 0;
}

sync_err_t receipt_proof_parse(const char *proof, size_t *index, size_t *n,
                               receipt_hash_t path[RECEIPT_MAX_DEPTH], size_t *depth,
                               char sig_b64[89])
{
  const char *p = proof;
  if (!p || read_size(&p, '/', index) != 0 || read_size(&p, '/', n) != 0 || *index >= *n ||
      *n > ((size_t)1 << RECEIPT_MAX_DEPTH))
    return SYNC_ERR_INVALID_ARG;
  size_t d = 0;
  while (*p != '/') {
    if (d == RECEIPT_MAX_DEPTH || (d > 0 && *p++ != ','))
      return SYNC_ERR_INVALID_ARG;
    size_t bin_len = 0;
    const char *end = NULL;
    if (strnlen(p, 2 * RECEIPT_HASH_LEN) != 2 * RECEIPT_HASH_LEN || !lower_hex(p, 2 * RECEIPT_HASH_LEN) ||
        sodium_hex2bin(path[d], RECEIPT_HASH_LEN, p, 2 * RECEIPT_HASH_LEN, NULL, &bin_len, &end) != 0 ||
        bin_len != RECEIPT_HASH_LEN)
      return SYNC_ERR_INVALID_ARG;
    p = end;
    d++;
  }
  p++;
  if (strlen(p) != SIG_B64_LEN)
    return SYNC_ERR_INVALID_ARG;
  memcpy(sig_b64, p, SIG_B64_LEN + 1);
  *depth = d;
  return SYNC_OK;
}

sync_err_t receipt_verify_parts(size_t index, size_t n, const receipt_hash_t *path, size_t depth,
                                const char *sig_b64, const char *server_id, const char *device_id,
                                const char *uuid, int64_t revision, const char *hlc,
                                int64_t server_seq, int64_t received_at,
                                const unsigned char *public_key)
{
  receipt_hash_t leaf, root;
  if (receipt_leaf(server_id, device_id, uuid, revision, hlc, server_seq, received_at, leaf) != SYNC_OK)
    return SYNC_ERR_INVALID_ARG;
  if (receipt_root_from_path(leaf, index, n, path, depth, root) != SYNC_OK)
    return SYNC_ERR_CRYPTO;
  return receipt_verify_root(server_id, device_id, n, root, sig_b64, public_key);
}

sync_err_t receipt_proof_verify(const char *proof, const char *server_id, const char *device_id,
                                const char *uuid, int64_t revision, const char *hlc,
                                int64_t server_seq, int64_t received_at,
                                const unsigned char *public_key)
{
  size_t index, n, depth;
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  char sig[SIG_B64_LEN + 1];
  sync_err_t err = receipt_proof_parse(proof, &index, &n, path, &depth, sig);
  if (err != SYNC_OK)
    return err;
  return receipt_verify_parts(index, n, path, depth, sig, server_id, device_id, uuid, revision, hlc,
                              server_seq, received_at, public_key);
}
