/* The sample generator (libsync/tools/sample): every payload is valid FINAL under the real
 * reference form, output is a pure function of the seed, and the case mix is as designed. */
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
#include "sample.h"
#include "test_support.h"

#define FORM_PATH "proto/forms/tppo_screening.v1.json"

typedef struct fixture {
  char *json;
  size_t len;
  form_t *form;
  int32_t anchor;
} fixture_t;

static int setup(void **state)
{
  fixture_t *fx = calloc(1, sizeof *fx);
  assert_non_null(fx);
  fx->json = ts_source_file(FORM_PATH, &fx->len);
  assert_non_null(fx->json);
  sync_err_t err = SYNC_OK;
  char msg[512] = "";
  fx->form = form_parse(fx->json, fx->len, &err, msg, sizeof msg);
  if (!fx->form)
    fail_msg("form_parse: %s", msg);
  assert_int_equal(expr_parse_date(SAMPLE_ANCHOR_DATE, &fx->anchor), 0);
  *state = fx;
  return 0;
}

static int teardown(void **state)
{
  fixture_t *fx = *state;
  form_free(fx->form);
  free(fx->json);
  free(fx);
  return 0;
}

static sample_gen_t *new_gen(const fixture_t *fx, uint64_t seed)
{
  char err[256] = "";
  sample_gen_t *g = sample_gen_new(fx->json, fx->len, seed, err, sizeof err);
  if (!g)
    fail_msg("sample_gen_new: %s", err);
  return g;
}

/* Validates FINAL at `today`; fails the test with the payload and the issues if invalid. */
static cJSON *validate_or_fail(const fixture_t *fx, const char *payload, int32_t today, int n)
{
  issue_list_t issues = {0};
  char *canon = NULL;
  sync_err_t rc = form_validate(fx->form, payload, strlen(payload), VALIDATE_FINAL, "en", today,
                                &canon, &issues);
  if (rc != SYNC_OK) {
    print_message("payload #%d: %s\n", n, payload);
    for (size_t i = 0; i < issues.count; i++)
      print_message("  issue: '%s' %s: %s\n", issues.items[i].field, issues.items[i].code,
                    issues.items[i].message);
    issue_list_clear(&issues);
    fail_msg("generated payload #%d is not valid (rc %d)", n, (int)rc);
  }
  cJSON *out = cJSON_Parse(canon);
  free(canon);
  assert_non_null(out);
  return out;
}

static void test_2000_payloads_validate_final_with_the_designed_mix(void **state)
{
  fixture_t *fx = *state;
  sample_gen_t *g = new_gen(fx, 20261101);
  enum { N = 2000 };
  int strong = 0, needs = 0, none = 0, refused = 0, children = 0, consenting = 0;
  for (int n = 0; n < N; n++) {
    char *payload = sample_gen_next(g);
    assert_non_null(payload);
    cJSON *in = cJSON_Parse(payload);
    assert_non_null(in);
    cJSON *out = validate_or_fail(fx, payload, fx->anchor, n);

    /* Nothing the generator writes is dropped as not relevant, and no calculation is sent. */
    const cJSON *item;
    cJSON_ArrayForEach(item, in) {
      if (!cJSON_GetObjectItemCaseSensitive(out, item->string))
        fail_msg("payload #%d: '%s' was dropped: %s", n, item->string, payload);
    }
    assert_null(cJSON_GetObjectItemCaseSensitive(in, "is_child"));
    assert_null(cJSON_GetObjectItemCaseSensitive(in, "result_category"));

    const cJSON *consent = cJSON_GetObjectItemCaseSensitive(out, "consent");
    assert_true(cJSON_IsString(consent));
    if (!strcmp(consent->valuestring, "no")) {
      refused++;
      assert_null(cJSON_GetObjectItemCaseSensitive(out, "sex"));
    } else {
      consenting++;
      const cJSON *cat = cJSON_GetObjectItemCaseSensitive(out, "result_category");
      const cJSON *child = cJSON_GetObjectItemCaseSensitive(out, "is_child");
      assert_true(cJSON_IsString(cat));
      assert_true(cJSON_IsNumber(child));
      strong += !strcmp(cat->valuestring, "strong_indication");
      needs += !strcmp(cat->valuestring, "needs_assessment");
      none += !strcmp(cat->valuestring, "no_indication");
      children += child->valuedouble == 1;
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
    free(payload);
  }
  sample_gen_free(g);
  print_message("mix: strong %d, needs %d, none %d, refused %d, children %d of %d\n", strong,
                needs, none, refused, children, consenting);
  assert_int_equal(strong + needs + none, consenting);
  assert_true(strong >= N * 28 / 100 && strong <= N * 42 / 100);
  assert_true(needs >= N * 28 / 100 && needs <= N * 42 / 100);
  assert_true(none >= N * 14 / 100 && none <= N * 26 / 100);
  assert_true(refused >= N * 6 / 100 && refused <= N * 14 / 100);
  assert_true(children >= consenting * 14 / 100 && children <= consenting * 30 / 100);
}

static void test_payloads_stay_valid_on_later_days(void **state)
{
  fixture_t *fx = *state;
  sample_gen_t *g = new_gen(fx, 99);
  for (int n = 0; n < 100; n++) {
    char *payload = sample_gen_next(g);
    assert_non_null(payload);
    cJSON_Delete(validate_or_fail(fx, payload, fx->anchor + 1000, n));
    free(payload);
  }
  sample_gen_free(g);
}

static void test_same_seed_gives_identical_output(void **state)
{
  fixture_t *fx = *state;
  sample_gen_t *a = new_gen(fx, 7), *b = new_gen(fx, 7);
  for (int n = 0; n < 300; n++) {
    char *pa = sample_gen_next(a), *pb = sample_gen_next(b);
    assert_non_null(pa);
    assert_non_null(pb);
    assert_string_equal(pa, pb);
    free(pa);
    free(pb);
  }
  sample_gen_free(a);
  sample_gen_free(b);
}

static void test_different_seeds_differ(void **state)
{
  fixture_t *fx = *state;
  sample_gen_t *a = new_gen(fx, 1), *b = new_gen(fx, 2);
  int differ = 0;
  for (int n = 0; n < 100; n++) {
    char *pa = sample_gen_next(a), *pb = sample_gen_next(b);
    differ += strcmp(pa, pb) != 0;
    free(pa);
    free(pb);
  }
  assert_true(differ >= 95);
  sample_gen_free(a);
  sample_gen_free(b);
}

static void test_payloads_within_a_sequence_vary(void **state)
{
  fixture_t *fx = *state;
  sample_gen_t *g = new_gen(fx, 3);
  char *prev = sample_gen_next(g);
  for (int n = 0; n < 50; n++) {
    char *p = sample_gen_next(g);
    assert_string_not_equal(prev, p);
    free(prev);
    prev = p;
  }
  free(prev);
  sample_gen_free(g);
}

static char *replace_once(const char *s, const char *from, const char *to)
{
  const char *at = strstr(s, from);
  assert_non_null(at);
  size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
  return out;
}

static void test_other_forms_are_refused(void **state)
{
  fixture_t *fx = *state;
  char err[256] = "";
  char *other = replace_once(fx->json, "\"form_id\": \"tppo_screening\"", "\"form_id\": \"other_form\"");
  assert_null(sample_gen_new(other, strlen(other), 1, err, sizeof err));
  assert_non_null(strstr(err, "not supported"));
  free(other);

  char *v2 = replace_once(fx->json, "\"version\": 1", "\"version\": 2");
  assert_null(sample_gen_new(v2, strlen(v2), 1, err, sizeof err));
  assert_non_null(strstr(err, "not supported"));
  free(v2);

  /* A definition missing a choice the generator writes. */
  char *nochoice = replace_once(fx->json, "\"name\": \"online_scam\"", "\"name\": \"online_fraud\"");
  assert_null(sample_gen_new(nochoice, strlen(nochoice), 1, err, sizeof err));
  assert_non_null(strstr(err, "online_scam"));
  free(nochoice);

  assert_null(sample_gen_new("{", 1, 1, err, sizeof err));
  assert_true(strlen(err) > 0);
  sample_gen_free(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_2000_payloads_validate_final_with_the_designed_mix),
    cmocka_unit_test(test_payloads_stay_valid_on_later_days),
    cmocka_unit_test(test_same_seed_gives_identical_output),
    cmocka_unit_test(test_different_seeds_differ),
    cmocka_unit_test(test_payloads_within_a_sequence_vary),
    cmocka_unit_test(test_other_forms_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
