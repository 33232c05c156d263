/* Evaluation of a parsed expression: a walk over the read-only tree with values on the stack.
 * Nothing here allocates; only functions that compute strings do (expr_func.c).
 *
 * Empty values (proto/FORMS.md): a comparison with an unanswered value is false, except that
 * unanswered equals '' (so "= ''" is true and "!= ''" false). Arithmetic on it gives NaN, and
 * every comparison involving NaN is false, including "!=".
 */
#include <math.h>
#include <string.h>
#include "expr_internal.h"

static void set_bool(expr_value_t *v, int b)
{
  memset(v, 0, sizeof *v);
  v->kind = EXPR_BOOL;
  v->b = b != 0;
}

static void set_num(expr_value_t *v, double x)
{
  memset(v, 0, sizeof *v);
  v->kind = EXPR_NUM;
  v->num = x;
}

/* A value from the caller (lookup, '.'): borrowed, and made well-formed. */
static void take_borrowed(expr_value_t *out, const expr_value_t *in)
{
  *out = *in;
  out->owned = NULL;
  switch (out->kind) {
  case EXPR_BOOL: out->b = out->b != 0; break;
  case EXPR_NUM:
  case EXPR_DATE: break;
  case EXPR_STR:
    if (out->str == NULL || out->str[0] == '\0')
      memset(out, 0, sizeof *out);
    break;
  default: memset(out, 0, sizeof *out);
  }
}

static int compare_num(bin_op_t op, double x, double y)
{
  if (isnan(x) || isnan(y))
    return 0;
  switch (op) {
  case B_EQ: return x == y;
  case B_NE: return x != y;
  case B_LT: return x < y;
  case B_LE: return x <= y;
  case B_GT: return x > y;
  default: return x >= y;
  }
}

/* XPath 1.0 comparison of two non-node-set values, with dates and empty values added.
 * The empty string counts as empty here, so "${n} != ''" is true for an answered 0 or false(). */
static int compare(bin_op_t op, const expr_value_t *a, const expr_value_t *b)
{
  int32_t da, db;
  int eq;

  if (expr_is_empty(a) || expr_is_empty(b)) {
    /* "= ''" tests emptiness; anything else with an unanswered value is false */
    int both = expr_is_empty(a) && expr_is_empty(b);
    if (op == B_EQ)
      return both;
    if (op == B_NE)
      return !both && a->kind != EXPR_EMPTY && b->kind != EXPR_EMPTY;
    return 0;
  }
  if ((a->kind == EXPR_DATE || b->kind == EXPR_DATE) && a->kind != EXPR_BOOL &&
      b->kind != EXPR_BOOL && a->kind != EXPR_NUM && b->kind != EXPR_NUM) {
    /* date vs date or "YYYY-MM-DD" text: as dates; other text is never equal to a date */
    if (!expr_value_to_date(a, &da) || !expr_value_to_date(b, &db))
      return op == B_NE;
    return compare_num(op, da, db);
  }
  if (op == B_EQ || op == B_NE) {
    if (a->kind == EXPR_BOOL || b->kind == EXPR_BOOL)
      eq = expr_truthy(a) == expr_truthy(b);
    else if (a->kind == EXPR_NUM || b->kind == EXPR_NUM)
      return compare_num(op, expr_to_number(a), expr_to_number(b));
    else
      eq = strcmp(a->str, b->str) == 0;
    return op == B_EQ ? eq : !eq;
  }
  return compare_num(op, expr_to_number(a), expr_to_number(b));
}

/* date + n, n + date, date - n: a date while the result is a whole day in range. */
static void date_shift(expr_value_t *out, int32_t days, double n)
{
  double r = (double)days + n;
  if (r == trunc(r) && r >= EXPR_DAY_MIN && r <= EXPR_DAY_MAX) {
    memset(out, 0, sizeof *out);
    out->kind = EXPR_DATE;
    out->days = (int32_t)r;
  } else {
    set_num(out, r);
  }
}

static void arith(bin_op_t op, const expr_value_t *a, const expr_value_t *b, expr_value_t *out)
{
  int32_t da, db;
  double x, y;

  if (op == B_ADD || op == B_SUB) {
    int a_date = a->kind == EXPR_DATE, b_date = b->kind == EXPR_DATE;
    if (a_date && b_date) {
      set_num(out, op == B_SUB ? (double)a->days - b->days : (double)a->days + b->days);
      return;
    }
    if (op == B_SUB && (a_date || b_date) && expr_value_to_date(a, &da) &&
        expr_value_to_date(b, &db) && (a->kind == EXPR_STR || b->kind == EXPR_STR)) {
      set_num(out, (double)da - db);    /* date - "YYYY-MM-DD" */
      return;
    }
    if (a_date) {
      date_shift(out, a->days, op == B_SUB ? -expr_to_number(b) : expr_to_number(b));
      return;
    }
    if (b_date && op == B_ADD) {
      date_shift(out, b->days, expr_to_number(a));
      return;
    }
  }
  x = expr_to_number(a);
  y = expr_to_number(b);
  switch (op) {
  case B_ADD: set_num(out, x + y); break;
  case B_SUB: set_num(out, x - y); break;
  case B_MUL: set_num(out, x * y); break;
  case B_DIV: set_num(out, x / y); break;    /* IEEE: x div 0 is +-Infinity or NaN */
  default: set_num(out, fmod(x, y)); break;  /* XPath mod: truncating, sign of x */
  }
}

/* and / or: a chain holds one of them only; stops at the first operand that decides. */
static int eval_logic(const expr_node_t *n, const expr_env_t *env, expr_value_t *out,
                      expr_error_t *err)
{
  int is_or = n->ops[1] == B_OR;
  for (size_t i = 0; i < n->nkids; i++) {
    expr_value_t v;
    int t;
    if (expr_eval_node(n->kids[i], env, &v, err) != 0)
      return -1;
    t = expr_truthy(&v);
    expr_value_clear(&v);
    if (t == is_or) {
      set_bool(out, is_or);
      return 0;
    }
  }
  set_bool(out, !is_or);
  return 0;
}

static int eval_chain(const expr_node_t *n, const expr_env_t *env, expr_value_t *out,
                      expr_error_t *err)
{
  expr_value_t acc, rhs, res;

  if (n->ops[1] == B_OR || n->ops[1] == B_AND)
    return eval_logic(n, env, out, err);
  if (expr_eval_node(n->kids[0], env, &acc, err) != 0)
    return -1;
  for (size_t i = 1; i < n->nkids; i++) {
    bin_op_t op = (bin_op_t)n->ops[i];
    if (expr_eval_node(n->kids[i], env, &rhs, err) != 0) {
      expr_value_clear(&acc);
      return -1;
    }
    if (op >= B_EQ && op <= B_GE)
      set_bool(&res, compare(op, &acc, &rhs));
    else
      arith(op, &acc, &rhs, &res);
    expr_value_clear(&acc);
    expr_value_clear(&rhs);
    acc = res;
  }
  *out = acc;
  return 0;
}

int expr_eval_node(const expr_node_t *n, const expr_env_t *env, expr_value_t *out,
                   expr_error_t *err)
{
  expr_value_t v;

  memset(out, 0, sizeof *out);
  switch (n->op) {
  case N_LIT:
    *out = n->lit;
    return 0;
  case N_SELF:
    take_borrowed(out, &env->self);
    return 0;
  case N_REF:
    memset(&v, 0, sizeof v);
    if (env->lookup == NULL || env->lookup(env->user, n->name, &v) != 0)
      return expr_fail(err, n->pos, "unknown field '%s'", n->name);
    take_borrowed(out, &v);
    return 0;
  case N_NEG:
  case N_NOT:
    if (expr_eval_node(n->kids[0], env, &v, err) != 0)
      return -1;
    if (n->op == N_NEG)
      set_num(out, -expr_to_number(&v));
    else
      set_bool(out, !expr_truthy(&v));
    expr_value_clear(&v);
    return 0;
  case N_CALL:
    if (n->fn->eval(n, env, out, err) != 0) {
      expr_value_clear(out);
      return -1;
    }
    return 0;
  case N_CHAIN:
    return eval_chain(n, env, out, err);
  }
  return expr_fail(err, n->pos, "internal error: unknown node");
}

int expr_eval(const expr_t *e, const expr_env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_error_t scratch;
  if (err == NULL)
    err = &scratch;
  memset(err, 0, sizeof *err);
  if (out == NULL)
    return expr_fail(err, 0, "no place for the result");
  memset(out, 0, sizeof *out);
  if (e == NULL || e->root == NULL || env == NULL)
    return expr_fail(err, 0, "nothing to evaluate");
  return expr_eval_node(e->root, env, out, err);
}
