/* Form definitions in the store: adding (idempotent, immutable versions), listing, reading back,
 * records keeping their version, clear errors for malformed definitions (sync/form.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/sync.h"
#include "test_support.h"

/* Version 1 and 2 of one form; backquotes stand for double quotes, %s is the version-specific
 * part. Version 2 adds a required question. */
#define FORM_HEAD                                                                                \
  "{`format`:1,`form_id`:`intake`,`version`:%d,`default_language`:`id`,`languages`:[`id`,`en`]," \
  "`title`:{`id`:`Penerimaan %d`,`en`:`Intake %d`},`choice_lists`:{},"                          \
  "`sections`:[{`name`:`main`,`label`:{`id`:`Utama`},`fields`:["                               \
  "{`name`:`name`,`type`:`text`,`label`:{`id`:`Nama`},`required`:true}"

typedef struct fixture {
  char *dir;
  char *path;
  sync_store_t *s;
} fixture_t;

static char *unquote(const char *s)
{
  char *out = strdup(s);
  for (char *p = out; *p; p++)
    if (*p == '`')
      *p = '"';
  return out;
}

/* The definition of intake v`version`, with `extra` fields appended. */
static char *intake(int version, const char *extra)
{
  char buf[2048];
  snprintf(buf, sizeof buf, FORM_HEAD "%s]}]}", version, version, version, extra);
  return unquote(buf);
}

/* Stores are encrypted (SECURITY.md 5): a passphrase, with the fast key derivation of tests. */
static sync_err_t open_store(const char *path, sync_store_t **s)
{
  sync_store_opts_t opts;
  sync_store_opts_init(&opts);
  opts.passphrase = "form store test";
  opts.kdf = SYNC_KDF_TEST;
  return sync_store_open(path, &opts, s);
}

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  f->dir = ts_tempdir();
  f->path = ts_path(f->dir, "forms.db");
  *state = f;
  return open_store(f->path, &f->s) == SYNC_OK ? 0 : -1;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  sync_store_close(f->s);
  ts_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f);
  return 0;
}

static void add_ok(sync_store_t *s, const char *json)
{
  sync_err_t err = sync_form_add(s, json, strlen(json), NULL, NULL);
  if (err)
    fail_msg("form_add: %s: %s", sync_errname(err), sync_store_errmsg(s));
}

static int64_t form_count(sync_store_t *s)
{
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  return st.forms;
}

static void test_adding_the_same_definition_twice_is_a_no_op(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, "");
  char id[SYNC_FORM_ID_MAX + 1];
  int version = 0;
  assert_int_equal(sync_form_add(f->s, v1, strlen(v1), id, &version), SYNC_OK);
  assert_string_equal(id, "intake");
  assert_int_equal(version, 1);
  assert_int_equal(sync_form_add(f->s, v1, strlen(v1), id, &version), SYNC_OK);
  assert_string_equal(id, "intake");
  assert_int_equal(version, 1);

  /* Only layout differs: still the same form. */
  cJSON *doc = cJSON_Parse(v1);
  char *pretty = cJSON_Print(doc);
  cJSON_Delete(doc);
  assert_int_equal(sync_form_add(f->s, pretty, strlen(pretty), NULL, NULL), SYNC_OK);
  free(pretty);
  assert_int_equal(form_count(f->s), 1);

  /* The definition reads back as it was first added. */
  char *back = NULL;
  assert_int_equal(sync_form_get_json(f->s, "intake", 1, &back), SYNC_OK);
  assert_string_equal(back, v1);
  sync_free(back);
  free(v1);
}

static void test_different_content_for_a_stored_version_is_refused(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, "");
  char *v1_changed = intake(1, ",{`name`:`age`,`type`:`integer`,`label`:{`id`:`Umur`}}");
  add_ok(f->s, v1);
  char id[SYNC_FORM_ID_MAX + 1] = "x";
  assert_int_equal(sync_form_add(f->s, v1_changed, strlen(v1_changed), id, NULL), SYNC_ERR_EXISTS);
  assert_string_equal(id, "");
  assert_non_null(strstr(sync_store_errmsg(f->s), "intake"));
  assert_non_null(strstr(sync_store_errmsg(f->s), "new version"));
  char *back = NULL;
  assert_int_equal(sync_form_get_json(f->s, "intake", 1, &back), SYNC_OK);
  assert_string_equal(back, v1);
  sync_free(back);
  assert_int_equal(form_count(f->s), 1);
  free(v1);
  free(v1_changed);
}

static void test_versions_live_side_by_side(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, "");
  char *v2 = intake(2, ",{`name`:`district`,`type`:`text`,`label`:{`id`:`Kabupaten`},`required`:true}");
  add_ok(f->s, v2);
  add_ok(f->s, v1); /* order of adding does not matter */
  char *other = unquote("{`format`:1,`form_id`:`after`,`version`:1,`default_language`:`en`,`languages`:[`en`],"
                        "`title`:{`en`:`Aftercare`},`choice_lists`:{},`sections`:[{`name`:`s`,"
                        "`label`:{`en`:`S`},`fields`:[{`name`:`x`,`type`:`text`,`label`:{`en`:`X`}}]}]}");
  add_ok(f->s, other);

  char *back = NULL;
  assert_int_equal(sync_form_get_json(f->s, "intake", 0, &back), SYNC_OK); /* newest */
  assert_string_equal(back, v2);
  sync_free(back);
  assert_int_equal(sync_form_get_json(f->s, "intake", 1, &back), SYNC_OK);
  assert_string_equal(back, v1);
  sync_free(back);
  assert_int_equal(sync_form_get_json(f->s, "intake", 3, &back), SYNC_ERR_NOT_FOUND);
  assert_null(back);
  assert_int_equal(sync_form_get_json(f->s, "missing", 0, &back), SYNC_ERR_NOT_FOUND);

  sync_form_list_t *l = NULL;
  assert_int_equal(sync_form_list(f->s, &l), SYNC_OK);
  assert_int_equal(sync_form_list_count(l), 3);
  assert_string_equal(sync_form_list_id(l, 0), "after");
  assert_string_equal(sync_form_list_id(l, 1), "intake");
  assert_int_equal(sync_form_list_version(l, 1), 1);
  assert_string_equal(sync_form_list_id(l, 2), "intake");
  assert_int_equal(sync_form_list_version(l, 2), 2);
  assert_string_equal(sync_form_list_title(l, 1, "id"), "Penerimaan 1");
  assert_string_equal(sync_form_list_title(l, 2, "en"), "Intake 2");
  /* A language the form lacks falls back to its default language. */
  assert_string_equal(sync_form_list_title(l, 0, "id"), "Aftercare");
  assert_string_equal(sync_form_list_title(l, 1, NULL), "Penerimaan 1");
  assert_null(sync_form_list_id(l, 3));
  sync_form_list_free(l);
  free(v1);
  free(v2);
  free(other);
}

static void test_a_record_keeps_the_version_it_was_made_with(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, "");
  char *v2 = intake(2, ",{`name`:`district`,`type`:`text`,`label`:{`id`:`Kabupaten`},`required`:true}");
  add_ok(f->s, v1);
  char old[SYNC_UUID_STRLEN + 1], draft[SYNC_UUID_STRLEN + 1], fresh[SYNC_UUID_STRLEN + 1];
  assert_int_equal(sync_record_create(f->s, "intake", 0, "{\"name\":\"Ayu\"}", SYNC_STATUS_FINAL, old), SYNC_OK);
  assert_int_equal(sync_record_create(f->s, "intake", 0, "{\"name\":\"Bayu\"}", SYNC_STATUS_DRAFT, draft), SYNC_OK);
  add_ok(f->s, v2);

  /* Version 0 now means v2, which requires a district. */
  assert_int_equal(sync_record_create(f->s, "intake", 0, "{\"name\":\"Citra\"}", SYNC_STATUS_FINAL, fresh),
                   SYNC_ERR_VALIDATION);
  assert_int_equal(sync_record_create(f->s, "intake", 0, "{\"name\":\"Citra\",\"district\":\"Kolaka\"}",
                                      SYNC_STATUS_FINAL, fresh), SYNC_OK);
  /* Explicitly v1 still works. */
  assert_int_equal(sync_record_create(f->s, "intake", 1, "{\"name\":\"Dodi\"}", SYNC_STATUS_FINAL, NULL), SYNC_OK);

  /* After a reopen (no cached forms), old records still follow v1. */
  sync_store_close(f->s);
  assert_int_equal(open_store(f->path, &f->s), SYNC_OK);
  assert_int_equal(sync_record_finalize(f->s, draft), SYNC_OK);
  assert_int_equal(sync_record_revise(f->s, old, "{\"name\":\"Ayu Lestari\"}"), SYNC_OK);
  assert_int_equal(sync_record_revise(f->s, old, "{\"name\":\"Ayu\",\"district\":\"Kolaka\"}"), SYNC_ERR_VALIDATION);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(f->s, old, &r), SYNC_OK);
  assert_int_equal(sync_record_form_version(r), 1);
  assert_int_equal(sync_record_revision(r), 2);
  sync_record_free(r);
  assert_int_equal(sync_record_get(f->s, fresh, &r), SYNC_OK);
  assert_int_equal(sync_record_form_version(r), 2);
  sync_record_free(r);
  free(v1);
  free(v2);
}

static void test_malformed_definitions_give_clear_errors(void **state)
{
  fixture_t *f = *state;
  char *msg = NULL;

  /* Broken JSON. */
  const char *broken = "{\"format\": 1, \"form_id\": \"intake\",";
  assert_int_equal(sync_form_check(broken, strlen(broken), &msg), SYNC_ERR_JSON);
  assert_non_null(msg);
  assert_true(strlen(msg) > 0);
  sync_free(msg);
  assert_int_equal(sync_form_add(f->s, broken, strlen(broken), NULL, NULL), SYNC_ERR_JSON);
  assert_string_not_equal(sync_store_errmsg(f->s), "");

  /* A typo in a field key names the field. */
  char *typo = intake(1, ",{`name`:`age`,`type`:`integer`,`lable`:{`id`:`Umur`}}");
  assert_int_equal(sync_form_check(typo, strlen(typo), &msg), SYNC_ERR_FORM);
  assert_non_null(strstr(msg, "age"));
  sync_free(msg);
  assert_int_equal(sync_form_add(f->s, typo, strlen(typo), NULL, NULL), SYNC_ERR_FORM);
  assert_non_null(strstr(sync_store_errmsg(f->s), "age"));
  free(typo);

  /* A bad expression names the field and the attribute. */
  char *expr = intake(1, ",{`name`:`age`,`type`:`integer`,`label`:{`id`:`Umur`},`constraint`:`. >= (0`}");
  assert_int_equal(sync_form_check(expr, strlen(expr), &msg), SYNC_ERR_EXPR);
  assert_non_null(strstr(msg, "age"));
  assert_non_null(strstr(msg, "constraint"));
  sync_free(msg);
  assert_int_equal(sync_form_add(f->s, expr, strlen(expr), NULL, NULL), SYNC_ERR_EXPR);
  free(expr);

  /* A good definition passes the check and leaves no message. */
  char *good = intake(1, "");
  msg = (char *)good;
  assert_int_equal(sync_form_check(good, strlen(good), &msg), SYNC_OK);
  assert_null(msg);
  assert_int_equal(sync_form_check(good, strlen(good), NULL), SYNC_OK);
  free(good);

  assert_int_equal(sync_form_check(NULL, 0, &msg), SYNC_ERR_INVALID_ARG);
  assert_int_equal(form_count(f->s), 0);
}

static void test_form_added_in_a_rolled_back_batch_is_gone(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, "");
  assert_int_equal(sync_store_begin(f->s), SYNC_OK);
  add_ok(f->s, v1);
  assert_int_equal(sync_record_create(f->s, "intake", 1, "{\"name\":\"Eko\"}", SYNC_STATUS_FINAL, NULL), SYNC_OK);
  assert_int_equal(sync_store_rollback(f->s), SYNC_OK);
  assert_int_equal(form_count(f->s), 0);
  assert_int_equal(sync_record_create(f->s, "intake", 1, "{\"name\":\"Eko\"}", SYNC_STATUS_FINAL, NULL),
                   SYNC_ERR_NOT_FOUND);
  /* And it can be added again for real. */
  add_ok(f->s, v1);
  assert_int_equal(sync_record_create(f->s, "intake", 1, "{\"name\":\"Eko\"}", SYNC_STATUS_FINAL, NULL), SYNC_OK);
  free(v1);
}

static void test_evaluate_reports_issues_without_storing(void **state)
{
  fixture_t *f = *state;
  char *v1 = intake(1, ",{`name`:`age`,`type`:`integer`,`label`:{`id`:`Umur`},`constraint`:`. < 130`},"
                       "{`name`:`adult`,`type`:`calculate`,`calculation`:`${age} >= 18`}");
  add_ok(f->s, v1);
  char *out = NULL;
  assert_int_equal(sync_form_evaluate(f->s, "intake", 0, "{\"age\":140}", &out), SYNC_OK);
  cJSON *o = cJSON_Parse(out);
  assert_non_null(o);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "complete")));
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "payload")));
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "relevant")));
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "issues")), 2);
  cJSON_Delete(o);
  sync_free(out);
  assert_int_equal(sync_store_issue_count(f->s), 2); /* name required, age constraint */

  assert_int_equal(sync_form_evaluate(f->s, "intake", 0, "{\"name\":\"Fajar\",\"age\":40}", &out), SYNC_OK);
  o = cJSON_Parse(out);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "complete")));
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(o, "payload");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(payload, "adult")));
  cJSON_Delete(o);
  sync_free(out);
  assert_int_equal(sync_store_issue_count(f->s), 0);

  assert_int_equal(sync_form_evaluate(f->s, "intake", 0, "[1,2]", &out), SYNC_ERR_JSON);
  assert_null(out);
  assert_int_equal(sync_form_evaluate(f->s, "nope", 0, "{}", &out), SYNC_ERR_NOT_FOUND);

  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(f->s, &st), SYNC_OK);
  assert_int_equal(st.drafts + st.finals, 0);
  free(v1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_adding_the_same_definition_twice_is_a_no_op, setup, teardown),
    cmocka_unit_test_setup_teardown(test_different_content_for_a_stored_version_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_versions_live_side_by_side, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_record_keeps_the_version_it_was_made_with, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_definitions_give_clear_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_form_added_in_a_rolled_back_batch_is_gone, setup, teardown),
    cmocka_unit_test_setup_teardown(test_evaluate_reports_issues_without_storing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
