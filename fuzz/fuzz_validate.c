/* libFuzzer target: arbitrary bytes as a record payload for a fixed form with relevance,
 * calculations, constraints and every field type, validated in both modes and evaluated.
 * Invariants: a verdict is always given; an accepted payload's canonical form is accepted
 * again and is its own canonical form; the strict payload reader accepts nothing that cJSON
 * refuses and reads the same values. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "form_def.h"
#include "form_internal.h"
#include "sync/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char FORM[] =
  "{\"format\":1,\"form_id\":\"fuzz\",\"version\":1,\"default_language\":\"id\","
  "\"languages\":[\"id\",\"en\"],\"title\":{\"id\":\"Uji\"},"
  "\"choice_lists\":{\"c\":[{\"name\":\"a\",\"label\":{\"id\":\"A\"}},"
  "{\"name\":\"b\",\"label\":{\"id\":\"B\"}},{\"name\":\"c.d-e_f\",\"label\":{\"id\":\"C\"}}]},"
  "\"sections\":[{\"name\":\"s\",\"label\":{\"id\":\"S\"},\"fields\":["
  "{\"name\":\"t\",\"type\":\"text\",\"label\":{\"id\":\"T\"},\"required\":true,"
  " \"constraint\":\"string-length(.) < 50 and not(regex(., '[0-9]{5}'))\"},"
  "{\"name\":\"n\",\"type\":\"integer\",\"label\":{\"id\":\"N\"},\"constraint\":\". mod 2 = 0\"},"
  "{\"name\":\"x\",\"type\":\"decimal\",\"label\":{\"id\":\"X\"},\"relevant\":\"${n} > 3\"},"
  "{\"name\":\"d\",\"type\":\"date\",\"label\":{\"id\":\"D\"},\"constraint\":\". <= today()\"},"
  "{\"name\":\"age\",\"type\":\"calculate\",\"calculation\":\"age(${d})\"},"
  "{\"name\":\"o\",\"type\":\"select_one\",\"label\":{\"id\":\"O\"},\"choices\":\"c\"},"
  "{\"name\":\"m\",\"type\":\"select_multiple\",\"label\":{\"id\":\"M\"},\"choices\":\"c\","
  " \"required\":\"${o} = 'a'\"},"
  "{\"name\":\"y\",\"type\":\"yes_no\",\"label\":{\"id\":\"Y\"},"
  " \"relevant\":\"selected(${m}, 'b') or ${age} >= 18\"},"
  "{\"name\":\"k\",\"type\":\"note\",\"label\":{\"id\":\"K\"}},"
  "{\"name\":\"sum\",\"type\":\"calculate\","
  " \"calculation\":\"if(${y}, concat(${t}, '-', ${n} * ${x}), substr(${t}, 1, 3))\"}]},"
  "{\"name\":\"more\",\"label\":{\"id\":\"More\"},\"relevant\":\"count-selected(${m}) > 1\","
  " \"fields\":[{\"name\":\"z\",\"type\":\"text\",\"label\":{\"id\":\"Z\"},\"required\":true},"
  " {\"name\":\"w\",\"type\":\"calculate\",\"calculation\":\"round(${x} div 3, 2)\"}]}]}";

static form_t *the_form(void)
{
  static form_t *f;
  if (!f) {
    sync_err_t err;
    char msg[256];
    f = form_parse(FORM, sizeof FORM - 1, &err, msg, sizeof msg);
    if (!f)
      abort();
  }
  return f;
}

typedef struct diff {
  const cJSON *next;   /* the cJSON member expected next */
} diff_t;

static int same_member(void *user, const char *key, size_t key_len, const form_jval_t *v)
{
  if (strlen(key) != key_len)
    abort();
  diff_t *d = user;
  const cJSON *c = d->next;
  if (!c || strcmp(c->string, key) != 0)
    abort();
  d->next = c->next;
  switch (v->kind) {
  case FJ_NULL: if (!cJSON_IsNull(c)) abort(); break;
  case FJ_TRUE: if (!cJSON_IsTrue(c)) abort(); break;
  case FJ_FALSE: if (!cJSON_IsFalse(c)) abort(); break;
  case FJ_OBJ: if (!cJSON_IsObject(c)) abort(); break;
  case FJ_NUM:
    if (!cJSON_IsNumber(c) || (c->valuedouble != v->num && !(isnan(v->num) && isnan(c->valuedouble))))
      abort();
    break;
  case FJ_STR:
    if (!cJSON_IsString(c) || strlen(c->valuestring) != v->len ||
        memcmp(c->valuestring, v->str, v->len) != 0)
      abort();
    break;
  case FJ_ARR: {
    if (!cJSON_IsArray(c) || (uint32_t)cJSON_GetArraySize(c) != v->count)
      abort();
    const char *e = v->str;
    for (const cJSON *x = c->child; x && v->ok; x = x->next, e += strlen(e) + 1)
      if (!cJSON_IsString(x) || strcmp(x->valuestring, e) != 0)
        abort();
    break;
  }
  default:
    abort();
  }
  return 0;
}

static int ignore_member(void *user, const char *key, size_t key_len, const form_jval_t *v)
{
  (void)user;
  (void)key;
  (void)key_len;
  (void)v;
  return 0;
}

/* cJSON reads at most 63 characters of a number and then fails on the rest. */
static int has_long_number(const char *s, size_t n)
{
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    run = strchr("0123456789.eE+-", s[i]) && s[i] ? run + 1 : 0;
    if (run >= 60)
      return 1;
  }
  return 0;
}

/* The payload reader against cJSON: stricter, never different. */
static void compare_with_cjson(const char *json, size_t size)
{
  char *buf = malloc(size + 1);
  if (!buf)
    return;
  size_t off = 0;
  int rc = form_json_object(json, size, buf, ignore_member, NULL, &off);
  if (rc != 0 && off > size)
    abort();
  cJSON *root = rc == 0 ? cJSON_ParseWithLength(json, size) : NULL;
  if (rc == 0 && !has_long_number(json, size)) {
    if (!cJSON_IsObject(root))
      abort();
    diff_t d = { root->child };
    if (form_json_object(json, size, buf, same_member, &d, &off) != 0 || d.next)
      abort();
  }
  cJSON_Delete(root);
  free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const form_t *f = the_form();
  if (size <= SYNC_MAX_PAYLOAD && !memchr(data, 0, size))
    compare_with_cjson((const char *)data, size);
  const char *json = (const char *)data;
  for (int mode = 0; mode < 2; mode++) {
    issue_list_t issues = { NULL, 0, 0 };
    char *out = NULL;
    validate_mode_t m = mode ? VALIDATE_FINAL : VALIDATE_DRAFT;
    sync_err_t rc = form_validate(f, json, size, m, mode ? "en" : "id", 19723, &out, &issues);
    if ((rc == SYNC_OK) != (out != NULL) || (rc == SYNC_OK) != (issues.count == 0))
      abort();
    if (rc == SYNC_OK) {
      char *again = NULL;
      if (form_validate(f, out, strlen(out), m, "en", 19723, &again, NULL) != SYNC_OK ||
          strcmp(again, out) != 0)
        abort();
      free(again);
    }
    free(out);
    issue_list_clear(&issues);
  }
  char *ev = NULL;
  sync_err_t rc = form_evaluate(f, json, size, "en", 19723, &ev, NULL);
  if ((rc == SYNC_OK) != (ev != NULL))
    abort();
  free(ev);
  return 0;
}
