/* The security blocks of a form (form_seal.h, proto/SECURITY.md 4 and 9): parsing `encryption`
 * and `duplicate_key`, the clear part, sealing to the central key and opening it again
 * (sync_seal_open), and the duplicate-detection hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <cjson/cJSON.h>

#include "form_seal.h"
#include "seal_v2.h"
#include "sync/seal.h"
#include "test_support.h"

/* base64 of 32 bytes 0x00..0x1f and of 32 bytes 0xff */
#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "//////////////////////////////////////////8="

/* Definitions are written with ' for " to stay readable. */
static char *unquote(const char *s)
{
  char *out = strdup(s);
  assert_non_null(out);
  for (char *p = out; *p; p++)
    *p = *p == '\'' ? '"' : *p;
  return out;
}

/* A form with province, full_name, dob, sex, age, story, a note, a calculation and a central
 * field, followed by the top-level keys in `extra` (",'encryption':{...}" or ""). */
static form_t *parse_with(const char *extra, sync_err_t *err, char *msg, size_t msglen)
{
  static char doc[16384];
  snprintf(doc, sizeof doc,
           "{'format':1,'form_id':'t','version':2,'default_language':'en','languages':['en'],"
           "'title':{'en':'T'},'choice_lists':{'sex':[{'name':'f','label':{'en':'F'}},"
           "{'name':'m','label':{'en':'M'}}],'status':[{'name':'open','label':{'en':'O'}}]},"
           "'sections':[{'name':'s','label':{'en':'S'},'fields':["
           "{'name':'province','type':'text','label':{'en':'P'}},"
           "{'name':'full_name','type':'text','label':{'en':'N'}},"
           "{'name':'dob','type':'date','label':{'en':'D'}},"
           "{'name':'sex','type':'select_one','label':{'en':'S'},'choices':'sex'},"
           "{'name':'age','type':'integer','label':{'en':'A'}},"
           "{'name':'story','type':'text','label':{'en':'S'}},"
           "{'name':'info','type':'note','label':{'en':'I'}},"
           "{'name':'adult','type':'calculate','calculation':'${age} >= 18'},"
           "{'name':'status','type':'select_one','label':{'en':'C'},'choices':'status',"
           "'appearance':'central'}]}]%s}", extra);
  char *json = unquote(doc);
  form_t *f = form_parse(json, strlen(json), err, msg, msglen);
  free(json);
  return f;
}

static form_t *parse_ok(const char *extra)
{
  sync_err_t err = SYNC_ERR_INTERNAL;
  char msg[512];
  form_t *f = parse_with(extra, &err, msg, sizeof msg);
  if (!f)
    fail_msg("refused: %s %s", sync_errname(err), msg);
  return f;
}

static void expect_refused(const char *extra, const char *substring)
{
  sync_err_t err = SYNC_OK;
  char msg[512] = "";
  form_t *f = parse_with(extra, &err, msg, sizeof msg);
  if (f || err != SYNC_ERR_FORM || !strstr(msg, substring))
    fail_msg("expected SYNC_ERR_FORM containing \"%s\", got %s \"%s\"", substring,
             sync_errname(err), f ? "(parsed)" : msg);
}

static void test_encryption_block_is_checked_precisely(void **state)
{
  (void)state;
  expect_refused(",'encryption':[]", "form 't' v2: 'encryption' must be an object");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':[],'clear':[]}",
                 "form 't' v2, encryption: unknown key 'clear'");
  expect_refused(",'encryption':{'clear_fields':[]}", "encryption: 'public_key' is missing");
  expect_refused(",'encryption':{'public_key':'AAEC','clear_fields':[]}",
                 "encryption: 'public_key' must be base64 (standard, padded) of exactly 32 bytes");
  expect_refused(",'encryption':{'public_key':'" KEY_A "AAAA','clear_fields':[]}",
                 "'public_key' must be base64");
  expect_refused(",'encryption':{'public_key':'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',"
                 "'clear_fields':[]}", "'public_key' must be base64");   /* no padding */
  expect_refused(",'encryption':{'public_key':'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-_',"
                 "'clear_fields':[]}", "'public_key' must be base64");   /* URL alphabet */
  expect_refused(",'encryption':{'public_key':7,'clear_fields':[]}", "'public_key' must be base64");
  expect_refused(",'encryption':{'public_key':'" KEY_A "'}",
                 "encryption: 'clear_fields' must be an array of field names");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':['province','nope']}",
                 "encryption: clear_fields: 'nope' is not a field of this form");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':[3]}",
                 "encryption: 'clear_fields' must hold field names");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':['info']}",
                 "encryption: clear_fields: 'info' is a note (it has no answer)");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':['sex','province','sex']}",
                 "encryption: clear_fields: 'sex' is listed twice");
  expect_refused(",'encryption':{'public_key':'" KEY_A "','clear_fields':[]},'encryption':{}",
                 "key 'encryption' appears twice");
}

static void test_duplicate_key_block_is_checked_precisely(void **state)
{
  (void)state;
  expect_refused(",'duplicate_key':'x'", "form 't' v2: 'duplicate_key' must be an object");
  expect_refused(",'duplicate_key':{'fields':['dob'],'key':'" KEY_A "','salt':1}",
                 "form 't' v2, duplicate_key: unknown key 'salt'");
  expect_refused(",'duplicate_key':{'fields':[],'key':'" KEY_A "'}",
                 "duplicate_key: 'fields' must be an array of 1 to 8 field names");
  expect_refused(",'duplicate_key':{'key':'" KEY_A "'}", "duplicate_key: 'fields' must be an array");
  expect_refused(",'duplicate_key':{'fields':['dob','dob','dob','dob','dob','dob','dob','dob',"
                 "'dob'],'key':'" KEY_A "'}", "duplicate_key: 'fields' lists more than 8 fields");
  expect_refused(",'duplicate_key':{'fields':['dob','full_name','dob'],'key':'" KEY_A "'}",
                 "duplicate_key: fields: 'dob' is listed twice");
  expect_refused(",'duplicate_key':{'fields':['dob','nope'],'key':'" KEY_A "'}",
                 "duplicate_key: fields: 'nope' is not a field of this form");
  expect_refused(",'duplicate_key':{'fields':['adult'],'key':'" KEY_A "'}",
                 "duplicate_key: fields: 'adult' must be a text, date, select_one or integer field");
  expect_refused(",'duplicate_key':{'fields':['dob']}", "duplicate_key: 'key' is missing");
  expect_refused(",'duplicate_key':{'fields':['dob'],'key':'AAAA'}",
                 "duplicate_key: 'key' must be base64 (standard, padded) of exactly 32 bytes");

  form_t *f = parse_ok(",'duplicate_key':{'fields':['full_name','dob','sex','age'],'key':'" KEY_A
                       "'}");
  assert_true(form_has_dedup(f));
  assert_false(form_is_encrypted(f));
  form_free(f);
}

static void test_select_one_consent_field_needs_a_yes_choice(void **state)
{
  (void)state;
  /* without a 'yes' choice consent could never be given and every answer would be dropped */
  expect_refused(",'consent_field':'sex'",
                 "form 't' v2: consent_field 'sex' has no choice 'yes' (the answer that records "
                 "consent)");
}

static void test_clear_fields_and_central_fields_stay_readable(void **state)
{
  (void)state;
  form_t *plain = parse_ok("");
  assert_false(form_is_encrypted(plain));
  assert_false(form_has_dedup(plain));
  assert_true(form_field_is_clear(plain, "full_name"));   /* nothing is sealed */
  assert_false(form_field_is_clear(plain, "nope"));

  form_t *f = parse_ok(",'encryption':{'public_key':'" KEY_A "','clear_fields':['province','age']}");
  assert_true(form_is_encrypted(f));
  assert_true(form_field_is_clear(f, "province"));
  assert_true(form_field_is_clear(f, "age"));
  assert_true(form_field_is_clear(f, "status"));          /* appearance central */
  assert_false(form_field_is_clear(f, "full_name"));
  assert_false(form_field_is_clear(f, "adult"));
  assert_false(form_field_is_clear(f, "nope"));

  const char *payload = "{\"province\":\"Jawa \\\"Barat\\\"\",\"full_name\":\"Siti\",\"age\":17,"
                        "\"adult\":false,\"status\":\"open\",\"zzz\":1}";
  char *clear = NULL;
  assert_int_equal(form_clear_part(f, payload, strlen(payload), &clear), SYNC_OK);
  assert_string_equal(clear, "{\"province\":\"Jawa \\\"Barat\\\"\",\"age\":17,\"status\":\"open\"}");
  free(clear);
  assert_int_equal(form_clear_part(f, "{}", 2, &clear), SYNC_OK);
  assert_string_equal(clear, "{}");
  free(clear);
  assert_int_equal(form_clear_part(f, "[1]", 3, &clear), SYNC_ERR_JSON);
  assert_null(clear);
  assert_int_equal(form_clear_part(f, "{\"age\":", 7, &clear), SYNC_ERR_JSON);
  assert_int_equal(form_clear_part(f, "{\"age\":1,\"age\":2}", 17, &clear), SYNC_ERR_JSON);

  char field[64];
  const char *ok = "{\"province\":\"x\",\"status\":\"open\"}";
  assert_int_equal(form_check_clear(f, ok, strlen(ok), field, sizeof field), SYNC_OK);
  assert_string_equal(field, "");
  assert_int_equal(form_check_clear(f, payload, strlen(payload), field, sizeof field),
                   SYNC_ERR_VALIDATION);
  assert_string_equal(field, "full_name");
  assert_int_equal(form_check_clear(f, "{\"zzz\":1}", 9, field, sizeof field), SYNC_ERR_VALIDATION);
  assert_string_equal(field, "zzz");
  assert_int_equal(form_check_clear(f, "nope", 4, NULL, 0), SYNC_ERR_JSON);
  assert_int_equal(form_check_clear(plain, payload, strlen(payload) , field, sizeof field),
                   SYNC_ERR_VALIDATION);   /* every field is clear, but zzz is no field */
  assert_string_equal(field, "zzz");
  form_free(plain);
  form_free(f);
}

/* A key pair and a form sealed to its public key. */
static form_t *sealed_form(char pub[SYNC_SEAL_KEY_B64_LEN + 1], char sec[SYNC_SEAL_KEY_B64_LEN + 1])
{
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  assert_int_equal(strlen(pub), SYNC_SEAL_KEY_B64_LEN);
  assert_int_equal(strlen(sec), SYNC_SEAL_KEY_B64_LEN);
  char extra[256];
  snprintf(extra, sizeof extra, ",'encryption':{'public_key':'%s','clear_fields':['province']}",
           pub);
  return parse_ok(extra);
}

/* Opens a text form_seal made for record `uuid` of `f` with the secret key `sec`: the answers
 * exactly as they were sealed (*out, NUL-terminated), or the error. */
static sync_err_t open_exact(const char *sec, const form_t *f, const char *uuid,
                             const char *sealed, char **out)
{
  unsigned char sk[32], pk[32];
  size_t n = 0, len = strlen(sealed), got = 0;
  if (sodium_base642bin(sk, 32, sec, strlen(sec), NULL, &n, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || n != 32)
    return SYNC_ERR_INVALID_ARG;
  assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
  unsigned char *raw = malloc(len + 1);
  assert_non_null(raw);
  sync_err_t rc = SYNC_ERR_INVALID_ARG;
  if (sodium_base642bin(raw, len + 1, sealed, len, NULL, &got, NULL,
                        sodium_base64_VARIANT_ORIGINAL) == 0) {
    seal_dict_t *d = NULL;
    assert_int_equal(form_seal_dict(f, &d), SYNC_OK);
    seal_ident_t id = { uuid, form_id(f), form_version(f) };
    size_t olen = 0;
    rc = seal_v2_open(sk, pk, &id, d, raw, got, out, &olen);
    seal_dict_free(d);
  }
  free(raw);
  return rc;
}

static const char PAYLOAD[] = "{\"province\":\"Jawa Barat\",\"full_name\":\"Siti \\u00e9 Aminah\","
                              "\"age\":17,\"adult\":false,\"story\":\"line\\nbreak\"}";

static void test_sealed_answers_open_with_the_central_key(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  form_t *f = sealed_form(pub, sec);
  char *sealed = NULL, *env = NULL;
  assert_int_equal(form_seal(f, "0190a0b2-0000-7000-8000-000000000001",
                             PAYLOAD, strlen(PAYLOAD), &sealed), SYNC_OK);
  assert_non_null(sealed);
  assert_null(strstr(sealed, "Siti"));
  /* v2: the answers alone, byte for byte; the record is bound, not repeated */
  assert_int_equal(open_exact(sec, f, "0190a0b2-0000-7000-8000-000000000001", sealed, &env),
                   SYNC_OK);
  assert_string_equal(env, PAYLOAD);
  free(env);
  env = (char *)1;
  assert_int_equal(open_exact(sec, f, "0190a0b2-0000-7000-8000-000000000002", sealed, &env),
                   SYNC_ERR_CRYPTO);
  assert_null(env);
  /* the v1 opener says it is a text for its record only */
  assert_int_equal(sync_seal_open(sec, sealed, &env), SYNC_ERR_STATE);

  /* sealing is randomised: the same answers never give the same text twice */
  char *again = NULL;
  assert_int_equal(form_seal(f, "u", PAYLOAD, strlen(PAYLOAD), &again), SYNC_OK);
  assert_string_not_equal(again, sealed);
  free(again);

  form_t *plain = parse_ok("");
  assert_int_equal(form_seal(plain, "u", "{}", 2, &again), SYNC_ERR_STATE);
  assert_null(again);
  assert_int_equal(form_seal(f, "u", "[]", 2, &again), SYNC_ERR_JSON);
  assert_int_equal(form_seal(f, NULL, "{}", 2, &again), SYNC_ERR_INVALID_ARG);
  form_free(plain);
  free(sealed);
  form_free(f);
}

static void test_any_altered_byte_of_a_sealed_text_fails_to_open(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  form_t *f = sealed_form(pub, sec);
  char *sealed = NULL;
  assert_int_equal(form_seal(f, "u1", "{\"age\":3}", 9, &sealed), SYNC_OK);
  size_t n = strlen(sealed);
  static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t padding = sealed[n - 1] == '=' ? (sealed[n - 2] == '=' ? 2 : 1) : 0;
  for (size_t i = 0; i + padding < n; i++) {
    char saved = sealed[i];
    /* another base64 letter that changes the decoded bits (the last letter before padding
     * carries unused low bits: change its high bits) */
    const char *pos = strchr(B64, saved);
    assert_non_null(pos);
    sealed[i] = B64[((size_t)(pos - B64) + 32) % 64];
    char *env = (char *)1;
    sync_err_t rc = open_exact(sec, f, "u1", sealed, &env);
    /* the header (first 8 base64 letters): not v2, or a dictionary this form has not */
    if (rc != SYNC_ERR_CRYPTO && !(i < 8 && (rc == SYNC_ERR_INVALID_ARG || rc == SYNC_ERR_STATE)))
      fail_msg("byte %zu altered: %s", i, sync_errname(rc));
    assert_null(env);
    sealed[i] = saved;
  }
  char *env = NULL;
  assert_int_equal(open_exact(sec, f, "u1", sealed, &env), SYNC_OK);
  assert_string_equal(env, "{\"age\":3}");
  free(env);
  free(sealed);
  form_free(f);
}

static void test_a_sealed_text_does_not_open_with_another_key(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  char pub2[SYNC_SEAL_KEY_B64_LEN + 1], sec2[SYNC_SEAL_KEY_B64_LEN + 1];
  form_t *f = sealed_form(pub, sec);
  assert_int_equal(sync_seal_keypair(pub2, sec2), SYNC_OK);
  assert_string_not_equal(sec, sec2);
  char *sealed = NULL, *env = (char *)1;
  assert_int_equal(form_seal(f, "u1", PAYLOAD, strlen(PAYLOAD), &sealed), SYNC_OK);
  assert_int_equal(open_exact(sec2, f, "u1", sealed, &env), SYNC_ERR_CRYPTO);
  assert_null(env);
  assert_int_equal(open_exact(pub, f, "u1", sealed, &env), SYNC_ERR_CRYPTO);   /* public is no secret */
  free(sealed);
  form_free(f);
}

/* encryption.dictionary: checked at parse (a zstd dictionary, its own id), and used to seal. */
static void test_a_form_dictionary_is_checked_and_compresses_sealed_answers(void **state)
{
  (void)state;
  size_t len = 0;
  char *golden = ts_golden("envelope/sealed-v2.json", &len);
  cJSON *doc = cJSON_Parse(golden);
  const char *dict = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "dictionary"));
  double id = cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "dictionary_id"));
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  char extra[8192];
  snprintf(extra, sizeof extra, ",'encryption':{'public_key':'%s','clear_fields':['province'],"
           "'dictionary':'%s','dictionary_id':%.0f}", pub, dict, id);
  form_t *f = parse_ok(extra);
  static const char story[] =
    "{\"province\":\"35\",\"full_name\":\"Dewi Rina\",\"story\":\"Dijanjikan kerja 12.\"}";
  char *sealed = NULL, *opened = NULL;
  assert_int_equal(form_seal(f, "u1", story, strlen(story), &sealed), SYNC_OK);
  unsigned char raw[1024];
  size_t n = 0;
  assert_int_equal(sodium_base642bin(raw, sizeof raw, sealed, strlen(sealed), NULL, &n, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(raw[1], SEAL_COMP_ZSTD);
  assert_int_equal((uint32_t)raw[2] | (uint32_t)raw[3] << 8 | (uint32_t)raw[4] << 16 |
                   (uint32_t)raw[5] << 24, (uint32_t)id);
  assert_int_equal(open_exact(sec, f, "u1", sealed, &opened), SYNC_OK);
  assert_string_equal(opened, story);
  free(opened);
  free(sealed);
  form_free(f);

  snprintf(extra, sizeof extra, ",'encryption':{'public_key':'%s','clear_fields':[],"
           "'dictionary':'%s'}", pub, dict);
  expect_refused(extra, "go together");
  snprintf(extra, sizeof extra, ",'encryption':{'public_key':'%s','clear_fields':[],"
           "'dictionary':'%s','dictionary_id':7}", pub, dict);
  expect_refused(extra, "is not the dictionary's id");
  snprintf(extra, sizeof extra, ",'encryption':{'public_key':'%s','clear_fields':[],"
           "'dictionary':'AAAAAAAAAAAA','dictionary_id':7}", pub);
  expect_refused(extra, "of a zstd dictionary");
  cJSON_Delete(doc);
  free(golden);
}

static void hash_of(const form_t *f, const char *payload, char out[65])
{
  assert_int_equal(form_dedup_hash(f, payload, strlen(payload), out), SYNC_OK);
}

static void test_dedup_hash_matches_the_same_person_written_differently(void **state)
{
  (void)state;
  form_t *f = parse_ok(",'duplicate_key':{'fields':['full_name','dob','sex','age'],'key':'" KEY_A
                       "'}");
  form_t *g = parse_ok(",'duplicate_key':{'fields':['full_name','dob','sex','age'],'key':'" KEY_B
                       "'}");
  form_t *plain = parse_ok("");
  char a[65], b[65], c[65];
  hash_of(f, "{\"full_name\":\"Siti Nur-Aminah\",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":17}", a);
  assert_int_equal(strlen(a), 64);
  for (size_t i = 0; i < 64; i++)
    assert_true((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
  hash_of(f, "{\"story\":\"x\",\"full_name\":\"  SITI\\t nur-AMINAH. \",\"dob\":\"2008-04-01\","
             "\"sex\":\"f\",\"age\":17.0}", b);
  assert_string_equal(a, b);
  hash_of(f, "{\"full_name\":\"Siti, Nur'Aminah\",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":17}",
          b);
  assert_string_equal(a, b);

  /* the exact bytes of SECURITY.md 9: n(f1) 0x1f n(f2) ... under the key (n() drops the
   * dashes of a date too) */
  unsigned char key[32];
  for (int i = 0; i < 32; i++)
    key[i] = (unsigned char)i;
  const char msg[] = "siti nuraminah\x1f" "20080401\x1f" "f\x1f" "17";
  unsigned char h[32];
  crypto_generichash(h, sizeof h, (const unsigned char *)msg, sizeof msg - 1, key, sizeof key);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  assert_string_equal(a, hex);

  hash_of(g, "{\"full_name\":\"Siti Nur-Aminah\",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":17}", c);
  assert_string_not_equal(a, c);   /* another key */
  hash_of(f, "{\"full_name\":\"Siti Nur Aminah\",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":17}", c);
  assert_string_not_equal(a, c);   /* a space where the dash was is another name */
  hash_of(f, "{\"full_name\":\"Siti Nur-Aminah\",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":-17}", c);
  assert_string_not_equal(a, c);   /* numbers are hashed as their decimal text */

  hash_of(f, "{\"full_name\":\"Siti\",\"dob\":\"2008-04-01\",\"sex\":\"f\"}", c);
  assert_string_equal(c, "");      /* age unanswered */
  hash_of(f, "{\"full_name\":\" .- \",\"dob\":\"2008-04-01\",\"sex\":\"f\",\"age\":1}", c);
  assert_string_equal(c, "");      /* a name that normalises to nothing */
  hash_of(f, "{\"full_name\":\"Siti\",\"dob\":null,\"sex\":\"f\",\"age\":1}", c);
  assert_string_equal(c, "");
  hash_of(plain, "{\"full_name\":\"Siti\"}", c);
  assert_string_equal(c, "");      /* no duplicate_key */

  assert_int_equal(form_dedup_hash(f, "{\"full_name\":1,\"dob\":\"x\",\"sex\":\"f\",\"age\":1}",
                                   47, c), SYNC_ERR_JSON);
  assert_int_equal(form_dedup_hash(f, "{\"full_name\":\"a\",\"dob\":\"x\",\"sex\":\"f\",\"age\":1.5}",
                                   51, c), SYNC_ERR_JSON);
  assert_string_equal(c, "");
  assert_int_equal(form_dedup_hash(f, "{", 1, c), SYNC_ERR_JSON);
  form_free(f);
  form_free(g);
  form_free(plain);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_encryption_block_is_checked_precisely),
    cmocka_unit_test(test_a_form_dictionary_is_checked_and_compresses_sealed_answers),
    cmocka_unit_test(test_duplicate_key_block_is_checked_precisely),
    cmocka_unit_test(test_select_one_consent_field_needs_a_yes_choice),
    cmocka_unit_test(test_clear_fields_and_central_fields_stay_readable),
    cmocka_unit_test(test_sealed_answers_open_with_the_central_key),
    cmocka_unit_test(test_any_altered_byte_of_a_sealed_text_fails_to_open),
    cmocka_unit_test(test_a_sealed_text_does_not_open_with_another_key),
    cmocka_unit_test(test_dedup_hash_matches_the_same_person_written_differently),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
