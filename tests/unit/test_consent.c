/* Consent minimisation (proto/SECURITY.md 6): without consent, form_validate() and
 * form_evaluate() keep only the answers of without_consent fields and the consent field, and
 * form_check_consent() refuses a payload that carries more. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_seal.h"
#include "test_support.h"

#define TODAY 20600   /* 2026-05-27 */

static char *unquote(const char *s)
{
  char *out = strdup(s);
  assert_non_null(out);
  for (char *p = out; *p; p++)
    *p = *p == '\'' ? '"' : *p;
  return out;
}

/* consent is asked only when district is not 'skip'; full_name, story and count are not kept
 * without consent and are not gated by relevance, so only minimisation removes them. */
static form_t *small_form(const char *consent_type)
{
  char doc[2048];
  snprintf(doc, sizeof doc,
           "{'format':1,'form_id':'c','version':1,'default_language':'en','languages':['en'],"
           "'title':{'en':'C'},'consent_field':'consent','choice_lists':{'yn':["
           "{'name':'yes','label':{'en':'Y'}},{'name':'no','label':{'en':'N'}}]},"
           "'sections':[{'name':'s','label':{'en':'S'},'fields':["
           "{'name':'district','type':'text','label':{'en':'D'},'required':true,"
           "'without_consent':true},"
           "{'name':'consent','type':'%s','label':{'en':'C'},%s'required':true,"
           "'relevant':'${district} != \\u0027skip\\u0027'},"
           "{'name':'full_name','type':'text','label':{'en':'N'},'required':true},"
           "{'name':'name_copy','type':'calculate','calculation':'${full_name}',"
           "'without_consent':true},"
           "{'name':'story','type':'text','label':{'en':'S'}},"
           "{'name':'count','type':'calculate','calculation':'1'}]}]}",
           consent_type, strcmp(consent_type, "select_one") == 0 ? "'choices':'yn'," : "");
  char *json = unquote(doc);
  sync_err_t err;
  char msg[256];
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  if (!f)
    fail_msg("%s", msg);
  free(json);
  return f;
}

/* Validates in `mode` and checks the canonical payload. */
static void expect_canonical(const form_t *f, validate_mode_t mode, const char *payload,
                             const char *expected)
{
  char *out = NULL;
  issue_list_t issues = { NULL, 0, 0 };
  sync_err_t rc = form_validate(f, payload, strlen(payload), mode, "en", TODAY, &out, &issues);
  if (rc != SYNC_OK)
    fail_msg("%s: %s (%s: %s)", payload, sync_errname(rc),
             issues.count ? issues.items[0].field : "", issues.count ? issues.items[0].message : "");
  assert_string_equal(out, expected);
  char field[64];
  assert_int_equal(form_check_consent(f, out, strlen(out), field, sizeof field), SYNC_OK);
  free(out);
  issue_list_clear(&issues);
}

static void test_refused_consent_keeps_only_without_consent_answers(void **state)
{
  (void)state;
  form_t *f = small_form("select_one");
  const char *p = "{\"district\":\"X\",\"consent\":\"no\",\"full_name\":\"Siti\",\"story\":\"s\"}";
  for (int mode = VALIDATE_DRAFT; mode <= VALIDATE_FINAL; mode++) {
    expect_canonical(f, (validate_mode_t)mode, p, "{\"district\":\"X\",\"consent\":\"no\"}");
    /* a dropped answer is not judged: a wrong type raises nothing */
    expect_canonical(f, (validate_mode_t)mode,
                     "{\"district\":\"X\",\"consent\":\"no\",\"full_name\":5}",
                     "{\"district\":\"X\",\"consent\":\"no\"}");
  }
  /* required full_name is not required without consent */
  expect_canonical(f, VALIDATE_FINAL, "{\"district\":\"X\",\"consent\":\"no\"}",
                   "{\"district\":\"X\",\"consent\":\"no\"}");
  /* unanswered consent is no consent (a draft before the question) */
  expect_canonical(f, VALIDATE_DRAFT, "{\"district\":\"X\",\"full_name\":\"Siti\"}",
                   "{\"district\":\"X\"}");
  /* with consent everything is kept and computed */
  expect_canonical(f, VALIDATE_FINAL,
                   "{\"district\":\"X\",\"consent\":\"yes\",\"full_name\":\"Siti\",\"story\":\"s\"}",
                   "{\"district\":\"X\",\"consent\":\"yes\",\"full_name\":\"Siti\","
                   "\"name_copy\":\"Siti\",\"story\":\"s\",\"count\":1}");
  /* consent given to a question that was not asked does not count, and a kept calculation does
   * not copy a dropped answer */
  expect_canonical(f, VALIDATE_FINAL,
                   "{\"district\":\"skip\",\"consent\":\"yes\",\"full_name\":\"Siti\"}",
                   "{\"district\":\"skip\"}");

  /* without minimisation the missing required name would be an issue */
  issue_list_t issues = { NULL, 0, 0 };
  const char *no_name = "{\"district\":\"X\",\"consent\":\"yes\"}";
  assert_int_equal(form_validate(f, no_name, strlen(no_name), VALIDATE_FINAL, "en", TODAY, NULL,
                                 &issues), SYNC_ERR_VALIDATION);
  assert_int_equal(issues.count, 1);
  assert_string_equal(issues.items[0].field, "full_name");
  issue_list_clear(&issues);
  form_free(f);
}

static void test_yes_no_consent_field_counts_true_as_consent(void **state)
{
  (void)state;
  form_t *f = small_form("yes_no");
  expect_canonical(f, VALIDATE_FINAL,
                   "{\"district\":\"X\",\"consent\":false,\"full_name\":\"Siti\"}",
                   "{\"district\":\"X\",\"consent\":false}");
  expect_canonical(f, VALIDATE_FINAL,
                   "{\"district\":\"X\",\"consent\":true,\"full_name\":\"Siti\"}",
                   "{\"district\":\"X\",\"consent\":true,\"full_name\":\"Siti\","
                   "\"name_copy\":\"Siti\",\"count\":1}");
  char field[64];
  const char *more = "{\"district\":\"X\",\"consent\":false,\"full_name\":\"Siti\"}";
  assert_int_equal(form_check_consent(f, more, strlen(more), field, sizeof field),
                   SYNC_ERR_VALIDATION);
  assert_string_equal(field, "full_name");
  form_free(f);
}

static void test_evaluate_hides_and_drops_answers_without_consent(void **state)
{
  (void)state;
  form_t *f = small_form("select_one");
  const char *p = "{\"district\":\"X\",\"consent\":\"no\",\"full_name\":\"Siti\",\"story\":\"s\"}";
  char *out = NULL;
  assert_int_equal(form_evaluate(f, p, strlen(p), "en", TODAY, &out, NULL), SYNC_OK);
  assert_string_equal(out,
                      "{\"payload\":{\"district\":\"X\",\"consent\":\"no\"},\"relevant\":{"
                      "\"district\":true,\"consent\":true,\"full_name\":false,\"name_copy\":true,"
                      "\"story\":false,\"count\":false},\"issues\":[],\"complete\":true}");
  free(out);
  form_free(f);
}

static void test_check_consent_refuses_a_payload_that_carries_more(void **state)
{
  (void)state;
  form_t *f = small_form("select_one");
  char field[64];
  struct { const char *payload; sync_err_t rc; const char *field; } cases[] = {
    { "{\"district\":\"X\",\"consent\":\"no\",\"story\":\"s\"}", SYNC_ERR_VALIDATION, "story" },
    { "{\"district\":\"X\",\"full_name\":\"Siti\"}", SYNC_ERR_VALIDATION, "full_name" },
    { "{\"district\":\"X\",\"zzz\":1}", SYNC_ERR_VALIDATION, "zzz" },
    { "{\"district\":\"X\",\"consent\":\"no\",\"name_copy\":\"\"}", SYNC_OK, "" },
    { "{\"district\":\"X\",\"consent\":\"yes\",\"full_name\":\"Siti\"}", SYNC_OK, "" },
    { "{\"consent\":\"no\",\"consent\":\"yes\",\"full_name\":\"Siti\"}", SYNC_ERR_JSON, "" },
    { "{\"consent\":\"Yes\",\"full_name\":\"Siti\"}", SYNC_ERR_VALIDATION, "full_name" },
    { "[]", SYNC_ERR_JSON, "" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sync_err_t rc = form_check_consent(f, cases[i].payload, strlen(cases[i].payload), field,
                                       sizeof field);
    if (rc != cases[i].rc || strcmp(field, cases[i].field) != 0)
      fail_msg("%s: %s '%s'", cases[i].payload, sync_errname(rc), field);
  }
  form_free(f);
}

/* The reference form gates sections 2-7 on consent; the context section and the central
 * review fields are kept without it. */
static void test_reference_form_keeps_only_context_without_consent(void **state)
{
  (void)state;
  size_t len = 0;
  char *def = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  assert_non_null(def);
  sync_err_t err;
  char msg[256];
  form_t *f = form_parse(def, len, &err, msg, sizeof msg);
  assert_non_null(f);
  free(def);
  const char *context =
    "\"interview_date\":\"2026-05-20\",\"province\":\"32\",\"regency_code\":\"32.04\","
    "\"unit_type\":\"polres\",\"unit_name\":\"Polres Bandung\",\"interpreter_used\":false,"
    "\"safe_to_talk\":true";
  char payload[1024], expected[1024];
  snprintf(payload, sizeof payload,
           "{%s,\"consent\":\"no\",\"full_name\":\"Siti Aminah\",\"sex\":\"female\","
           "\"dob\":\"2008-04-01\",\"recruited_by\":\"sponsor\",\"need_medical\":true,"
           "\"officer_agrees\":true,\"case_status\":\"new\"}", context);
  snprintf(expected, sizeof expected, "{%s,\"consent\":\"no\",\"case_status\":\"new\"}", context);
  for (int mode = VALIDATE_DRAFT; mode <= VALIDATE_FINAL; mode++) {
    char *out = NULL;
    issue_list_t issues = { NULL, 0, 0 };
    sync_err_t rc = form_validate(f, payload, strlen(payload), (validate_mode_t)mode, "en",
                                  TODAY, &out, &issues);
    if (rc != SYNC_OK)
      fail_msg("%s: %s %s", sync_errname(rc), issues.count ? issues.items[0].field : "",
               issues.count ? issues.items[0].message : "");
    assert_string_equal(out, expected);
    free(out);
  }
  char *ev = NULL;
  assert_int_equal(form_evaluate(f, payload, strlen(payload), "en", TODAY, &ev, NULL), SYNC_OK);
  char prefix[1100];
  snprintf(prefix, sizeof prefix, "{\"payload\":%s,", expected);
  assert_true(strncmp(ev, prefix, strlen(prefix)) == 0);
  assert_non_null(strstr(ev, "\"full_name\":false"));
  assert_non_null(strstr(ev, "\"complete\":true"));
  free(ev);

  char field[64];
  assert_int_equal(form_check_consent(f, expected, strlen(expected), field, sizeof field), SYNC_OK);
  assert_int_equal(form_check_consent(f, payload, strlen(payload), field, sizeof field),
                   SYNC_ERR_VALIDATION);
  assert_string_equal(field, "full_name");
  form_free(f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_refused_consent_keeps_only_without_consent_answers),
    cmocka_unit_test(test_yes_no_consent_field_counts_true_as_consent),
    cmocka_unit_test(test_evaluate_hides_and_drops_answers_without_consent),
    cmocka_unit_test(test_check_consent_refuses_a_payload_that_carries_more),
    cmocka_unit_test(test_reference_form_keeps_only_context_without_consent),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
