/* libFuzzer target for the expression language: parse any text; when it parses, evaluate it in
 * a fixed environment where every ${name} resolves (to a value picked from the name), then free.
 * Seeds: fuzz/corpus/expr/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *user, const char *name, expr_value_t *out)
{
  static const char *const texts[] = {"", "yes", "a b  c", "2020-02-29", "Caf\xC3\xA9 \xE6\x97\xA5",
                                      " 42 ", "-0.5", "[a-"};
  unsigned h = 0;
  (void)user;
  for (const char *p = name; *p != '\0'; p++)
    h = h * 31u + (unsigned char)*p;
  if (name[0] == 'x')
    return -1;   /* an unknown field at run time */
  switch (h % 6) {
  case 0: out->kind = EXPR_EMPTY; break;
  case 1: out->kind = EXPR_BOOL; out->b = (int)(h >> 3) & 1; break;
  case 2: out->kind = EXPR_NUM; out->num = (double)(h % 1000) - 500 + (h & 8 ? 0.25 : 0); break;
  case 3: out->kind = EXPR_DATE; out->days = (int32_t)(h % 40000) - 10000; break;
  default:
    out->kind = EXPR_STR;
    out->str = texts[(h >> 4) % (sizeof texts / sizeof texts[0])];
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *src = malloc(size + 1);
  expr_error_t err;
  expr_t *e;

  if (src == NULL)
    return 0;
  memcpy(src, data, size);
  src[size] = '\0';
  e = expr_parse(src, &err);
  if (e != NULL) {
    expr_env_t env;
    expr_value_t v;
    memset(&env, 0, sizeof env);
    env.lookup = lookup;
    env.self.kind = EXPR_STR;
    env.self.str = "3201234567890123";
    env.today = 19889;
    for (size_t i = 0; i < expr_ref_count(e); i++)
      if (expr_ref_name(e, i) == NULL)
        abort();
    if (expr_eval(e, &env, &v, &err) == 0) {
      if (v.kind == EXPR_STR && v.str == NULL)
        abort();
      expr_value_clear(&v);
    } else if (err.msg[0] == '\0' || v.kind != EXPR_EMPTY) {
      abort();
    }
    expr_free(e);
  } else if (err.msg[0] == '\0' || err.pos > strlen(src)) {
    abort();
  }
  free(src);
  return 0;
}
