/* Validation of answers against a form (form_validate / form_evaluate, proto/FORMS.md "Answers",
 * "Evaluation order", "Validation"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"
#include "form_test.h"
#include "test_support.h"

static const char FORM[] =
  "{'format':1,'form_id':'person','version':1,'default_language':'id','languages':['id','en'],"
  "'title':{'id':'Orang','en':'Person'},"
  "'choice_lists':{"
  "  'sex':[{'name':'f','label':{'id':'Perempuan'}},{'name':'m','label':{'id':'Laki-laki'}}],"
  "  'langs':[{'name':'id','label':{'id':'Indonesia'}},{'name':'en','label':{'id':'Inggris'}},"
  "           {'name':'jv','label':{'id':'Jawa'}}]},"
  "'sections':["
  " {'name':'person','label':{'id':'Orang'},'fields':["
  "  {'name':'initial','type':'calculate','calculation':'substr(${name}, 0, 1)'},"
  "  {'name':'name','type':'text','label':{'id':'Nama'},'required':true},"
  "  {'name':'age','type':'integer','label':{'id':'Umur'},'required':true,"
  "   'constraint':'. >= 0 and . <= 120',"
  "   'constraint_message':{'id':'Umur harus 0 sampai 120.','en':'Age must be 0 to 120.'}},"
  "  {'name':'height','type':'decimal','label':{'id':'Tinggi'}},"
  "  {'name':'birth','type':'date','label':{'id':'Lahir'},'constraint':'. <= today()'},"
  "  {'name':'sex','type':'select_one','label':{'id':'Jenis kelamin'},'choices':'sex'},"
  "  {'name':'pregnant','type':'yes_no','label':{'id':'Hamil'},'relevant':'${sex} = ^f^'},"
  "  {'name':'langs','type':'select_multiple','label':{'id':'Bahasa'},'choices':'langs'},"
  "  {'name':'nlangs','type':'calculate','calculation':'count-selected(${langs})'},"
  "  {'name':'speaks_jv','type':'calculate','calculation':'selected(${langs}, ^jv^)'},"
  "  {'name':'adult','type':'calculate','calculation':'${age} >= 18'},"
  "  {'name':'info','type':'note','label':{'id':'Catatan'}},"
  "  {'name':'email','type':'text','label':{'id':'Surel'},'required':'${phone} = ^^',"
  "   'required_message':{'id':'Isi surel atau telepon.'}},"
  "  {'name':'phone','type':'text','label':{'id':'Telepon'},'required':'${email} = ^^'}]},"
  " {'name':'work','label':{'id':'Kerja'},'relevant':'${adult}','fields':["
  "  {'name':'job','type':'text','label':{'id':'Pekerjaan'},'required':true},"
  "  {'name':'pay','type':'integer','label':{'id':'Gaji'},'constraint':'. > 0'},"
  "  {'name':'summary','type':'calculate','calculation':'concat(${name}, ^/^, ${job})'}]}]}";

static int setup(void **state)
{
  return ft_form_setup(state, FORM);
}

typedef struct result {
  sync_err_t rc;
  char *out;
  issue_list_t issues;
} result_t;

static result_t run_lang(const form_t *f, const char *payload, validate_mode_t mode,
                         const char *lang)
{
  result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
  char *json = ft_unquote(payload);
  r.rc = form_validate(f, json, strlen(json), mode, lang, TODAY, &r.out, &r.issues);
  free(json);
  return r;
}

static result_t run(const form_t *f, const char *payload, validate_mode_t mode)
{
  return run_lang(f, payload, mode, "en");
}

static void done(result_t *r)
{
  free(r->out);
  issue_list_clear(&r->issues);
}

static void expect_out(result_t *r, const char *expected)
{
  char *want = ft_unquote(expected);
  if (r->rc != SYNC_OK || !r->out || strcmp(r->out, want) != 0)
    fail_msg("expected %s\n     got %s %s (%zu issues, first %s/%s)", want, sync_errname(r->rc),
             r->out ? r->out : "(null)", r->issues.count,
             r->issues.count ? r->issues.items[0].field : "-",
             r->issues.count ? r->issues.items[0].code : "-");
  free(want);
}

/* The issues as "field:code" joined by spaces. */
static void expect_issues(result_t *r, sync_err_t rc, const char *expected)
{
  char got[2048] = "";
  size_t len = 0;
  for (size_t i = 0; i < r->issues.count && len < sizeof got; i++)
    len += (size_t)snprintf(got + len, sizeof got - len, "%s%s:%s", i ? " " : "",
                            r->issues.items[i].field, r->issues.items[i].code);
  if (r->rc != rc || strcmp(got, expected) != 0)
    fail_msg("expected %s [%s]\n     got %s [%s]", sync_errname(rc), expected, sync_errname(r->rc),
             got);
  if (rc != SYNC_OK)
    assert_null(r->out);
}

#define VALID "'name':'Siti','age':30,'phone':'0812','job':'nelayan'"

static void test_valid_record_is_canonical_in_form_order(void **state)
{
  result_t r = run(*state, "{'job':'nelayan','langs':['jv','id'],'age':30,'sex':'f',"
                           "'pregnant':false,'height':150.5,'birth':'1994-02-28',"
                           "'phone':'0812','name':'Siti','pay':2500000}", VALIDATE_FINAL);
  expect_out(&r, "{'initial':'S','name':'Siti','age':30,'height':150.5,'birth':'1994-02-28',"
                 "'sex':'f','pregnant':false,'langs':['id','jv'],'nlangs':2,'speaks_jv':true,"
                 "'adult':true,'phone':'0812','job':'nelayan','pay':2500000,"
                 "'summary':'Siti/nelayan'}");
  done(&r);
}

static void test_canonical_payload_validates_to_itself(void **state)
{
  result_t r = run(*state, "{" VALID ",'langs':['en'],'height':1e2,'info':null}", VALIDATE_DRAFT);
  assert_int_equal(r.rc, SYNC_OK);
  result_t again = { SYNC_OK, NULL, { NULL, 0, 0 } };
  again.rc = form_validate(*state, r.out, strlen(r.out), VALIDATE_DRAFT, "en", TODAY, &again.out,
                           &again.issues);
  assert_int_equal(again.rc, SYNC_OK);
  assert_string_equal(again.out, r.out);
  done(&r);
  done(&again);
}

static void test_every_failing_field_is_reported(void **state)
{
  result_t r = run(*state, "{'zzz':1,'age':200,'height':'tall','birth':'2023-02-29','sex':'x',"
                           "'pregnant':'yes','langs':['id','id'],'info':'hello','job':''}",
                   VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION,
                "name:required age:constraint height:type birth:type sex:choice "
                "langs:choice info:unknown_field email:required phone:required job:required "
                "zzz:unknown_field");
  done(&r);
}

static void test_non_relevant_answer_is_removed(void **state)
{
  /* pregnant is asked only when sex is f; its answer (even a wrong one) is dropped silently */
  result_t r = run(*state, "{" VALID ",'sex':'m','pregnant':'not a boolean'}", VALIDATE_FINAL);
  expect_out(&r, "{'initial':'S','name':'Siti','age':30,'sex':'m','nlangs':0,'speaks_jv':false,"
                 "'adult':true,'phone':'0812','job':'nelayan','summary':'Siti/nelayan'}");
  done(&r);
}

static void test_non_relevant_section_drops_its_answers_and_requirements(void **state)
{
  result_t r = run(*state, "{'name':'Ani','age':12,'phone':'1','job':'x','pay':-5}",
                   VALIDATE_FINAL);
  expect_out(&r, "{'initial':'A','name':'Ani','age':12,'nlangs':0,'speaks_jv':false,"
                 "'adult':false,'phone':'1'}");
  done(&r);
}

static void test_caller_supplied_calculation_is_replaced(void **state)
{
  result_t r = run(*state, "{" VALID ",'adult':false,'nlangs':'many','summary':[1,2],"
                           "'initial':{'x':1}}", VALIDATE_FINAL);
  expect_out(&r, "{'initial':'S','name':'Siti','age':30,'nlangs':0,'speaks_jv':false,"
                 "'adult':true,'phone':'0812','job':'nelayan','summary':'Siti/nelayan'}");
  done(&r);
}

static void test_calculation_may_use_fields_defined_after_it(void **state)
{
  /* 'initial' is the first field and refers to 'name', the second */
  result_t r = run(*state, "{'name':'Budi'}", VALIDATE_DRAFT);
  expect_out(&r, "{'initial':'B','name':'Budi','nlangs':0,'speaks_jv':false,'adult':false}");
  done(&r);
}

static void test_draft_skips_required_but_checks_types(void **state)
{
  result_t r = run(*state, "{}", VALIDATE_DRAFT);
  /* comparisons with an empty value are false: adult is computed as false */
  expect_out(&r, "{'nlangs':0,'speaks_jv':false,'adult':false}");
  done(&r);
  r = run(*state, "{'age':'thirty','sex':'x','langs':'id','extra':true}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "age:type sex:choice langs:type extra:unknown_field");
  done(&r);
}

static void test_draft_skips_constraints(void **state)
{
  result_t r = run(*state, "{'age':500}", VALIDATE_DRAFT);
  assert_int_equal(r.rc, SYNC_OK);
  done(&r);
  r = run(*state, "{'name':'Siti','age':500,'phone':'0812','job':'nelayan'}", VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION, "age:constraint");
  done(&r);
}

static void test_required_expression_is_checked_on_final_values(void **state)
{
  result_t r = run(*state, "{'name':'A','age':5}", VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION, "email:required phone:required");
  assert_string_equal(r.issues.items[0].message, "Isi surel atau telepon.");
  assert_string_equal(r.issues.items[1].message, "Required.");
  done(&r);
  r = run(*state, "{'name':'A','age':5,'email':'a@b.c'}", VALIDATE_FINAL);
  assert_int_equal(r.rc, SYNC_OK);
  done(&r);
}

static void test_messages_follow_the_language_with_fallbacks(void **state)
{
  result_t r = run_lang(*state, "{'age':300,'sex':'q'}", VALIDATE_FINAL, "id");
  expect_issues(&r, SYNC_ERR_VALIDATION,
                "name:required age:constraint sex:choice email:required phone:required job:required");
  assert_string_equal(r.issues.items[0].message, "Wajib diisi.");
  assert_string_equal(r.issues.items[1].message, "Umur harus 0 sampai 120.");
  assert_string_equal(r.issues.items[2].message, "Pilihan tidak dikenal.");
  done(&r);
  r = run_lang(*state, "{'age':300,'sex':'q'}", VALIDATE_FINAL, "en");
  assert_string_equal(r.issues.items[0].message, "Required.");
  assert_string_equal(r.issues.items[1].message, "Age must be 0 to 120.");
  assert_string_equal(r.issues.items[3].message, "Isi surel atau telepon."); /* no 'en' text */
  done(&r);
  r = run_lang(*state, "{'age':1.5,'x':1}", VALIDATE_DRAFT, "fr");
  assert_string_equal(r.issues.items[0].message, "Harus berupa bilangan bulat.");
  assert_string_equal(r.issues.items[1].message, "Bukan pertanyaan di formulir ini.");
  done(&r);
  r = run_lang(*state, "{'age':300}", VALIDATE_FINAL, NULL);
  assert_string_equal(r.issues.items[1].message, "Umur harus 0 sampai 120.");
  done(&r);
}

static void test_unknown_field_is_reported_with_its_name(void **state)
{
  result_t r = run(*state, "{'nama':'Siti','a\\nb':1}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "nama:unknown_field a?b:unknown_field");
  done(&r);
  /* a key that is not valid UTF-8 is shown cut at the bad byte */
  const char bad[] = "{\"ab\xff\xfe\":1}";
  result_t b = { SYNC_OK, NULL, { NULL, 0, 0 } };
  b.rc = form_validate(*state, bad, strlen(bad), VALIDATE_DRAFT, "en", TODAY, &b.out, &b.issues);
  expect_issues(&b, SYNC_ERR_VALIDATION, "ab...:unknown_field");
  done(&b);
  /* a long key is cut at a character boundary */
  char longkey[200] = "{\"";
  for (int i = 0; i < 40; i++)
    strcat(longkey, "\xc3\xa9");   /* 80 bytes of e-acute */
  strcat(longkey, "\":1}");
  b.rc = form_validate(*state, longkey, strlen(longkey), VALIDATE_DRAFT, "en", TODAY, &b.out,
                       &b.issues);
  assert_int_equal(b.issues.count, 1);
  assert_int_equal(strlen(b.issues.items[0].field), 64 + 3);
  assert_string_equal(b.issues.items[0].field + 64, "...");
  done(&b);
}

static void test_many_unknown_keys_are_summarised(void **state)
{
  char *p = malloc(300 * 16 + 16);
  assert_non_null(p);
  size_t n = (size_t)sprintf(p, "{");
  for (int i = 0; i < 250; i++)
    n += (size_t)sprintf(p + n, "%s\"k%d\":%d", i ? "," : "", i, i);
  p[n++] = '}';
  result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
  r.rc = form_validate(*state, p, n, VALIDATE_DRAFT, "en", TODAY, &r.out, &r.issues);
  assert_int_equal(r.rc, SYNC_ERR_VALIDATION);
  assert_int_equal(r.issues.count, 101);
  assert_string_equal(r.issues.items[0].field, "k0");
  assert_string_equal(r.issues.items[99].field, "k99");
  assert_string_equal(r.issues.items[100].field, "");
  assert_string_equal(r.issues.items[100].message,
                      "And 150 more keys that are not questions of this form.");
  done(&r);
  free(p);
}

static void test_answer_to_a_note_is_an_unknown_field(void **state)
{
  result_t r = run(*state, "{'info':'text'}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "info:unknown_field");
  done(&r);
  r = run(*state, "{'info':null}", VALIDATE_DRAFT);
  assert_int_equal(r.rc, SYNC_OK);
  done(&r);
}

static void test_null_empty_string_and_empty_array_are_unanswered(void **state)
{
  result_t r = run(*state, "{'name':null,'age':'','langs':[],'sex':'','birth':null,"
                           "'pregnant':null,'height':[]}", VALIDATE_DRAFT);
  expect_out(&r, "{'nlangs':0,'speaks_jv':false,'adult':false}");
  done(&r);
  r = run(*state, "{'name':'','age':null}", VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION, "name:required age:required email:required phone:required");
  done(&r);
}

static void test_integer_answers(void **state)
{
  struct { const char *payload, *out_or_issue; } cases[] = {
    { "{'age':5.0}", "'age':5" },
    { "{'age':-0}", "'age':0" },
    { "{'age':1e2}", "'age':100" },
    { "{'age':9007199254740992}", "'age':9007199254740992" },
    { "{'age':5.5}", "age:type" },
    { "{'age':'5'}", "age:type" },
    { "{'age':true}", "age:type" },
    { "{'age':9007199254740994}", "age:type" },
    { "{'age':-1e300}", "age:type" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    result_t r = run(*state, cases[i].payload, VALIDATE_DRAFT);
    if (strchr(cases[i].out_or_issue, ':') && !strchr(cases[i].out_or_issue, '\'')) {
      expect_issues(&r, SYNC_ERR_VALIDATION, cases[i].out_or_issue);
    } else {
      assert_int_equal(r.rc, SYNC_OK);
      char *want = ft_unquote(cases[i].out_or_issue);
      if (!strstr(r.out, want))
        fail_msg("%s: %s does not hold %s", cases[i].payload, r.out, want);
      free(want);
    }
    done(&r);
  }
}

static void test_decimal_and_yes_no_answers(void **state)
{
  result_t r = run(*state, "{'height':0.1,'sex':'f','pregnant':true}", VALIDATE_DRAFT);
  assert_non_null(strstr(r.out, "\"height\":0.1,"));
  assert_non_null(strstr(r.out, "\"pregnant\":true"));
  done(&r);
  r = run(*state, "{'height':1e999,'sex':'f','pregnant':1}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "height:type pregnant:type");
  done(&r);
}

static void test_date_must_be_a_real_calendar_date(void **state)
{
  const char *bad[] = { "2023-02-29", "2024-13-01", "2024-2-29", "2024-02-29T00:00",
                        "29-02-2024", "2024-00-10" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char payload[100];
    snprintf(payload, sizeof payload, "{'birth':'%s'}", bad[i]);
    result_t r = run(*state, payload, VALIDATE_DRAFT);
    expect_issues(&r, SYNC_ERR_VALIDATION, "birth:type");
    done(&r);
  }
  result_t r = run(*state, "{'birth':'2024-02-29'}", VALIDATE_DRAFT);
  assert_non_null(strstr(r.out, "\"birth\":\"2024-02-29\""));
  done(&r);
  /* the constraint compares with today() */
  r = run(*state, "{" VALID ",'birth':'2024-01-02'}", VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION, "birth:constraint");
  done(&r);
}

static void test_text_limits(void **state)
{
  char *payload = malloc(10100);
  assert_non_null(payload);
  for (size_t n = 9999; n <= 10001; n++) {
    memcpy(payload, "{\"name\":\"", 9);
    memset(payload + 9, 'a', n);
    memcpy(payload + 9 + n, "\"}", 3);
    result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
    r.rc = form_validate(*state, payload, strlen(payload), VALIDATE_DRAFT, "en", TODAY, &r.out,
                         &r.issues);
    expect_issues(&r, n <= 10000 ? SYNC_OK : SYNC_ERR_VALIDATION, n <= 10000 ? "" : "name:type");
    done(&r);
  }
  free(payload);
  const char *bad_utf8[] = { "{\"name\":\"a\xc3\"}", "{\"name\":\"\xed\xa0\x80\"}",
                             "{\"name\":\"\xc0\xaf\"}", "{\"name\":\"\xf4\x90\x80\x80\"}" };
  for (size_t i = 0; i < 4; i++) {
    result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
    r.rc = form_validate(*state, bad_utf8[i], strlen(bad_utf8[i]), VALIDATE_DRAFT, "en", TODAY,
                         &r.out, &r.issues);
    expect_issues(&r, SYNC_ERR_VALIDATION, "name:type");
    done(&r);
  }
}

static void test_text_is_escaped_in_the_canonical_payload(void **state)
{
  const char in[] = "{\"name\":\"Sit\\u00ed \\\"S\\\"\\n\\t\\\\ \\u0001 /\"}";
  result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
  r.rc = form_validate(*state, in, strlen(in), VALIDATE_DRAFT, "en", TODAY, &r.out, &r.issues);
  assert_int_equal(r.rc, SYNC_OK);
  assert_non_null(strstr(r.out, "\"name\":\"Sit\xc3\xad \\\"S\\\"\\n\\t\\\\ \\u0001 /\""));
  done(&r);
}

static void test_select_answers(void **state)
{
  result_t r = run(*state, "{'langs':['jv','en','id']}", VALIDATE_DRAFT);
  assert_non_null(strstr(r.out, "\"langs\":[\"id\",\"en\",\"jv\"],\"nlangs\":3,\"speaks_jv\":true"));
  done(&r);
  const char *bad[][2] = {
    { "{'langs':['id','xx']}", "langs:choice" }, { "{'langs':['id','id']}", "langs:choice" },
    { "{'langs':['id',1]}", "langs:type" },     { "{'langs':'id'}", "langs:type" },
    { "{'langs':['']}", "langs:choice" },       { "{'sex':['f']}", "sex:type" },
    { "{'sex':'F'}", "sex:choice" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    r = run(*state, bad[i][0], VALIDATE_DRAFT);
    expect_issues(&r, SYNC_ERR_VALIDATION, bad[i][1]);
    done(&r);
  }
}

static void test_payload_must_be_a_json_object(void **state)
{
  const char *bad[] = { "[]", "\"x\"", "null", "3", "", "{", "{'a':1,}", "{} {}", "{'a' 1}" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    result_t r = run(*state, bad[i], VALIDATE_DRAFT);
    expect_issues(&r, SYNC_ERR_JSON, ":json");
    done(&r);
  }
  result_t r = run_lang(*state, "{'a':", VALIDATE_DRAFT, "id");
  assert_non_null(strstr(r.issues.items[0].message, "(baris 1, kolom "));
  done(&r);
}

static void test_duplicate_key_and_nul_are_json_errors(void **state)
{
  result_t r = run(*state, "{'age':1,'age':2}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_JSON, ":json");
  done(&r);
  r = run(*state, "{'name':'a\\u0000b'}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_JSON, ":json");
  done(&r);
  const char raw_nul[] = "{\"name\":\"a\0b\"}";
  r.rc = form_validate(*state, raw_nul, sizeof raw_nul - 1, VALIDATE_DRAFT, "en", TODAY, &r.out,
                       &r.issues);
  expect_issues(&r, SYNC_ERR_JSON, ":json");
  done(&r);
  /* an escaped backslash before u0000 is text, not a NUL */
  r = run(*state, "{'name':'a\\\\u0000b'}", VALIDATE_DRAFT);
  assert_int_equal(r.rc, SYNC_OK);
  done(&r);
}

static void test_payload_json_is_read_strictly(void **state)
{
  /* RFC 8259: what a careless writer might produce is refused, not guessed at */
  const char *bad[] = {
    "{\"height\":01}", "{\"height\":1.}", "{\"height\":.5}", "{\"height\":+1}",
    "{\"height\":-}", "{\"height\":1e}", "{\"name\":\"a\tb\"}", "{\"name\":\"\\x\"}",
    "{\"name\":\"\\ud83d\"}", "{\"name\":\"\\udc00x\"}", "{\"name\":\"\\u12\"}",
    "{\"name\":tru}", "{\"name\":nul}", "{'name':'a'", "{'name' : }", "{,}", "{'a':1,}",
    "{'a':[1,]}", "{'a':[1 2]}", "{'a':{'b'}}", "{'a':{'b':1,}}", "{1:2}", "{'a':1}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    result_t r = run(*state, bad[i], VALIDATE_DRAFT);
    if (r.rc != SYNC_ERR_JSON)
      fail_msg("%s was accepted (%s)", bad[i], sync_errname(r.rc));
    done(&r);
  }
  struct { const char *in, *out; } good[] = {
    { " \t\r\n{ \"height\" : -0.5e1 , \"sex\":\"f\" } \n", "\"height\":-5," },
    { "{\"height\":1E+2}", "\"height\":100," },
    { "{\"height\":0.000001}", "\"height\":0.000001," },
    { "{\"height\":1e-400}", "\"height\":0," },
    { "{\"height\":123456789.123456789}", "\"height\":123456789.12345679," },
    { "{\"height\":1.7976931348623157e308}", "\"height\":1.7976931348623157e+308," },
    { "{\"name\":\"\\ud83d\\ude00 \\u00e9\\/\"}", "\"name\":\"\xf0\x9f\x98\x80 \xc3\xa9/\"" },
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
    r.rc = form_validate(*state, good[i].in, strlen(good[i].in), VALIDATE_DRAFT, "en", TODAY,
                         &r.out, &r.issues);
    if (r.rc != SYNC_OK || !strstr(r.out, good[i].out))
      fail_msg("%s gave %s %s, wanted %s", good[i].in, sync_errname(r.rc), r.out ? r.out : "",
               good[i].out);
    done(&r);
  }
}

static void test_nested_values_are_checked_to_a_depth_limit(void **state)
{
  result_t r = run(*state, "{'extra':{'a':[1,{'b':null,'c':[true,false,'x\\'']}],'d':{}},'info':[]}",
                   VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "extra:unknown_field");
  done(&r);
  for (int depth = 500; depth <= 600; depth += 100) {
    char *p = malloc(2 * (size_t)depth + 16);
    assert_non_null(p);
    size_t n = (size_t)sprintf(p, "{\"x\":");
    for (int i = 0; i < depth; i++)
      p[n++] = '[';
    for (int i = 0; i < depth; i++)
      p[n++] = ']';
    p[n++] = '}';
    r.rc = form_validate(*state, p, n, VALIDATE_DRAFT, "en", TODAY, &r.out, &r.issues);
    assert_int_equal(r.rc, depth == 500 ? SYNC_ERR_VALIDATION : SYNC_ERR_JSON);
    done(&r);
    free(p);
  }
}

static void test_payload_over_1_mib_is_too_large(void **state)
{
  size_t n = (1u << 20) + 1;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  result_t r = { SYNC_OK, NULL, { NULL, 0, 0 } };
  r.rc = form_validate(*state, big, n, VALIDATE_DRAFT, "en", TODAY, &r.out, &r.issues);
  expect_issues(&r, SYNC_ERR_TOO_LARGE, ":too_large");
  done(&r);
  r.rc = form_validate(*state, big, n - 1, VALIDATE_DRAFT, "en", TODAY, &r.out, &r.issues);
  expect_issues(&r, SYNC_ERR_JSON, ":json");  /* 1 MiB exactly is accepted, but unterminated */
  done(&r);
  free(big);
}

static void test_issues_are_appended_to_the_list(void **state)
{
  issue_list_t issues = { NULL, 0, 0 };
  assert_int_equal(issue_list_add(&issues, "earlier", "x", "y"), 0);
  char *out = (char *)1;
  const char *p = "{\"age\":\"x\"}";
  assert_int_equal(form_validate(*state, p, strlen(p), VALIDATE_DRAFT, "en", TODAY, &out, &issues),
                   SYNC_ERR_VALIDATION);
  assert_null(out);
  assert_int_equal(issues.count, 2);
  assert_string_equal(issues.items[0].field, "earlier");
  assert_string_equal(issues.items[1].field, "age");
  issue_list_clear(&issues);
  /* no issue list and no output wanted: still a verdict */
  assert_int_equal(form_validate(*state, p, strlen(p), VALIDATE_DRAFT, "en", TODAY, NULL, NULL),
                   SYNC_ERR_VALIDATION);
  assert_int_equal(form_validate(*state, "{}", 2, VALIDATE_DRAFT, "en", TODAY, NULL, NULL), SYNC_OK);
}

static void test_expression_error_is_reported_on_its_field(void **state)
{
  (void)state;
  char *json = ft_unquote(
    "{'format':1,'form_id':'rx','version':1,'default_language':'en','languages':['en'],"
    "'title':{'en':'Regex'},'sections':[{'name':'s','label':{'en':'S'},'fields':["
    "{'name':'pattern','type':'text','label':{'en':'Pattern'}},"
    "{'name':'text','type':'text','label':{'en':'Text'},'constraint':'regex(., ${pattern})'},"
    "{'name':'hit','type':'calculate','calculation':'regex(${text}, ${pattern})'},"
    "{'name':'after','type':'text','label':{'en':'After'},'relevant':'regex(^a^, ${pattern})'}]}]}");
  sync_err_t err;
  char msg[200];
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  free(json);
  assert_non_null(f);
  result_t r = run(f, "{'pattern':'[','text':'abc','after':'kept'}", VALIDATE_FINAL);
  expect_issues(&r, SYNC_ERR_VALIDATION, "text:expression hit:expression after:expression");
  assert_non_null(strstr(r.issues.items[0].message, "(constraint)"));
  assert_non_null(strstr(r.issues.items[1].message, "(calculation)"));
  done(&r);
  /* expression errors block drafts too */
  r = run(f, "{'pattern':'[','after':'kept'}", VALIDATE_DRAFT);
  expect_issues(&r, SYNC_ERR_VALIDATION, "hit:expression after:expression");
  done(&r);
  r = run(f, "{'pattern':'b','text':'abc','after':'kept'}", VALIDATE_FINAL);
  expect_out(&r, "{'pattern':'b','text':'abc','hit':true}");  /* 'after' is asked when a matches b */
  done(&r);
  form_free(f);
}

static void test_calculated_values_are_written_by_type(void **state)
{
  (void)state;
  char *json = ft_unquote(
    "{'format':1,'form_id':'calc','version':1,'default_language':'id','languages':['id'],"
    "'title':{'id':'Hitung'},'sections':[{'name':'s','label':{'id':'S'},'fields':["
    "{'name':'n','type':'integer','label':{'id':'N'}},"
    "{'name':'whole','type':'calculate','calculation':'6 * 7'},"
    "{'name':'third','type':'calculate','calculation':'1 div 3'},"
    "{'name':'big','type':'calculate','calculation':'1000000 * 1000000 * 1000000 * 10'},"
    "{'name':'flag','type':'calculate','calculation':'${n} > 1'},"
    "{'name':'text','type':'calculate','calculation':'concat(^a\\\"b^, ${n})'},"
    "{'name':'day','type':'calculate','calculation':'today() + 1'},"
    "{'name':'nan','type':'calculate','calculation':'${n} + 1'},"
    "{'name':'blank','type':'calculate','calculation':'concat(^^, ^^)'},"
    "{'name':'hidden','type':'calculate','calculation':'1','relevant':'${n} > 5'}]}]}");
  sync_err_t err;
  char msg[200];
  form_t *f = form_parse(json, strlen(json), &err, msg, sizeof msg);
  free(json);
  if (!f)
    fail_msg("%s", msg);
  result_t r = run(f, "{}", VALIDATE_FINAL);
  expect_out(&r, "{'whole':42,'third':0.3333333333333333,'big':1e+19,'flag':false,"
                 "'text':'a\\\"b','day':'2024-01-02'}");
  done(&r);
  r = run(f, "{'n':7}", VALIDATE_FINAL);
  expect_out(&r, "{'n':7,'whole':42,'third':0.3333333333333333,'big':1e+19,'flag':true,"
                 "'text':'a\\\"b7','day':'2024-01-02','nan':8,'hidden':1}");
  done(&r);
  form_free(f);
}

static void test_evaluate_reports_relevance_issues_and_completeness(void **state)
{
  char *out = NULL;
  issue_list_t issues = { NULL, 0, 0 };
  const char *p = "{\"name\":\"Ani\",\"age\":12,\"job\":\"x\"}";
  assert_int_equal(form_evaluate(*state, p, strlen(p), "en", TODAY, &out, &issues), SYNC_OK);
  char *want = ft_unquote(
    "{'payload':{'initial':'A','name':'Ani','age':12,'nlangs':0,'speaks_jv':false,'adult':false},"
    "'relevant':{'initial':true,'name':true,'age':true,'height':true,'birth':true,'sex':true,"
    "'pregnant':false,'langs':true,'nlangs':true,'speaks_jv':true,'adult':true,'info':true,"
    "'email':true,'phone':true,'job':false,'pay':false,'summary':false},"
    "'issues':[{'field':'email','code':'required','message':'Isi surel atau telepon.'},"
    "{'field':'phone','code':'required','message':'Required.'}],'complete':false}");
  assert_string_equal(out, want);
  assert_int_equal(issues.count, 2);
  free(want);
  free(out);
  issue_list_clear(&issues);

  p = "{\"name\":\"Ani\",\"age\":12,\"phone\":\"1\"}";
  assert_int_equal(form_evaluate(*state, p, strlen(p), "en", TODAY, &out, NULL), SYNC_OK);
  assert_non_null(strstr(out, "\"issues\":[],\"complete\":true}"));
  free(out);

  assert_int_equal(form_evaluate(*state, "[1]", 3, "en", TODAY, &out, &issues), SYNC_ERR_JSON);
  assert_null(out);
  assert_int_equal(issues.count, 1);
  assert_string_equal(issues.items[0].code, "json");
  issue_list_clear(&issues);
}

static void test_numbers_are_written_with_a_point_in_any_locale(void **state)
{
  /* A GTK app runs with LC_NUMERIC from the environment; where the decimal separator is ',',
   * printf would write 150,5. */
  const char *locales[] = { "de_DE.UTF-8", "id_ID.UTF-8", "fr_FR.UTF-8", NULL };
  const char *set = NULL;
  for (size_t i = 0; locales[i] && !set; i++)
    set = setlocale(LC_NUMERIC, locales[i]);
  result_t r = run(*state, "{'height':150.5}", VALIDATE_DRAFT);
  setlocale(LC_NUMERIC, "C");
  assert_non_null(strstr(r.out, "\"height\":150.5"));
  done(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_record_is_canonical_in_form_order),
    cmocka_unit_test(test_canonical_payload_validates_to_itself),
    cmocka_unit_test(test_every_failing_field_is_reported),
    cmocka_unit_test(test_non_relevant_answer_is_removed),
    cmocka_unit_test(test_non_relevant_section_drops_its_answers_and_requirements),
    cmocka_unit_test(test_caller_supplied_calculation_is_replaced),
    cmocka_unit_test(test_calculation_may_use_fields_defined_after_it),
    cmocka_unit_test(test_draft_skips_required_but_checks_types),
    cmocka_unit_test(test_draft_skips_constraints),
    cmocka_unit_test(test_required_expression_is_checked_on_final_values),
    cmocka_unit_test(test_messages_follow_the_language_with_fallbacks),
    cmocka_unit_test(test_unknown_field_is_reported_with_its_name),
    cmocka_unit_test(test_many_unknown_keys_are_summarised),
    cmocka_unit_test(test_answer_to_a_note_is_an_unknown_field),
    cmocka_unit_test(test_null_empty_string_and_empty_array_are_unanswered),
    cmocka_unit_test(test_integer_answers),
    cmocka_unit_test(test_decimal_and_yes_no_answers),
    cmocka_unit_test(test_date_must_be_a_real_calendar_date),
    cmocka_unit_test(test_text_limits),
    cmocka_unit_test(test_text_is_escaped_in_the_canonical_payload),
    cmocka_unit_test(test_select_answers),
    cmocka_unit_test(test_payload_must_be_a_json_object),
    cmocka_unit_test(test_duplicate_key_and_nul_are_json_errors),
    cmocka_unit_test(test_payload_json_is_read_strictly),
    cmocka_unit_test(test_nested_values_are_checked_to_a_depth_limit),
    cmocka_unit_test(test_payload_over_1_mib_is_too_large),
    cmocka_unit_test(test_issues_are_appended_to_the_list),
    cmocka_unit_test(test_expression_error_is_reported_on_its_field),
    cmocka_unit_test(test_calculated_values_are_written_by_type),
    cmocka_unit_test(test_evaluate_reports_relevance_issues_and_completeness),
    cmocka_unit_test(test_numbers_are_written_with_a_point_in_any_locale),
  };
  return cmocka_run_group_tests(tests, setup, ft_form_teardown);
}
