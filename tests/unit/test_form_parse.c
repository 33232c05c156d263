/* Form definitions (form_def.h, proto/FORMS.md): what a correct definition gives, and that every
 * wrong one is refused with the right code and a message that names the place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"
#include "test_support.h"

/* Definitions are written with ' for " and ^ for ' to stay readable. */
static char *unquote(const char *s)
{
  char *out = strdup(s);
  assert_non_null(out);
  for (char *p = out; *p; p++)
    *p = *p == '\'' ? '"' : *p == '^' ? '\'' : *p;
  return out;
}

#define HEAD "{'format':1,'form_id':'t','version':3,'default_language':'id','languages':['id','en']," \
             "'title':{'id':'Uji','en':'Test'}," \
             "'choice_lists':{'yn':[{'name':'yes','label':{'id':'Ya','en':'Yes'}}," \
             "{'name':'no','label':{'id':'Tidak'}}]},"

/* A form with one section holding `fields` (a JSON array body). */
static form_t *parse_fields(const char *fields, sync_err_t *err, char *msg, size_t msglen)
{
  size_t n = strlen(HEAD) + strlen(fields) + 100;
  char *doc = malloc(n);
  assert_non_null(doc);
  snprintf(doc, n, "%s'sections':[{'name':'s','label':{'id':'S'},'fields':[%s]}]}", HEAD, fields);
  char *json = unquote(doc);
  form_t *f = form_parse(json, strlen(json), err, msg, msglen);
  free(doc);
  free(json);
  return f;
}

static void expect_refused(const char *fields, sync_err_t code, const char *substring)
{
  sync_err_t err = SYNC_OK;
  char msg[512];
  form_t *f = parse_fields(fields, &err, msg, sizeof msg);
  if (f || err != code || !strstr(msg, substring))
    fail_msg("expected %s containing \"%s\", got %s \"%s\"", sync_errname(code), substring,
             sync_errname(err), f ? "(parsed)" : msg);
}

static void test_valid_form_exposes_fields_in_document_order(void **state)
{
  (void)state;
  const char *doc =
    HEAD "'sections':["
    "{'name':'first','label':{'id':'Satu'},'fields':["
    "  {'name':'age','type':'integer','label':{'id':'Umur','en':'Age'}},"
    "  {'name':'ok','type':'select_one','label':{'id':'Setuju'},'choices':'yn'}]},"
    "{'name':'second','label':{'id':'Dua'},'relevant':'${age} > 17','fields':["
    "  {'name':'info','type':'note','label':{'id':'Catatan'}},"
    "  {'name':'adult','type':'calculate','calculation':'${age} >= 18'}]}]}";
  char *json = unquote(doc);
  sync_err_t err = SYNC_ERR_INTERNAL;
  char msg[256] = "x";
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  assert_non_null(f);
  assert_int_equal(err, SYNC_OK);
  assert_string_equal(msg, "");
  assert_string_equal(form_id(f), "t");
  assert_int_equal(form_version(f), 3);
  assert_string_equal(form_title(f, "en"), "Test");
  assert_string_equal(form_title(f, "id"), "Uji");
  assert_string_equal(form_title(f, "fr"), "Uji");
  assert_string_equal(form_title(f, NULL), "Uji");
  assert_int_equal(form_field_count(f), 4);
  const char *names[] = { "age", "ok", "info", "adult" };
  const field_type_t types[] = { FIELD_INTEGER, FIELD_SELECT_ONE, FIELD_NOTE, FIELD_CALCULATE };
  const char *sections[] = { "first", "first", "second", "second" };
  for (size_t i = 0; i < 4; i++) {
    assert_string_equal(form_field_name(f, i), names[i]);
    assert_int_equal(form_field_type(f, i), types[i]);
    assert_string_equal(form_field_section(f, i), sections[i]);
  }
  assert_null(form_field_name(f, 4));
  assert_int_equal(form_field_choice_count(f, 1), 2);
  assert_string_equal(form_field_choice_name(f, 1, 0), "yes");
  assert_string_equal(form_field_choice_name(f, 1, 1), "no");
  assert_null(form_field_choice_name(f, 1, 2));
  assert_int_equal(form_field_choice_count(f, 0), 0);
  assert_null(form_field_choice_name(f, 0, 0));
  form_free(f);
  free(json);
  form_free(NULL);
}

static void test_unknown_field_key_is_refused_with_its_name(void **state)
{
  (void)state;
  expect_refused("{'name':'q3','type':'text','label':{'id':'Q'},'requred':true}", SYNC_ERR_FORM,
                 "form 't' v3, field 'q3': unknown key 'requred'");
}

static void test_reference_cycle_is_reported(void **state)
{
  (void)state;
  expect_refused("{'name':'a','type':'calculate','calculation':'${b} + 1'},"
                 "{'name':'b','type':'calculate','calculation':'${a} + 1'}",
                 SYNC_ERR_FORM,
                 "form 't' v3: calculation of 'a' and 'b' refer to each other (cycle a -> b -> a)");
  expect_refused("{'name':'a','type':'text','label':{'id':'A'},'relevant':'${c} = ^x^'},"
                 "{'name':'b','type':'text','label':{'id':'B'},'relevant':'${a} = ^x^'},"
                 "{'name':'c','type':'calculate','calculation':'${b}'}",
                 SYNC_ERR_FORM, "references form a cycle (a -> c -> b -> a)");
  expect_refused("{'name':'a','type':'calculate','calculation':'${a} + 1'}", SYNC_ERR_FORM,
                 "calculation of 'a' refers to 'a' itself (cycle a -> a)");
}

static void test_expression_error_names_field_attribute_and_position(void **state)
{
  (void)state;
  expect_refused("{'name':'age','type':'integer','label':{'id':'U'},'constraint':'. >= (1'}",
                 SYNC_ERR_EXPR, "form 't' v3, field 'age', constraint at 7: expected ')'");
  expect_refused("{'name':'a','type':'text','label':{'id':'A'},'relevant':'1 = 1 and ${nope}'}",
                 SYNC_ERR_EXPR, "field 'a', relevant at 10: unknown field '${nope}'");
  expect_refused("{'name':'a','type':'calculate','calculation':'foo(1)'}", SYNC_ERR_EXPR,
                 "field 'a', calculation at 0: unknown function 'foo'");
}

static void test_required_and_constraint_may_refer_both_ways(void **state)
{
  (void)state;
  /* "phone or e-mail": each is required when the other is empty; checked after the pass, so
   * this is no cycle. */
  sync_err_t err;
  char msg[256];
  form_t *f = parse_fields(
    "{'name':'phone','type':'text','label':{'id':'Telepon'},'required':'${email} = ^^'},"
    "{'name':'email','type':'text','label':{'id':'Surel'},'required':'${phone} = ^^',"
    " 'constraint':'${phone} != .'}",
    &err, msg, sizeof msg);
  assert_non_null(f);
  form_free(f);
}

static void test_field_name_must_match_the_pattern(void **state)
{
  (void)state;
  expect_refused("{'name':'Age','type':'integer','label':{'id':'U'}}", SYNC_ERR_FORM,
                 "form 't' v3, section 's': field name 'Age' must match ^[a-z][a-z0-9_]{0,63}$");
  char fields[200];
  snprintf(fields, sizeof fields, "{'name':'a%064d','type':'text','label':{'id':'U'}}", 0);
  expect_refused(fields, SYNC_ERR_FORM, "must match");
}

static void test_type_specific_attributes_are_checked(void **state)
{
  (void)state;
  expect_refused("{'name':'a','type':'select_one','label':{'id':'A'}}", SYNC_ERR_FORM,
                 "field 'a': 'choices' (the name of a choice list) is missing");
  expect_refused("{'name':'a','type':'select_multiple','label':{'id':'A'},'choices':'nope'}",
                 SYNC_ERR_FORM, "field 'a': choice list 'nope' does not exist");
  expect_refused("{'name':'a','type':'integer','label':{'id':'A'},'choices':'yn'}", SYNC_ERR_FORM,
                 "field 'a': 'choices' is only for select_one and select_multiple");
  expect_refused("{'name':'a','type':'text','label':{'id':'A'},'calculation':'1'}", SYNC_ERR_FORM,
                 "field 'a': 'calculation' is only for calculate fields");
  expect_refused("{'name':'a','type':'note','label':{'id':'A'},'required':false}", SYNC_ERR_FORM,
                 "field 'a': 'required' is not allowed on a note field");
  expect_refused("{'name':'a','type':'calculate','calculation':'1','constraint':'. > 1'}",
                 SYNC_ERR_FORM, "field 'a': 'constraint' is not allowed on a calculate field");
  expect_refused("{'name':'a','type':'text'}", SYNC_ERR_FORM, "field 'a': 'label' is missing");
  expect_refused("{'name':'a','type':'text','label':{'en':'A'}}", SYNC_ERR_FORM,
                 "field 'a': label has no text in the default language 'id'");
  expect_refused("{'name':'a','type':'text','label':{'id':'A'}},{'name':'a','type':'text',"
                 "'label':{'id':'B'}}", SYNC_ERR_FORM, "field name 'a' is used twice");
}

static void test_calculate_field_needs_no_label(void **state)
{
  (void)state;
  sync_err_t err;
  char msg[256];
  form_t *f = parse_fields("{'name':'a','type':'calculate','calculation':'today()'}", &err, msg,
                           sizeof msg);
  assert_non_null(f);
  form_free(f);
}

static void test_consent_field_must_be_a_select_one_or_yes_no(void **state)
{
  (void)state;
#define CONSENT_FORM HEAD "'consent_field':'%s','sections':[{'name':'s','label':{'id':'S'}," \
  "'fields':[{'name':'consent','type':'yes_no','label':{'id':'Setuju'}}," \
  "{'name':'name','type':'text','label':{'id':'Nama'},'without_consent':true}]}]}"
  const char *cases[][2] = { { "consent", NULL },
                             { "nope", "consent_field 'nope' is not a field of this form" },
                             { "name", "consent_field 'name' must be a select_one or yes_no" } };
  for (size_t i = 0; i < 3; i++) {
    char doc[1024];
    snprintf(doc, sizeof doc, CONSENT_FORM, cases[i][0]);
    char *json = unquote(doc);
    sync_err_t err;
    char msg[256];
    form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
    if (!cases[i][1]) {
      assert_non_null(f);
    } else {
      assert_null(f);
      assert_int_equal(err, SYNC_ERR_FORM);
      assert_non_null(strstr(msg, cases[i][1]));
    }
    form_free(f);
    free(json);
  }
}

/* A sealed form keeps the consent field and every field kept without consent readable (issue
 * 10, item 4): otherwise the device cannot show that consent was given without the key, and
 * refuses to send every consented record. Notes have no answer; central fields are clear anyway. */
static void test_sealed_form_must_keep_consent_and_its_fields_clear(void **state)
{
  (void)state;
#define SEALED_FORM HEAD "'consent_field':'consent','sections':[{'name':'s','label':{'id':'S'}," \
  "'fields':[{'name':'script','type':'note','label':{'id':'Jelaskan'},'without_consent':true}," \
  "{'name':'consent','type':'select_one','label':{'id':'Setuju'},'choices':'yn'," \
  "'without_consent':true},{'name':'place','type':'text','label':{'id':'Tempat'}," \
  "'without_consent':true},{'name':'unit','type':'text','label':{'id':'Unit'}," \
  "'without_consent':true},{'name':'name','type':'text','label':{'id':'Nama'}}," \
  "{'name':'status','type':'text','label':{'id':'Status'},'appearance':'central'," \
  "'without_consent':true}]}]," \
  "'encryption':{'public_key':'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=','clear_fields':[%s]}}"
  const char *cases[][2] = {
    { "'consent','place','unit'", NULL },
    { "'unit','consent','place','name'", NULL },
    { "'place'", "encryption: clear_fields must list the consent field and every field kept "
                 "without consent (they must stay readable); missing: consent, unit" },
    { "'consent','place'", "missing: unit" },
    { "", "missing: consent, place, unit" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char doc[2048];
    snprintf(doc, sizeof doc, SEALED_FORM, cases[i][0]);
    char *json = unquote(doc);
    sync_err_t err;
    char msg[512] = "";
    form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
    if (!cases[i][1] && !f)
      fail_msg("[%s] refused: %s", cases[i][0], msg);
    if (cases[i][1] && (f || err != SYNC_ERR_FORM || !strstr(msg, cases[i][1])))
      fail_msg("[%s]: expected \"%s\", got \"%s\"", cases[i][0], cases[i][1], f ? "(parsed)" : msg);
    form_free(f);
    free(json);
  }
#undef SEALED_FORM
}

static void test_malformed_json_reports_line_and_column(void **state)
{
  (void)state;
  const char *json = "{\n  \"format\": 1,\n  \"form_id\" \"x\"\n}";
  sync_err_t err;
  char msg[256];
  assert_null(form_parse(json, strlen(json), &err, msg, sizeof msg));
  assert_int_equal(err, SYNC_ERR_JSON);
  assert_string_equal(msg, "line 3, column 13: malformed JSON");
  /* the length is honoured: what follows it is not part of the definition */
  assert_null(form_parse("{} trailing", 2, &err, msg, sizeof msg));
  assert_int_equal(err, SYNC_ERR_FORM);
  assert_null(form_parse("{} trailing", 11, &err, msg, sizeof msg));
  assert_int_equal(err, SYNC_ERR_JSON);
  assert_non_null(strstr(msg, "line 1, column 4"));
}

static void test_definition_over_4_mib_is_too_large(void **state)
{
  (void)state;
  size_t n = (4u << 20) + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  sync_err_t err;
  char msg[256];
  assert_null(form_parse(big, n, &err, msg, sizeof msg));
  assert_int_equal(err, SYNC_ERR_TOO_LARGE);
  free(big);
}

/* `count` calculate fields, each referring to the previous one: c0 <- c1 <- ... */
static char *chain_form(size_t count, int reversed)
{
  size_t cap = 512 + count * 96;
  char *doc = malloc(cap);
  assert_non_null(doc);
  size_t len = (size_t)snprintf(doc, cap, "%s'sections':[{'name':'s','label':{'id':'S'},'fields':[",
                                HEAD);
  for (size_t k = 0; k < count; k++) {
    size_t i = reversed ? count - 1 - k : k;
    if (i == 0)
      len += (size_t)snprintf(doc + len, cap - len, "%s{'name':'c0','type':'calculate',"
                              "'calculation':'1'}", k ? "," : "");
    else
      len += (size_t)snprintf(doc + len, cap - len, "%s{'name':'c%zu','type':'calculate',"
                              "'calculation':'${c%zu} + 1'}", k ? "," : "", i, i - 1);
  }
  snprintf(doc + len, cap - len, "]}]}");
  char *json = unquote(doc);
  free(doc);
  return json;
}

static void test_too_many_fields_is_too_large(void **state)
{
  (void)state;
  char *json = chain_form(2001, 0);
  sync_err_t err;
  char msg[256];
  assert_null(form_parse(json, strlen(json), &err, msg, sizeof msg));
  assert_int_equal(err, SYNC_ERR_TOO_LARGE);
  assert_non_null(strstr(msg, "more than 2000 fields"));
  free(json);
}

static void test_long_reference_chain_is_ordered(void **state)
{
  (void)state;
  /* Written last-first so that every field refers to one further down the document. */
  char *json = chain_form(2000, 1);
  sync_err_t err;
  char msg[256];
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  assert_non_null(f);
  char *out = NULL;
  issue_list_t issues = { 0 };
  assert_int_equal(form_validate(f, "{}", 2, VALIDATE_FINAL, "id", 0, &out, &issues), SYNC_OK);
  assert_non_null(strstr(out, "\"c1999\":2000"));
  free(out);
  form_free(f);
  free(json);
}

static void test_every_truncation_is_refused_without_crashing(void **state)
{
  (void)state;
  char *json = unquote(HEAD "'sections':[{'name':'s','label':{'id':'S'},'fields':["
                       "{'name':'a','type':'integer','label':{'id':'A'},'constraint':'. > 1'},"
                       "{'name':'b','type':'calculate','calculation':'${a} * 2'}]}]}");
  size_t n = strlen(json);
  for (size_t len = 0; len < n; len++) {
    sync_err_t err = SYNC_OK;
    char msg[64];
    form_t *f = form_parse(json, len, &err, msg, sizeof msg);
    assert_null(f);
    assert_true(err == SYNC_ERR_JSON || err == SYNC_ERR_FORM);
  }
  free(json);
}

/* Every tests/data/forms/bad_*.json with its code and a piece of its message. */
static const struct {
  const char *file;
  sync_err_t code;
  const char *message;
} BAD[] = {
  { "bad_calculate_without_calculation.json", SYNC_ERR_FORM, "field 'c': 'calculation' is missing" },
  { "bad_calculation_cycle.json", SYNC_ERR_FORM,
    "form 'bad' v1: calculation of 'a' and 'b' refer to each other (cycle a -> b -> a)" },
  { "bad_calculation_on_text.json", SYNC_ERR_FORM, "field 'name': 'calculation' is only for" },
  { "bad_choice_duplicate.json", SYNC_ERR_FORM, "choice list 'yn': choice name 'yes' appears twice" },
  { "bad_choice_list_empty.json", SYNC_ERR_FORM, "choice list 'empty': must be a non-empty array" },
  { "bad_choice_name.json", SYNC_ERR_FORM, "choice list 'yn': choice name 'not sure' must match" },
  { "bad_choice_unknown_key.json", SYNC_ERR_FORM, "choice list 'yn', choice 'yes': unknown key 'labl'" },
  { "bad_choices_on_text.json", SYNC_ERR_FORM, "field 'name': 'choices' is only for" },
  { "bad_consent_missing.json", SYNC_ERR_FORM, "consent_field 'consent' is not a field" },
  { "bad_consent_type.json", SYNC_ERR_FORM, "consent_field 'name' must be a select_one or yes_no" },
  { "bad_constraint_on_calculate.json", SYNC_ERR_FORM, "field 'c': 'constraint' is not allowed" },
  { "bad_constraint_syntax.json", SYNC_ERR_EXPR, "form 'bad' v1, field 'age', constraint at 7: expected ')'" },
  { "bad_default_language.json", SYNC_ERR_FORM, "default_language 'fr' is not in 'languages'" },
  { "bad_duplicate_key.json", SYNC_ERR_FORM, "field 'name': key 'label' appears twice" },
  { "bad_empty.json", SYNC_ERR_JSON, "line 1, column 1: malformed JSON" },
  { "bad_empty_expression.json", SYNC_ERR_EXPR, "field 'name', relevant at 0: " },
  { "bad_field_duplicate.json", SYNC_ERR_FORM, "section 'person': field name 'age' is used twice" },
  { "bad_field_missing_default_label.json", SYNC_ERR_FORM,
    "field 'name': label has no text in the default language 'id'" },
  { "bad_field_name.json", SYNC_ERR_FORM,
    "form 'bad' v1, section 'person': field name 'Age' must match ^[a-z][a-z0-9_]{0,63}$" },
  { "bad_field_no_name.json", SYNC_ERR_FORM, "section 'person': field 2 has no 'name'" },
  { "bad_form_id.json", SYNC_ERR_FORM, "form_id 'Bad-Form' must match" },
  { "bad_format_2.json", SYNC_ERR_FORM, "format 2 is newer than this libsync understands" },
  { "bad_format_missing.json", SYNC_ERR_FORM, "'format' is missing" },
  { "bad_invalid_utf8.json", SYNC_ERR_JSON, "line 53, column 22: not valid UTF-8" },
  { "bad_label_not_object.json", SYNC_ERR_FORM, "field 'name': 'label' must be a label object" },
  { "bad_label_unknown_language.json", SYNC_ERR_FORM, "field 'name': label: language 'fr' is not in" },
  { "bad_languages_empty.json", SYNC_ERR_FORM, "'languages' must be a non-empty array" },
  { "bad_long_cycle.json", SYNC_ERR_FORM, "references form a cycle (a -> c -> b -> a)" },
  { "bad_malformed_json.json", SYNC_ERR_JSON, "line 5, column 3: malformed JSON" },
  { "bad_missing_choice_list.json", SYNC_ERR_FORM, "field 'q3': choice list 'nope' does not exist" },
  { "bad_missing_label.json", SYNC_ERR_FORM, "field 'name': 'label' is missing" },
  { "bad_missing_type.json", SYNC_ERR_FORM, "field 'name': 'type' is missing" },
  { "bad_not_an_object.json", SYNC_ERR_FORM, "must be a JSON object" },
  { "bad_nul_escape.json", SYNC_ERR_JSON, "line 53, column 22: NUL characters are not allowed" },
  { "bad_relevant_self.json", SYNC_ERR_FORM, "relevant of 'name' refers to 'name' itself" },
  { "bad_relevant_unknown_function.json", SYNC_ERR_EXPR,
    "field 'name', relevant at 0: unknown function 'foo'" },
  { "bad_required_on_note.json", SYNC_ERR_FORM, "field 'info': 'required' is not allowed on a note" },
  { "bad_required_type.json", SYNC_ERR_FORM, "field 'name': 'required' must be true, false or an" },
  { "bad_section_duplicate.json", SYNC_ERR_FORM, "section name 'person' is used twice" },
  { "bad_section_name.json", SYNC_ERR_FORM, "name 'Person' must match" },
  { "bad_section_no_fields.json", SYNC_ERR_FORM, "section 'person': 'fields' must be a non-empty" },
  { "bad_section_refers_to_own_field.json", SYNC_ERR_FORM,
    "relevant of section 'person' refers to its own field 'age'" },
  { "bad_section_unknown_key.json", SYNC_ERR_FORM, "section 'person': unknown key 'relevent'" },
  { "bad_section_unknown_reference.json", SYNC_ERR_EXPR,
    "section 'person', relevant at 0: unknown field '${missing}'" },
  { "bad_sections_empty.json", SYNC_ERR_FORM, "'sections' must be a non-empty array" },
  { "bad_select_without_choices.json", SYNC_ERR_FORM, "field 'q3': 'choices' (the name of a choice list) is missing" },
  { "bad_title_missing_default.json", SYNC_ERR_FORM, "title has no text in the default language" },
  { "bad_trailing_text.json", SYNC_ERR_JSON, "line 70, column 1: malformed JSON" },
  { "bad_unknown_field_key.json", SYNC_ERR_FORM, "form 'bad' v1, field 'q3': unknown key 'requred'" },
  { "bad_unknown_reference.json", SYNC_ERR_EXPR, "field 'name', relevant at 15: unknown field '${nope}'" },
  { "bad_unknown_top_key.json", SYNC_ERR_FORM, "form 'bad' v1: unknown key 'titel'" },
  { "bad_unknown_type.json", SYNC_ERR_FORM, "field 'name': unknown type 'string'" },
  { "bad_version_fraction.json", SYNC_ERR_FORM, "'version' must be an integer >= 1" },
  { "bad_version_zero.json", SYNC_ERR_FORM, "'version' must be an integer >= 1" },
  { "bad_without_consent_type.json", SYNC_ERR_FORM, "field 'name': 'without_consent' must be true" },
};

static void test_bad_definition_files_are_refused_with_the_place(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/forms/%s", BAD[i].file);
    size_t len = 0;
    char *json = ts_source_file(rel, &len);
    if (!json)
      fail_msg("cannot read %s", rel);
    sync_err_t err = SYNC_OK;
    char msg[512];
    form_t *f = form_parse(json, len, &err, msg, sizeof msg);
    if (f || err != BAD[i].code || !strstr(msg, BAD[i].message))
      fail_msg("%s: expected %s \"%s\", got %s \"%s\"", BAD[i].file, sync_errname(BAD[i].code),
               BAD[i].message, sync_errname(err), f ? "(parsed)" : msg);
    /* a message cut short by a small buffer is still a terminated string */
    char tiny[8];
    assert_null(form_parse(json, len, &err, tiny, sizeof tiny));
    assert_true(strlen(tiny) < sizeof tiny);
    free(json);
  }
}

static void test_every_bad_definition_file_has_an_expectation(void **state)
{
  (void)state;
  char *dir = ts_path(SYNC_SOURCE_DIR, "tests/data/forms");
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t seen = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strncmp(e->d_name, "bad_", 4) != 0)
      continue;
    size_t i = 0;
    while (i < sizeof BAD / sizeof BAD[0] && strcmp(BAD[i].file, e->d_name) != 0)
      i++;
    if (i == sizeof BAD / sizeof BAD[0])
      fail_msg("%s has no entry in BAD[]", e->d_name);
    seen++;
  }
  closedir(d);
  free(dir);
  assert_int_equal(seen, sizeof BAD / sizeof BAD[0]);
}

static void test_reference_tppo_form_parses(void **state)
{
  (void)state;
  size_t len = 0;
  char *json = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  assert_non_null(json);
  sync_err_t err = SYNC_ERR_INTERNAL;
  char msg[512] = "";
  form_t *f = form_parse(json, len, &err, msg, sizeof msg);
  if (!f)
    fail_msg("tppo_screening.v1.json refused: %s", msg);
  assert_int_equal(err, SYNC_OK);
  assert_string_equal(form_id(f), "tppo_screening");
  assert_int_equal(form_version(f), 1);
  assert_true(form_field_count(f) >= 80);
  size_t consent = form_field_count(f);
  for (size_t i = 0; i < form_field_count(f); i++)
    if (strcmp(form_field_name(f, i), "consent") == 0)
      consent = i;
  assert_true(consent < form_field_count(f));
  assert_int_equal(form_field_type(f, consent), FIELD_SELECT_ONE);
  assert_string_equal(form_field_section(f, consent), "context");
  form_free(f);
  free(json);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_form_exposes_fields_in_document_order),
    cmocka_unit_test(test_unknown_field_key_is_refused_with_its_name),
    cmocka_unit_test(test_reference_cycle_is_reported),
    cmocka_unit_test(test_expression_error_names_field_attribute_and_position),
    cmocka_unit_test(test_required_and_constraint_may_refer_both_ways),
    cmocka_unit_test(test_field_name_must_match_the_pattern),
    cmocka_unit_test(test_type_specific_attributes_are_checked),
    cmocka_unit_test(test_calculate_field_needs_no_label),
    cmocka_unit_test(test_consent_field_must_be_a_select_one_or_yes_no),
    cmocka_unit_test(test_sealed_form_must_keep_consent_and_its_fields_clear),
    cmocka_unit_test(test_malformed_json_reports_line_and_column),
    cmocka_unit_test(test_definition_over_4_mib_is_too_large),
    cmocka_unit_test(test_too_many_fields_is_too_large),
    cmocka_unit_test(test_long_reference_chain_is_ordered),
    cmocka_unit_test(test_every_truncation_is_refused_without_crashing),
    cmocka_unit_test(test_bad_definition_files_are_refused_with_the_place),
    cmocka_unit_test(test_every_bad_definition_file_has_an_expectation),
    cmocka_unit_test(test_reference_tppo_form_parses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
