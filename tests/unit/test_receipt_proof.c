/* The Merkle proof of delivery (libsync/src/receipt_proof.h, proto/SECURITY.md 7): tree root,
 * sibling paths and the root rebuilt from a path agree for every leaf; a wrong sibling, index,
 * count or path length fails; the proof text round-trips and malformed texts are refused; the
 * response signature and one record's proof verify end to end and fail when any receipt field
 * changes. The construction (leaf and node tags, odd node carried up, signed text) is pinned by
 * hand-computed hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "receipt_proof.h"

#define DEVICE "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define SERVER "0b7e4d2c-1a9f-4e6b-8c3d-5f2a9b1e7c64"
#define OTHER "8e2f4a6c-1b3d-4f5e-a7c9-0d2e4f6a8b1c"
#define HLC "001732520000000-00000-" DEVICE
#define HLC2 "001732520000000-00001-" DEVICE
#define RECEIVED 1732520004397LL
#define MAX_LEAVES 500

/* Receipt i of a made-up response: its own uuid, revision i + 1, server_seq 1000 + i. */
typedef struct receipt {
  char uuid[64];
  int64_t revision, server_seq;
} receipt_t;

static receipt_t receipt_no(size_t i)
{
  receipt_t r;
  snprintf(r.uuid, sizeof r.uuid, "%08x-0000-4000-8000-%012x", (unsigned)i, (unsigned)(i * 7919));
  r.revision = (int64_t)i + 1;
  r.server_seq = 1000 + (int64_t)i;
  return r;
}

static void leaves_of(size_t n, receipt_hash_t *leaves)
{
  for (size_t i = 0; i < n; i++) {
    receipt_t r = receipt_no(i);
    assert_int_equal(receipt_leaf(SERVER, DEVICE, r.uuid, r.revision, HLC, r.server_seq, RECEIVED,
                                  leaves[i]),
                     SYNC_OK);
  }
}

static size_t ceil_log2(size_t n)
{
  size_t d = 0;
  while (((size_t)1 << d) < n)
    d++;
  return d;
}

static void check_every_index(size_t n)
{
  receipt_hash_t *leaves = malloc(n * sizeof *leaves), root, again;
  assert_non_null(leaves);
  leaves_of(n, leaves);
  assert_int_equal(receipt_tree_root(leaves, n, root), SYNC_OK);
  for (size_t i = 0; i < n; i++) {
    receipt_hash_t path[RECEIPT_MAX_DEPTH];
    size_t depth = 99;
    assert_int_equal(receipt_tree_path(leaves, n, i, path, &depth), SYNC_OK);
    assert_true(depth <= ceil_log2(n));
    memset(again, 0, sizeof again);
    assert_int_equal(receipt_root_from_path(leaves[i], i, n, path, depth, again), SYNC_OK);
    if (memcmp(again, root, sizeof root) != 0)
      fail_msg("n %zu index %zu: the path leads to another root", n, i);
  }
  free(leaves);
}

static void test_root_path_and_root_from_path_agree_for_every_index(void **state)
{
  (void)state;
  for (size_t n = 1; n <= 40; n++)
    check_every_index(n);
  check_every_index(MAX_LEAVES);
  /* One leaf: the root is the leaf, the path empty. */
  receipt_hash_t leaf, root, path[RECEIPT_MAX_DEPTH];
  size_t depth = 99;
  leaves_of(1, &leaf);
  assert_int_equal(receipt_tree_root(&leaf, 1, root), SYNC_OK);
  assert_memory_equal(root, leaf, RECEIPT_HASH_LEN);
  assert_int_equal(receipt_tree_path(&leaf, 1, 0, path, &depth), SYNC_OK);
  assert_int_equal(depth, 0);
  /* At most 9 sibling hashes for a full batch (SECURITY.md 7). */
  receipt_hash_t *leaves = malloc(MAX_LEAVES * sizeof *leaves);
  assert_non_null(leaves);
  leaves_of(MAX_LEAVES, leaves);
  assert_int_equal(receipt_tree_path(leaves, MAX_LEAVES, 0, path, &depth), SYNC_OK);
  assert_int_equal(depth, 9);
  assert_int_equal(receipt_tree_path(leaves, MAX_LEAVES, MAX_LEAVES, path, &depth),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_tree_root(leaves, 0, root), SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_tree_root(NULL, 3, root), SYNC_ERR_INVALID_ARG);
  free(leaves);
}

/* BLAKE2b-256 of tag || a || b (b may be NULL). */
static void tagged_hash(unsigned char tag, const void *a, size_t alen, const void *b, size_t blen,
                        receipt_hash_t out)
{
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, RECEIPT_HASH_LEN);
  crypto_generichash_update(&st, &tag, 1);
  crypto_generichash_update(&st, a, alen);
  if (b)
    crypto_generichash_update(&st, b, blen);
  crypto_generichash_final(&st, out, RECEIPT_HASH_LEN);
}

/* Known answer for n = 3, computed here from the definition: leaf = H(0x00 || text), node =
 * H(0x01 || left || right), the odd third leaf carried up to pair with the first node. */
static void test_a_three_leaf_root_is_the_documented_construction(void **state)
{
  (void)state;
  receipt_hash_t leaf[3], n01, root, got, path[RECEIPT_MAX_DEPTH];
  for (size_t i = 0; i < 3; i++) {
    receipt_t r = receipt_no(i);
    char text[512];
    assert_int_equal(proto_receipt_signed_text(SERVER, DEVICE, r.uuid, r.revision, HLC,
                                               r.server_seq, RECEIVED, text, sizeof text),
                     SYNC_OK);
    tagged_hash(0x00, text, strlen(text), NULL, 0, leaf[i]);
  }
  tagged_hash(0x01, leaf[0], RECEIPT_HASH_LEN, leaf[1], RECEIPT_HASH_LEN, n01);
  tagged_hash(0x01, n01, RECEIPT_HASH_LEN, leaf[2], RECEIPT_HASH_LEN, root);

  receipt_hash_t built[3];
  leaves_of(3, built);
  assert_memory_equal(built, leaf, sizeof leaf);
  assert_int_equal(receipt_tree_root(built, 3, got), SYNC_OK);
  assert_memory_equal(got, root, RECEIPT_HASH_LEN);
  /* Leaf 2 has one sibling (the node of 0 and 1); leaf 0 has two (leaf 1, then leaf 2). */
  size_t depth;
  assert_int_equal(receipt_tree_path(built, 3, 2, path, &depth), SYNC_OK);
  assert_int_equal(depth, 1);
  assert_memory_equal(path[0], n01, RECEIPT_HASH_LEN);
  assert_int_equal(receipt_tree_path(built, 3, 0, path, &depth), SYNC_OK);
  assert_int_equal(depth, 2);
  assert_memory_equal(path[0], leaf[1], RECEIPT_HASH_LEN);
  assert_memory_equal(path[1], leaf[2], RECEIPT_HASH_LEN);

  /* The signed text. */
  char text[RECEIPT_ROOT_TEXT_MAX], want[RECEIPT_ROOT_TEXT_MAX], hex[2 * RECEIPT_HASH_LEN + 1];
  sodium_bin2hex(hex, sizeof hex, root, RECEIPT_HASH_LEN);
  snprintf(want, sizeof want, "libsync-receipts-v2\n" SERVER "\n" DEVICE "\n3\n%s", hex);
  assert_int_equal(receipt_root_text(SERVER, DEVICE, 3, root, text, sizeof text), SYNC_OK);
  assert_string_equal(text, want);
  assert_int_equal(receipt_root_text(SERVER, DEVICE, 3, root, text, strlen(want)),
                   SYNC_ERR_TOO_LARGE);
  assert_int_equal(receipt_root_text(SERVER, DEVICE, 0, root, text, sizeof text),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_root_text("server", DEVICE, 3, root, text, sizeof text),
                   SYNC_ERR_INVALID_ARG);
}

/* A signed response of n made-up receipts, and the proof parts of leaf `index`. */
typedef struct signed_tree {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  receipt_hash_t leaves[MAX_LEAVES], root;
  size_t n;
  char sig[89];
} signed_tree_t;

static signed_tree_t *signed_tree(size_t n)
{
  signed_tree_t *t = calloc(1, sizeof *t);
  assert_non_null(t);
  crypto_sign_keypair(t->pk, t->sk);
  t->n = n;
  leaves_of(n, t->leaves);
  assert_int_equal(receipt_tree_root(t->leaves, n, t->root), SYNC_OK);
  assert_int_equal(receipt_sign_root(SERVER, DEVICE, n, t->root, t->sk, t->sig), SYNC_OK);
  return t;
}

static sync_err_t verify_leaf(const signed_tree_t *t, size_t index, size_t n,
                              const receipt_hash_t *path, size_t depth, size_t leaf_no)
{
  receipt_t r = receipt_no(leaf_no);
  return receipt_verify_parts(index, n, path, depth, t->sig, SERVER, DEVICE, r.uuid, r.revision,
                              HLC, r.server_seq, RECEIVED, t->pk);
}

static void test_a_wrong_sibling_index_count_or_path_length_fails(void **state)
{
  (void)state;
  static const size_t sizes[] = {2, 3, 7, 40, MAX_LEAVES};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    size_t n = sizes[s];
    signed_tree_t *t = signed_tree(n);
    size_t picks[] = {0, n / 2, n - 1};
    for (size_t p = 0; p < 3; p++) {
      size_t i = picks[p], depth;
      receipt_hash_t path[RECEIPT_MAX_DEPTH + 1];
      assert_int_equal(receipt_tree_path(t->leaves, n, i, path, &depth), SYNC_OK);
      assert_true(depth >= 1);
      assert_int_equal(verify_leaf(t, i, n, path, depth, i), SYNC_OK);
      for (size_t k = 0; k < depth; k++) { /* every sibling matters */
        path[k][k % RECEIPT_HASH_LEN] ^= 0x80;
        assert_int_equal(verify_leaf(t, i, n, path, depth, i), SYNC_ERR_CRYPTO);
        path[k][k % RECEIPT_HASH_LEN] ^= 0x80;
      }
      assert_int_equal(verify_leaf(t, i ^ 1, n, path, depth, i), SYNC_ERR_CRYPTO);
      assert_int_equal(verify_leaf(t, i, n, path, depth, i ^ 1), SYNC_ERR_CRYPTO);
      assert_int_equal(verify_leaf(t, n, n, path, depth, i), SYNC_ERR_CRYPTO);
      assert_int_equal(verify_leaf(t, i, n + 1, path, depth, i), SYNC_ERR_CRYPTO);
      assert_int_equal(verify_leaf(t, i, n - 1, path, depth, i), SYNC_ERR_CRYPTO);
      /* Truncated, one hash too many, longer than any tree, no leaves. */
      assert_int_equal(verify_leaf(t, i, n, path, depth - 1, i), SYNC_ERR_CRYPTO);
      memcpy(path[depth], path[0], RECEIPT_HASH_LEN);
      assert_int_equal(verify_leaf(t, i, n, path, depth + 1, i), SYNC_ERR_CRYPTO);
      receipt_hash_t root;
      const unsigned char *leaf = t->leaves[i];
      assert_int_equal(receipt_root_from_path(leaf, i, n, path, RECEIPT_MAX_DEPTH + 1, root),
                       SYNC_ERR_CRYPTO);
      assert_int_equal(receipt_root_from_path(leaf, i, 0, path, depth, root), SYNC_ERR_CRYPTO);
    }
    free(t);
  }
}

static void test_proof_text_round_trips(void **state)
{
  (void)state;
  signed_tree_t *t = signed_tree(40);
  receipt_hash_t path[RECEIPT_MAX_DEPTH], back[RECEIPT_MAX_DEPTH];
  size_t depth, index, n, depth2;
  char sig[89], *text = NULL;
  for (size_t i = 0; i < 40; i++) {
    assert_int_equal(receipt_tree_path(t->leaves, 40, i, path, &depth), SYNC_OK);
    assert_int_equal(receipt_proof_format(i, 40, path, depth, t->sig, &text), SYNC_OK);
    assert_int_equal(receipt_proof_parse(text, &index, &n, back, &depth2, sig), SYNC_OK);
    assert_int_equal(index, i);
    assert_int_equal(n, 40);
    assert_int_equal(depth2, depth);
    assert_memory_equal(back, path, depth * RECEIPT_HASH_LEN);
    assert_string_equal(sig, t->sig);
    receipt_t r = receipt_no(i);
    assert_int_equal(receipt_proof_verify(text, SERVER, DEVICE, r.uuid, r.revision, HLC,
                                          r.server_seq, RECEIVED, t->pk),
                     SYNC_OK);
    free(text);
  }
  /* The exact form: "<index>/<n>/<hex,hex>/<signature>", lower-case hex; an empty path for n 1. */
  char hex0[65], hex1[65], want[400];
  assert_int_equal(receipt_tree_path(t->leaves, 3, 0, path, &depth), SYNC_OK);
  sodium_bin2hex(hex0, sizeof hex0, path[0], RECEIPT_HASH_LEN);
  sodium_bin2hex(hex1, sizeof hex1, path[1], RECEIPT_HASH_LEN);
  snprintf(want, sizeof want, "0/3/%s,%s/%s", hex0, hex1, t->sig);
  assert_int_equal(receipt_proof_format(0, 3, path, depth, t->sig, &text), SYNC_OK);
  assert_string_equal(text, want);
  free(text);
  assert_int_equal(receipt_proof_format(0, 1, path, 0, t->sig, &text), SYNC_OK);
  snprintf(want, sizeof want, "0/1//%s", t->sig);
  assert_string_equal(text, want);
  assert_int_equal(receipt_proof_parse(text, &index, &n, back, &depth2, sig), SYNC_OK);
  assert_int_equal(depth2, 0);
  free(text);
  /* The formatter refuses what the parser would. */
  text = (char *)1;
  assert_int_equal(receipt_proof_format(3, 3, path, 2, t->sig, &text), SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_proof_format(0, 3, path, RECEIPT_MAX_DEPTH + 1, t->sig, &text),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_proof_format(0, 3, path, 2, "c2ln", &text), SYNC_ERR_INVALID_ARG);
  free(t);
}

static void test_malformed_proof_texts_are_refused(void **state)
{
  (void)state;
  signed_tree_t *t = signed_tree(3);
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  size_t depth, index, n;
  char sig[89], hex[65], hexes[17 * 65 + 1] = "", text[2048];
  assert_int_equal(receipt_tree_path(t->leaves, 3, 0, path, &depth), SYNC_OK);
  sodium_bin2hex(hex, sizeof hex, path[0], RECEIPT_HASH_LEN);
  char bad_hex[65];
  snprintf(bad_hex, sizeof bad_hex, "%s", hex);
  bad_hex[40] = 'g';
  for (size_t i = 0; i < 17; i++) {
    strcat(hexes, i ? "," : "");
    strcat(hexes, hex);
  }
#define REFUSED(...)                                                                               \
  do {                                                                                             \
    snprintf(text, sizeof text, __VA_ARGS__);                                                      \
    if (receipt_proof_parse(text, &index, &n, path, &depth, sig) != SYNC_ERR_INVALID_ARG)          \
      fail_msg("accepted: %s", text);                                                              \
  } while (0)
  REFUSED("0/3/%s,%s/%s", hex, bad_hex, t->sig);   /* bad hex */
  REFUSED("0/3/%s,%.63s/%s", hex, hex, t->sig);    /* short hex at the end */
  REFUSED("0/3/%s,%.62s/%s", hex, hex, t->sig);    /* short hex, whole bytes */
  REFUSED("0/3/%s,%sa/%s", hex, hex, t->sig);      /* 65 digits */
  REFUSED("0/3/%s,,%s/%s", hex, hex, t->sig);      /* empty level */
  REFUSED("0/3/%s%s/%s", hex, hex, t->sig);        /* no separator */
  REFUSED("0/3/%s,%s,/%s", hex, hex, t->sig);      /* trailing separator */
  REFUSED("3/3/%s,%s/%s", hex, hex, t->sig);       /* index >= n */
  REFUSED("0/0/%s,%s/%s", hex, hex, t->sig);       /* no leaves */
  REFUSED("x/3/%s,%s/%s", hex, hex, t->sig);       /* not a number */
  REFUSED("-1/3/%s,%s/%s", hex, hex, t->sig);
  REFUSED("0/3/%s,%s/%.87s", hex, hex, t->sig);    /* signature too short */
  REFUSED("0/3/%s,%s/%sA", hex, hex, t->sig);      /* and too long */
  REFUSED("0/3/%s,%s%s", hex, hex, t->sig);        /* no signature part */
  REFUSED("0/3/%s/%s", hexes, t->sig);             /* 17 levels */
  REFUSED("0/99999999999999999999999/%s/%s", hex, t->sig); /* overflow */
#undef REFUSED
  assert_int_equal(receipt_proof_parse("", &index, &n, path, &depth, sig), SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_proof_parse(NULL, &index, &n, path, &depth, sig), SYNC_ERR_INVALID_ARG);
  receipt_t r = receipt_no(0);
  assert_int_equal(receipt_proof_verify("0/3//x", SERVER, DEVICE, r.uuid, r.revision, HLC,
                                        r.server_seq, RECEIVED, t->pk),
                   SYNC_ERR_INVALID_ARG);
  free(t);
}

static void test_root_signature_verifies_with_its_key_only(void **state)
{
  (void)state;
  signed_tree_t *t = signed_tree(7);
  assert_int_equal(strlen(t->sig), 88);
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, t->root, t->sig, t->pk), SYNC_OK);
  /* It is a plain Ed25519 signature over receipt_root_text(). */
  char text[RECEIPT_ROOT_TEXT_MAX];
  unsigned char raw[crypto_sign_BYTES];
  size_t len = 0;
  assert_int_equal(receipt_root_text(SERVER, DEVICE, 7, t->root, text, sizeof text), SYNC_OK);
  assert_int_equal(sodium_base642bin(raw, sizeof raw, t->sig, strlen(t->sig), NULL, &len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(len, sizeof raw);
  assert_int_equal(
    crypto_sign_verify_detached(raw, (const unsigned char *)text, strlen(text), t->pk), 0);

  unsigned char pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk2, sk2);
  receipt_hash_t other;
  memcpy(other, t->root, sizeof other);
  other[0] ^= 1;
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, t->root, t->sig, pk2), SYNC_ERR_CRYPTO);
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, other, t->sig, t->pk), SYNC_ERR_CRYPTO);
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 8, t->root, t->sig, t->pk), SYNC_ERR_CRYPTO);
  assert_int_equal(receipt_verify_root(OTHER, DEVICE, 7, t->root, t->sig, t->pk), SYNC_ERR_CRYPTO);
  assert_int_equal(receipt_verify_root(SERVER, OTHER, 7, t->root, t->sig, t->pk), SYNC_ERR_CRYPTO);
  char sig[100];
  snprintf(sig, sizeof sig, "%.86s", t->sig);
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, t->root, sig, t->pk), SYNC_ERR_CRYPTO);
  snprintf(sig, sizeof sig, "%s", t->sig);
  sig[0] = sig[0] == '*' ? '#' : '*'; /* not base64 */
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, t->root, sig, t->pk), SYNC_ERR_CRYPTO);
  assert_int_equal(receipt_verify_root(SERVER, DEVICE, 7, t->root, NULL, t->pk),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_verify_root("x", DEVICE, 7, t->root, t->sig, t->pk),
                   SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_sign_root(SERVER, DEVICE, 0, t->root, t->sk, sig), SYNC_ERR_INVALID_ARG);
  /* Deterministic: the same root signs to the same text (a duplicate response repeats it). */
  assert_int_equal(receipt_sign_root(SERVER, DEVICE, 7, t->root, t->sk, sig), SYNC_OK);
  assert_string_equal(sig, t->sig);
  free(t);
}

/* One record's proof, checked on its own, fails when any value of its receipt changes. */
static void test_a_record_proof_verifies_end_to_end_and_every_field_counts(void **state)
{
  (void)state;
  signed_tree_t *t = signed_tree(40);
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  size_t depth, i = 13;
  char *proof = NULL;
  assert_int_equal(receipt_tree_path(t->leaves, t->n, i, path, &depth), SYNC_OK);
  assert_int_equal(receipt_proof_format(i, t->n, path, depth, t->sig, &proof), SYNC_OK);
  receipt_t r = receipt_no(i), o = receipt_no(i + 1);
  const unsigned char *pk = t->pk;
  assert_int_equal(receipt_proof_verify(proof, SERVER, DEVICE, r.uuid, r.revision, HLC,
                                        r.server_seq, RECEIVED, pk), SYNC_OK);
  assert_int_equal(receipt_verify_parts(i, t->n, path, depth, t->sig, SERVER, DEVICE, r.uuid,
                                        r.revision, HLC, r.server_seq, RECEIVED, pk), SYNC_OK);
  struct {
    const char *server, *device, *uuid, *hlc;
    int64_t revision, seq, received;
  } cases[] = {
    {OTHER, DEVICE, r.uuid, HLC, r.revision, r.server_seq, RECEIVED},
    {SERVER, OTHER, r.uuid, HLC, r.revision, r.server_seq, RECEIVED},
    {SERVER, DEVICE, o.uuid, HLC, r.revision, r.server_seq, RECEIVED},
    {SERVER, DEVICE, r.uuid, HLC2, r.revision, r.server_seq, RECEIVED},
    {SERVER, DEVICE, r.uuid, HLC, r.revision + 1, r.server_seq, RECEIVED},
    {SERVER, DEVICE, r.uuid, HLC, r.revision, r.server_seq + 1, RECEIVED},
    {SERVER, DEVICE, r.uuid, HLC, r.revision, r.server_seq, RECEIVED - 1},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sync_err_t rc = receipt_proof_verify(proof, cases[k].server, cases[k].device, cases[k].uuid,
                                         cases[k].revision, cases[k].hlc, cases[k].seq,
                                         cases[k].received, pk);
    if (rc != SYNC_ERR_CRYPTO)
      fail_msg("case %zu: rc %d, want SYNC_ERR_CRYPTO", k, rc);
  }
  unsigned char pk2[crypto_sign_PUBLICKEYBYTES], sk2[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(pk2, sk2);
  assert_int_equal(receipt_proof_verify(proof, SERVER, DEVICE, r.uuid, r.revision, HLC,
                                        r.server_seq, RECEIVED, pk2), SYNC_ERR_CRYPTO);
  /* Values no receipt can have are malformed, not forged. */
  assert_int_equal(receipt_proof_verify(proof, SERVER, DEVICE, r.uuid, 0, HLC, r.server_seq,
                                        RECEIVED, pk), SYNC_ERR_INVALID_ARG);
  assert_int_equal(receipt_proof_verify(proof, SERVER, DEVICE, "NOT-A-UUID", r.revision, HLC,
                                        r.server_seq, RECEIVED, pk), SYNC_ERR_INVALID_ARG);
  /* Another record's proof does not prove this one. */
  char *proof2 = NULL;
  assert_int_equal(receipt_tree_path(t->leaves, t->n, i + 1, path, &depth), SYNC_OK);
  assert_int_equal(receipt_proof_format(i + 1, t->n, path, depth, t->sig, &proof2), SYNC_OK);
  assert_int_equal(receipt_proof_verify(proof2, SERVER, DEVICE, r.uuid, r.revision, HLC,
                                        r.server_seq, RECEIVED, pk), SYNC_ERR_CRYPTO);
  free(proof2);
  free(proof);
  free(t);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_root_path_and_root_from_path_agree_for_every_index),
    cmocka_unit_test(test_a_three_leaf_root_is_the_documented_construction),
    cmocka_unit_test(test_a_wrong_sibling_index_count_or_path_length_fails),
    cmocka_unit_test(test_proof_text_round_trips),
    cmocka_unit_test(test_malformed_proof_texts_are_refused),
    cmocka_unit_test(test_root_signature_verifies_with_its_key_only),
    cmocka_unit_test(test_a_record_proof_verifies_end_to_end_and_every_field_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
