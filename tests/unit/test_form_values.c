/* VALIDATE_VALUES, the server's check of what a device sent (form_def.h; proto/SECURITY.md
 * "Exports and clear values"): every answer present judged, constraints and calculated values
 * judged only when their outcome does not depend on the day, required answers not asked for;
 * the device's own modes unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_def.h"
#include "form_test.h"

static const char FORM[] =
  "{'format':1,'form_id':'visit','version':1,'default_language':'id','languages':['id','en'],"
  "'title':{'id':'Kunjungan'},"
  "'choice_lists':{'sex':[{'name':'f','label':{'id':'P'}},{'name':'m','label':{'id':'L'}}],"
  "  'langs':[{'name':'id','label':{'id':'I'}},{'name':'jv','label':{'id':'J'}}]},"
  "'sections':[{'name':'s','label':{'id':'S'},'fields':["
  "  {'name':'visit','type':'date','label':{'id':'V'},'required':true,"
  "   'constraint':'. <= today() and . >= date(^2007-04-19^)'},"
  "  {'name':'code','type':'text','label':{'id':'K'},'required':true,"
  "   'constraint':'regex(., ^[0-9]{2}[.][0-9]{2}$^)'},"
  "  {'name':'sex','type':'select_one','label':{'id':'JK'},'choices':'sex','required':true},"
  "  {'name':'pregnant','type':'yes_no','label':{'id':'H'},'relevant':'${sex} = ^f^'},"
  "  {'name':'birth','type':'date','label':{'id':'L'}},"
  "  {'name':'langs','type':'select_multiple','label':{'id':'B'},'choices':'langs'},"
  "  {'name':'nlangs','type':'calculate','calculation':'count-selected(${langs})'},"
  "  {'name':'years','type':'calculate','calculation':'age(${birth})'},"
  "  {'name':'days','type':'calculate','calculation':'${visit} - ${birth}'}]}]}";

static int setup(void **state)
{
  return ft_form_setup(state, FORM);
}

/* The issues of validating `payload` in `mode` as "field:code" joined by spaces. */
static void expect(const form_t *f, validate_mode_t mode, const char *payload,
                   const char *expected)
{
  char *json = ft_unquote(payload);
  issue_list_t issues = {NULL, 0, 0};
  sync_err_t rc = form_validate(f, json, strlen(json), mode, "en", TODAY, NULL, &issues);
  char got[1024] = "";
  size_t len = 0;
  for (size_t i = 0; i < issues.count && len < sizeof got; i++)
    len += (size_t)snprintf(got + len, sizeof got - len, "%s%s:%s", i ? " " : "",
                            issues.items[i].field, issues.items[i].code);
  if (strcmp(got, expected) != 0 || (rc == SYNC_OK) != (expected[0] == '\0'))
    fail_msg("%s\n expected [%s]\n      got %s [%s]", payload, expected, sync_errname(rc), got);
  issue_list_clear(&issues);
  free(json);
}

static void test_values_mode_accepts_a_final_record_and_a_partial_one(void **state)
{
  expect(*state, VALIDATE_VALUES,
         "{'visit':'2023-12-30','code':'35.02','sex':'f','pregnant':false,'birth':'1990-01-01',"
         "'langs':['id','jv'],'nlangs':2,'years':34,'days':12416}", "");
  /* required answers may be absent (sealed on the device): not judged */
  expect(*state, VALIDATE_VALUES, "{'sex':'m'}", "");
}

static void test_values_mode_judges_patterns_choices_dates_and_unasked_answers(void **state)
{
  expect(*state, VALIDATE_VALUES,
         "{'visit':'2023-02-30','code':'@SUM(1+1)','sex':'=HYPERLINK(^x^)'}",
         "visit:type code:constraint sex:choice");
  expect(*state, VALIDATE_VALUES, "{'sex':'m','pregnant':true}", "pregnant:not_relevant");
  /* the draft mode a device saves with is unchanged: constraints and relevance not judged */
  expect(*state, VALIDATE_DRAFT, "{'code':'@SUM(1+1)','sex':'m','pregnant':true}", "");
}

/* A constraint with today() is judged only where no day could make it pass: 2023 passes on some
 * day a device could have been on, 2030 and 2001 on none. */
static void test_values_mode_leaves_day_dependent_outcomes_to_the_device(void **state)
{
  expect(*state, VALIDATE_VALUES, "{'visit':'2023-06-01'}", "");
  expect(*state, VALIDATE_VALUES, "{'visit':'2030-06-01'}", "visit:constraint");
  expect(*state, VALIDATE_VALUES, "{'visit':'2001-06-01'}", "visit:constraint");
  /* age(${birth}) counts from today: not recomputed, any plain number passes */
  expect(*state, VALIDATE_VALUES, "{'birth':'1990-01-01','years':7}", "");
  expect(*state, VALIDATE_VALUES, "{'birth':'1990-01-01','years':['7']}", "years:type");
}

static void test_values_mode_recomputes_calculated_values(void **state)
{
  expect(*state, VALIDATE_VALUES, "{'langs':['id'],'nlangs':5}", "nlangs:calculated");
  expect(*state, VALIDATE_VALUES, "{'langs':['id'],'nlangs':'=1+1'}", "nlangs:calculated");
  expect(*state, VALIDATE_VALUES, "{'visit':'2023-12-30','birth':'2023-12-01','days':29}", "");
  expect(*state, VALIDATE_VALUES, "{'visit':'2023-12-30','birth':'2023-12-01','days':30}",
         "days:calculated");
  /* a value where the calculation gives none (no date of birth) is forged too */
  expect(*state, VALIDATE_VALUES, "{'visit':'2023-12-30','days':0}", "days:calculated");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_values_mode_accepts_a_final_record_and_a_partial_one),
    cmocka_unit_test(test_values_mode_judges_patterns_choices_dates_and_unasked_answers),
    cmocka_unit_test(test_values_mode_leaves_day_dependent_outcomes_to_the_device),
    cmocka_unit_test(test_values_mode_recomputes_calculated_values),
  };
  return cmocka_run_group_tests(tests, setup, ft_form_teardown);
}
