/* The reference TPPO screening form (proto/forms/tppo_screening.v1.json) against its golden
 * examples (proto/forms/examples/, expected results in expected.json): it parses, every valid
 * example validates FINAL with the expected derived values, every invalid example reports exactly
 * the expected fields, and the consent and child rules hold. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "form_def.h"
#include "test_support.h"

#define FORM_PATH "proto/forms/tppo_screening.v1.json"
#define EXAMPLES "proto/forms/examples/"

typedef struct fixture {
  form_t *form;
  cJSON *expected;
  int32_t today;
} fixture_t;

static int setup(void **state)
{
  fixture_t *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  size_t len = 0;
  char *json = ts_source_file(FORM_PATH, &len);
  assert_non_null(json);
  sync_err_t err = SYNC_OK;
  char msg[512] = "";
  fx->form = form_parse(json, len, &err, msg, sizeof msg);
  if (!fx->form)
    fail_msg("form_parse: %s (%d)", msg, (int)err);
  free(json);

  char *exp = ts_source_file(EXAMPLES "expected.json", NULL);
  assert_non_null(exp);
  fx->expected = cJSON_Parse(exp);
  free(exp);
  assert_non_null(fx->expected);
  const cJSON *today = cJSON_GetObjectItemCaseSensitive(fx->expected, "today");
  assert_true(cJSON_IsString(today));
  assert_int_equal(expr_parse_date(today->valuestring, &fx->today), 0);
  *state = fx;
  return 0;
}

static int teardown(void **state)
{
  fixture_t *fx = *state;
  form_free(fx->form);
  cJSON_Delete(fx->expected);
  free(fx);
  return 0;
}

static void print_issues(const issue_list_t *issues)
{
  for (size_t i = 0; i < issues->count; i++)
    print_message("  issue: field '%s' code '%s': %s\n", issues->items[i].field,
                  issues->items[i].code, issues->items[i].message);
}

/* Validates FINAL; on success returns the parsed canonical payload (caller deletes). */
static cJSON *validate_ok(const fixture_t *fx, const char *json, const char *what)
{
  issue_list_t issues = {0};
  char *canon = NULL;
  sync_err_t rc = form_validate(fx->form, json, strlen(json), VALIDATE_FINAL, "en", fx->today,
                                &canon, &issues);
  if (rc != SYNC_OK) {
    print_message("%s: form_validate returned %d\n", what, (int)rc);
    print_issues(&issues);
    issue_list_clear(&issues);
    fail_msg("%s should be valid", what);
  }
  assert_int_equal(issues.count, 0);
  assert_non_null(canon);
  cJSON *out = cJSON_Parse(canon);
  free(canon);
  assert_non_null(out);
  return out;
}

static cJSON *load_example(const char *name)
{
  char path[256];
  snprintf(path, sizeof path, EXAMPLES "%s", name);
  char *text = ts_source_file(path, NULL);
  if (!text)
    fail_msg("cannot read %s", path);
  cJSON *j = cJSON_Parse(text);
  free(text);
  assert_non_null(j);
  return j;
}

static cJSON *validate_json_ok(const fixture_t *fx, const cJSON *payload, const char *what)
{
  char *text = cJSON_PrintUnformatted(payload);
  assert_non_null(text);
  cJSON *out = validate_ok(fx, text, what);
  free(text);
  return out;
}

static double number_of(const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(v))
    fail_msg("'%s' is not a number in the canonical payload", key);
  return v->valuedouble;
}

static const char *string_of(const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsString(v))
    fail_msg("'%s' is not a string in the canonical payload", key);
  return v->valuestring;
}

static void set_string(cJSON *obj, const char *key, const char *value)
{
  cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
  assert_non_null(cJSON_AddStringToObject(obj, key, value));
}

static void test_form_parses_with_expected_shape(void **state)
{
  fixture_t *fx = *state;
  assert_string_equal(form_id(fx->form), "tppo_screening");
  assert_int_equal(form_version(fx->form), 1);
  assert_string_equal(form_title(fx->form, "id"), "Skrining Korban TPPO");
  assert_string_equal(form_title(fx->form, "en"), "TPPO Victim Screening");
  size_t n = form_field_count(fx->form);
  assert_true(n >= 80 && n <= 110);

  /* The seven interview sections of shared/domain/screening.md, then central staff's follow-up. */
  static const char *const sections[] = {"context", "person", "migration", "amp", "ilo",
                                         "needs", "outcome", "central_review"};
  size_t s = 0, calcs = 0, province = (size_t)-1;
  for (size_t i = 0; i < n; i++) {
    const char *sec = form_field_section(fx->form, i);
    while (s < 8 && strcmp(sec, sections[s]) != 0)
      s++;
    if (s == 8)
      fail_msg("field '%s' in unexpected section '%s'", form_field_name(fx->form, i), sec);
    calcs += form_field_type(fx->form, i) == FIELD_CALCULATE;
    if (!strcmp(form_field_name(fx->form, i), "province"))
      province = i;
  }
  assert_int_equal(calcs, 8);
  assert_true(province != (size_t)-1);
  assert_int_equal(form_field_choice_count(fx->form, province), 38);
}

static void test_valid_examples_yield_expected_values(void **state)
{
  fixture_t *fx = *state;
  const cJSON *valid = cJSON_GetObjectItemCaseSensitive(fx->expected, "valid");
  assert_true(cJSON_IsObject(valid));
  int checked = 0;
  const cJSON *file;
  cJSON_ArrayForEach(file, valid) {
    cJSON *payload = load_example(file->string);
    cJSON *out = validate_json_ok(fx, payload, file->string);
    const cJSON *want;
    cJSON_ArrayForEach(want, file) {
      const cJSON *got = cJSON_GetObjectItemCaseSensitive(out, want->string);
      if (cJSON_IsNull(want)) {
        if (got)
          fail_msg("%s: '%s' should be absent", file->string, want->string);
      } else if (cJSON_IsNumber(want)) {
        if (!cJSON_IsNumber(got) || got->valuedouble != want->valuedouble)
          fail_msg("%s: '%s' should be %g", file->string, want->string, want->valuedouble);
      } else if (cJSON_IsString(want)) {
        if (!cJSON_IsString(got) || strcmp(got->valuestring, want->valuestring) != 0)
          fail_msg("%s: '%s' should be '%s'", file->string, want->string, want->valuestring);
      } else {
        fail_msg("expected.json: unsupported value for %s", want->string);
      }
    }
    cJSON_Delete(out);
    cJSON_Delete(payload);
    checked++;
  }
  assert_int_equal(checked, 4);
}

static int issue_has(const issue_list_t *issues, const char *field, const char *code)
{
  for (size_t i = 0; i < issues->count; i++)
    if (!strcmp(issues->items[i].field, field) && (!code || !strcmp(issues->items[i].code, code)))
      return 1;
  return 0;
}

static void test_invalid_examples_report_exactly_the_expected_fields(void **state)
{
  fixture_t *fx = *state;
  const cJSON *invalid = cJSON_GetObjectItemCaseSensitive(fx->expected, "invalid");
  const cJSON *codes = cJSON_GetObjectItemCaseSensitive(fx->expected, "invalid_codes");
  assert_true(cJSON_IsObject(invalid));
  int checked = 0;
  const cJSON *file;
  cJSON_ArrayForEach(file, invalid) {
    char path[256];
    snprintf(path, sizeof path, EXAMPLES "%s", file->string);
    size_t len = 0;
    char *text = ts_source_file(path, &len);
    assert_non_null(text);
    issue_list_t issues = {0};
    char *canon = NULL;
    sync_err_t rc = form_validate(fx->form, text, len, VALIDATE_FINAL, "id", fx->today, &canon,
                                  &issues);
    free(text);
    if (rc != SYNC_ERR_VALIDATION) {
      print_issues(&issues);
      fail_msg("%s: expected SYNC_ERR_VALIDATION, got %d", file->string, (int)rc);
    }
    assert_null(canon);
    int bad = 0;
    /* Every expected field is reported, with the expected code... */
    const cJSON *want_codes = cJSON_GetObjectItemCaseSensitive(codes, file->string);
    const cJSON *field;
    cJSON_ArrayForEach(field, file) {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(want_codes, field->valuestring);
      if (!issue_has(&issues, field->valuestring, cJSON_IsString(code) ? code->valuestring : NULL)) {
        print_message("%s: missing issue for '%s' (%s)\n", file->string, field->valuestring,
                      cJSON_IsString(code) ? code->valuestring : "any code");
        bad = 1;
      }
    }
    /* ...and nothing else. */
    for (size_t i = 0; i < issues.count; i++) {
      int expected = 0;
      cJSON_ArrayForEach(field, file)
        expected |= !strcmp(field->valuestring, issues.items[i].field);
      if (!expected) {
        print_message("%s: unexpected issue '%s' (%s): %s\n", file->string, issues.items[i].field,
                      issues.items[i].code, issues.items[i].message);
        bad = 1;
      }
      assert_true(strlen(issues.items[i].message) > 0);
    }
    if (bad) {
      print_issues(&issues);
      fail_msg("%s: reported fields differ from expected.json", file->string);
    }
    issue_list_clear(&issues);
    checked++;
  }
  assert_int_equal(checked, 7);
}

static void test_missing_answers_do_not_block_a_draft(void **state)
{
  fixture_t *fx = *state;
  size_t len = 0;
  char *text = ts_source_file(EXAMPLES "invalid_missing_required.json", &len);
  assert_non_null(text);
  issue_list_t issues = {0};
  sync_err_t rc = form_validate(fx->form, text, len, VALIDATE_DRAFT, "id", fx->today, NULL,
                                &issues);
  if (rc != SYNC_OK)
    print_issues(&issues);
  assert_int_equal(rc, SYNC_OK);
  issue_list_clear(&issues);
  free(text);
}

/* Validates FINAL expecting failure; returns 1 if `field` was reported with `code`. */
static int fails_on(const fixture_t *fx, const cJSON *payload, const char *field, const char *code)
{
  char *text = cJSON_PrintUnformatted(payload);
  assert_non_null(text);
  issue_list_t issues = {0};
  sync_err_t rc = form_validate(fx->form, text, strlen(text), VALIDATE_FINAL, "en", fx->today,
                                NULL, &issues);
  free(text);
  int found = rc == SYNC_ERR_VALIDATION && issue_has(&issues, field, code);
  if (!found)
    print_issues(&issues);
  issue_list_clear(&issues);
  return found;
}

static void test_regency_code_needs_a_literal_dot_and_the_province_prefix(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_child_entertainment.json");
  static const char *const bad[] = {"21a71", "21.7", "21.715", "2171", "32.12"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    set_string(payload, "regency_code", bad[i]);
    if (!fails_on(fx, payload, "regency_code", "constraint"))
      fail_msg("regency code '%s' accepted for province 21", bad[i]);
  }
  set_string(payload, "regency_code", "21.72");
  cJSON_Delete(validate_json_ok(fx, payload, "Kota Tanjung Pinang"));
  cJSON_Delete(payload);
}

static void test_date_of_birth_makes_the_estimated_age_irrelevant(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_child_entertainment.json");   /* estimated_age 16 */
  set_string(payload, "dob", "2001-01-05");
  cJSON *out = validate_json_ok(fx, payload, "dob and estimated age");
  assert_null(cJSON_GetObjectItemCaseSensitive(out, "estimated_age"));
  assert_true(number_of(out, "age_years") == 25);
  assert_true(number_of(out, "is_child") == 0);
  assert_string_equal(string_of(out, "result_category"), "needs_assessment");
  cJSON_Delete(out);

  set_string(payload, "dob", "2026-09-03");   /* the day after the interview */
  assert_true(fails_on(fx, payload, "dob", "constraint"));
  cJSON_Delete(payload);
}

static void test_consent_refused_drops_answers_of_sections_2_to_7(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_adult_fishing.json");
  set_string(payload, "consent", "no");
  cJSON *out = validate_json_ok(fx, payload, "fishing case with consent refused");

  size_t kept = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, out) {
    size_t i, n = form_field_count(fx->form);
    for (i = 0; i < n; i++)
      if (!strcmp(form_field_name(fx->form, i), item->string))
        break;
    if (i == n)
      fail_msg("canonical payload holds unknown key '%s'", item->string);
    if (strcmp(form_field_section(fx->form, i), "context") != 0)
      fail_msg("'%s' (section %s) kept without consent", item->string,
               form_field_section(fx->form, i));
    kept++;
  }
  assert_int_equal(kept, 8);   /* the eight context answers of the example */
  assert_string_equal(string_of(out, "consent"), "no");
  assert_string_equal(string_of(out, "regency_code"), "31.75");
  assert_null(cJSON_GetObjectItemCaseSensitive(out, "result_category"));
  cJSON_Delete(out);
  cJSON_Delete(payload);
}

static void test_child_without_means_is_still_indicated(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_child_entertainment.json");
  cJSON *out = validate_json_ok(fx, payload, "child case");
  assert_true(number_of(out, "is_child") == 1);
  assert_true(number_of(out, "means_count") == 0);
  assert_true(number_of(out, "tppo_indicated") == 1);
  assert_string_equal(string_of(out, "result_category"), "strong_indication");
  cJSON_Delete(out);

  /* The same answers for a 17-year-old given by date of birth: still a child. */
  cJSON_DeleteItemFromObjectCaseSensitive(payload, "estimated_age");
  set_string(payload, "dob", "2008-09-03");   /* 18 only the day after the interview */
  out = validate_json_ok(fx, payload, "child case with dob");
  assert_true(number_of(out, "age_years") == 17);
  assert_true(number_of(out, "is_child") == 1);
  assert_true(number_of(out, "tppo_indicated") == 1);
  assert_null(cJSON_GetObjectItemCaseSensitive(out, "estimated_age"));
  cJSON_Delete(out);
  cJSON_Delete(payload);
}

static void test_adult_without_means_is_not_indicated(void **state)
{
  fixture_t *fx = *state;
  /* The child case's answers for an adult: act and purpose but no means. */
  cJSON *payload = load_example("valid_child_entertainment.json");
  cJSON_DeleteItemFromObjectCaseSensitive(payload, "estimated_age");
  assert_non_null(cJSON_AddNumberToObject(payload, "estimated_age", 25));
  cJSON *out = validate_json_ok(fx, payload, "adult without means");
  assert_true(number_of(out, "is_child") == 0);
  assert_true(number_of(out, "means_count") == 0);
  assert_true(number_of(out, "tppo_indicated") == 0);
  assert_string_equal(string_of(out, "result_category"), "needs_assessment");
  cJSON_Delete(out);
  cJSON_Delete(payload);

  /* The fishing case with every means answered "no". */
  payload = load_example("valid_adult_fishing.json");
  static const char *const means[] = {"means_threat", "means_violence", "means_abduction",
    "means_confinement", "means_forgery", "means_deception", "means_abuse_of_power",
    "means_debt_bondage", "means_payment"};
  for (size_t i = 0; i < sizeof means / sizeof means[0]; i++)
    set_string(payload, means[i], "no");
  out = validate_json_ok(fx, payload, "fishing case without means");
  assert_true(number_of(out, "tppo_indicated") == 0);
  assert_true(number_of(out, "act_count") == 4);
  assert_string_equal(string_of(out, "result_category"), "needs_assessment");
  cJSON_Delete(out);
  cJSON_Delete(payload);
}

static void test_sent_calculated_values_are_replaced(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_no_indication.json");
  assert_non_null(cJSON_AddNumberToObject(payload, "is_child", 1));
  assert_non_null(cJSON_AddStringToObject(payload, "result_category", "strong_indication"));
  cJSON *out = validate_json_ok(fx, payload, "payload with forged calculations");
  assert_true(number_of(out, "is_child") == 0);
  assert_string_equal(string_of(out, "result_category"), "no_indication");
  cJSON_Delete(out);
  cJSON_Delete(payload);
}

static void test_canonical_payload_is_in_form_order(void **state)
{
  fixture_t *fx = *state;
  cJSON *payload = load_example("valid_adult_fishing.json");
  /* Send the keys reversed. */
  cJSON *rev = cJSON_CreateObject();
  for (int i = cJSON_GetArraySize(payload) - 1; i >= 0; i--) {
    cJSON *item = cJSON_GetArrayItem(payload, i);
    cJSON_AddItemToObject(rev, item->string, cJSON_Duplicate(item, 1));
  }
  cJSON *out = validate_json_ok(fx, rev, "reversed payload");
  size_t last = 0, n = form_field_count(fx->form);
  const cJSON *item;
  cJSON_ArrayForEach(item, out) {
    size_t i;
    for (i = 0; i < n; i++)
      if (!strcmp(form_field_name(fx->form, i), item->string))
        break;
    assert_true(i < n);
    assert_true(i >= last);
    last = i;
  }
  cJSON_Delete(out);
  cJSON_Delete(rev);
  cJSON_Delete(payload);
}

/* The officer explains the screening before asking for consent (issue 10, item 8): in the
 * evaluation the form UI renders, the consent script is relevant before consent is answered and
 * whatever the answer, and comes before the consent question. */
static void test_consent_script_is_shown_before_the_consent_question(void **state)
{
  fixture_t *fx = *state;
  static const char *const records[] = {"{}", "{\"consent\":\"no\"}", "{\"consent\":\"yes\"}"};
  for (size_t r = 0; r < sizeof records / sizeof records[0]; r++) {
    char *ev = NULL;
    assert_int_equal(form_evaluate(fx->form, records[r], strlen(records[r]), "id", fx->today, &ev,
                                   NULL), SYNC_OK);
    cJSON *doc = cJSON_Parse(ev);
    free(ev);
    const cJSON *relevant = cJSON_GetObjectItemCaseSensitive(doc, "relevant");
    assert_true(cJSON_IsObject(relevant));
    int pos = 0, note_at = -1, consent_at = -1;
    const cJSON *item;
    cJSON_ArrayForEach(item, relevant) {
      if (!strcmp(item->string, "consent_note")) {
        note_at = pos;
        if (!cJSON_IsTrue(item))
          fail_msg("%s: consent_note is not shown", records[r]);
      } else if (!strcmp(item->string, "consent")) {
        consent_at = pos;
        assert_true(cJSON_IsTrue(item));
      }
      pos++;
    }
    assert_true(note_at >= 0 && consent_at >= 0);
    assert_true(note_at < consent_at);
    cJSON_Delete(doc);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_form_parses_with_expected_shape),
    cmocka_unit_test(test_valid_examples_yield_expected_values),
    cmocka_unit_test(test_invalid_examples_report_exactly_the_expected_fields),
    cmocka_unit_test(test_missing_answers_do_not_block_a_draft),
    cmocka_unit_test(test_regency_code_needs_a_literal_dot_and_the_province_prefix),
    cmocka_unit_test(test_date_of_birth_makes_the_estimated_age_irrelevant),
    cmocka_unit_test(test_consent_refused_drops_answers_of_sections_2_to_7),
    cmocka_unit_test(test_child_without_means_is_still_indicated),
    cmocka_unit_test(test_adult_without_means_is_not_indicated),
    cmocka_unit_test(test_sent_calculated_values_are_replaced),
    cmocka_unit_test(test_canonical_payload_is_in_form_order),
    cmocka_unit_test(test_consent_script_is_shown_before_the_consent_question),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
