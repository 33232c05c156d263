/* libFuzzer target: the proof-of-delivery checkers, which read text an officer may hand in from
 * anywhere. Input starting with '#' is a stored proof text (receipt_proof_parse, then
 * receipt_proof_verify against fixed receipt values and a fixed key); any other input is a receipt
 * document (sync_receipt_verify). Invariants: only the documented codes; a proof that parses
 * formats back to a text that parses to the same parts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "receipt_proof.h"
#include "sync/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SERVER "0b7e4d2c-1a9f-4e6b-8c3d-5f2a9b1e7c64"
#define DEVICE "3f6b9c1e-2d4a-4b8f-9e7c-1a5d3c8b2f90"
#define HLC "001732690000000-00000-" DEVICE

static void check_proof(const char *text)
{
  static unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  static int have_pk;
  if (!have_pk) {
    unsigned char seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
    memset(seed, 0x5a, sizeof seed);
    if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0)
      abort();
    have_pk = 1;
  }
  size_t index, n, depth;
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  char sig[89];
  sync_err_t err = receipt_proof_parse(text, &index, &n, path, &depth, sig);
  if (err != SYNC_OK) {
    if (err != SYNC_ERR_INVALID_ARG)
      abort();
    return;
  }
  char *again = NULL;
  if (receipt_proof_format(index, n, path, depth, sig, &again) == SYNC_OK) {
    size_t index2, n2, depth2;
    receipt_hash_t path2[RECEIPT_MAX_DEPTH];
    char sig2[89];
    if (receipt_proof_parse(again, &index2, &n2, path2, &depth2, sig2) != SYNC_OK ||
        index2 != index || n2 != n || depth2 != depth || strcmp(sig, sig2) != 0 ||
        memcmp(path, path2, depth * sizeof path[0]) != 0)
      abort();
  }
  free(again);
  err = receipt_proof_verify(text, SERVER, DEVICE, DEVICE, 1, HLC, 1, 0, pk);
  if (err != SYNC_OK && err != SYNC_ERR_CRYPTO && err != SYNC_ERR_INVALID_ARG)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (size > 0 && text[0] == '#') {
    check_proof(text + 1);
  } else {
    sync_err_t err = sync_receipt_verify(text, NULL);
    if (err != SYNC_OK && err != SYNC_ERR_CRYPTO && err != SYNC_ERR_JSON &&
        err != SYNC_ERR_INVALID_ARG && err != SYNC_ERR_NOMEM)
      abort();
  }
  free(text);
  return 0;
}
