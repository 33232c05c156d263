/* Parser of the expression language: precedence climbing over the levels of proto/FORMS.md
 * (or; and; = !=; < <= > >=; + -; * div mod; unary - and not). Function names and argument
 * counts are checked here, and literal regex patterns compiled, so evaluation cannot meet them.
 * Recursion is bounded by EXPR_MAX_DEPTH; chains of one level become one N_CHAIN node. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"

enum { LEVEL_UNARY = 6 };

typedef struct parser {
  lexer_t lx;
  token_t tok;
  expr_t *e;
  expr_error_t *err;
  int depth;
} parser_t;

int expr_fail(expr_error_t *err, size_t pos, const char *fmt, ...)
{
  va_list ap;
  if (err == NULL)
    return -1;
  err->pos = pos;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  return -1;
}

static int advance(parser_t *p)
{
  return expr_lex_next(&p->lx, &p->tok, p->err);
}

static const char *src_at(const parser_t *p, size_t off)
{
  return p->lx.src + off;
}

/* A short description of the current token for messages ("')'", "a number", ...). */
static void describe(const parser_t *p, char *buf, size_t n)
{
  const token_t *t = &p->tok;
  switch (t->kind) {
  case T_END: snprintf(buf, n, "the end of the expression"); break;
  case T_NUM: snprintf(buf, n, "a number"); break;
  case T_STR: snprintf(buf, n, "a string"); break;
  case T_REF: snprintf(buf, n, "a field reference"); break;
  default:
    snprintf(buf, n, "'%.*s'", t->len > 32 ? 32 : (int)t->len, src_at(p, t->pos));
  }
}

static int depth_enter(parser_t *p, size_t pos)
{
  if (++p->depth > EXPR_MAX_DEPTH)
    return expr_fail(p->err, pos, "expression is nested more than %d levels deep",
                     EXPR_MAX_DEPTH);
  return 0;
}

static expr_node_t *new_node(parser_t *p, node_op_t op, size_t pos)
{
  expr_node_t *n = calloc(1, sizeof *n);
  if (n == NULL) {
    expr_fail(p->err, pos, "out of memory");
    return NULL;
  }
  n->op = op;
  n->pos = pos;
  n->next = p->e->nodes;
  p->e->nodes = n;
  return n;
}

static int add_kid(parser_t *p, expr_node_t *n, expr_node_t *kid, bin_op_t op)
{
  if (n->nkids == n->cap) {
    size_t cap = n->cap ? n->cap * 2 : 2;
    expr_node_t **kids = realloc(n->kids, cap * sizeof *kids);
    unsigned char *ops;
    if (kids == NULL)
      return expr_fail(p->err, kid->pos, "out of memory");
    n->kids = kids;
    ops = realloc(n->ops, cap);
    if (ops == NULL)
      return expr_fail(p->err, kid->pos, "out of memory");
    n->ops = ops;
    n->cap = cap;
  }
  n->kids[n->nkids] = kid;
  n->ops[n->nkids] = (unsigned char)op;
  n->nkids++;
  return 0;
}

/* The tree's reference table holds each name once, in order of first appearance. */
static const char *intern_ref(parser_t *p, const char *name, size_t len)
{
  expr_t *e = p->e;
  char *copy;
  for (size_t i = 0; i < e->nrefs; i++)
    if (strlen(e->refs[i]) == len && memcmp(e->refs[i], name, len) == 0)
      return e->refs[i];
  if (e->nrefs == e->refcap) {
    size_t cap = e->refcap ? e->refcap * 2 : 4;
    char **refs = realloc(e->refs, cap * sizeof *refs);
    if (refs == NULL)
      return NULL;
    e->refs = refs;
    e->refcap = cap;
  }
  copy = malloc(len + 1);
  if (copy == NULL)
    return NULL;
  memcpy(copy, name, len);
  copy[len] = '\0';
  e->refs[e->nrefs++] = copy;
  return copy;
}

static bin_op_t binop_at(tok_kind_t k, int level)
{
  switch (level) {
  case 0: return k == T_OR ? B_OR : B_NONE;
  case 1: return k == T_AND ? B_AND : B_NONE;
  case 2: return k == T_EQ ? B_EQ : k == T_NE ? B_NE : B_NONE;
  case 3:
    return k == T_LT ? B_LT : k == T_LE ? B_LE : k == T_GT ? B_GT : k == T_GE ? B_GE : B_NONE;
  case 4: return k == T_PLUS ? B_ADD : k == T_MINUS ? B_SUB : B_NONE;
  case 5: return k == T_STAR ? B_MUL : k == T_DIV ? B_DIV : k == T_MOD ? B_MOD : B_NONE;
  default: return B_NONE;
  }
}

static expr_node_t *parse_level(parser_t *p, int level);

/* Is the next non-blank source character after the current token '('? */
static int call_follows(const parser_t *p)
{
  const char *s = src_at(p, p->tok.pos + p->tok.len);
  while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
    s++;
  return *s == '(';
}

static int check_arity(parser_t *p, const expr_func_t *fn, size_t n, size_t pos)
{
  int max = fn->max_args < 0 ? EXPR_MAX_ARGS : fn->max_args;
  if (n >= (size_t)fn->min_args && n <= (size_t)max)
    return 0;
  if (fn->max_args < 0)
    return expr_fail(p->err, pos, "%s() takes %d to %d arguments, not %zu", fn->name,
                     fn->min_args, max, n);
  if (fn->min_args == fn->max_args)
    return expr_fail(p->err, pos, "%s() takes %d argument%s, not %zu", fn->name, fn->min_args,
                     fn->min_args == 1 ? "" : "s", n);
  return expr_fail(p->err, pos, "%s() takes %d or %d arguments, not %zu", fn->name,
                   fn->min_args, fn->max_args, n);
}

/* A literal regex pattern is compiled once, here. */
static int prepare_regex(parser_t *p, expr_node_t *call)
{
  const expr_node_t *pat;
  char msg[160];
  if (call->fn->regex_arg < 0 || (size_t)call->fn->regex_arg >= call->nkids)
    return 0;
  pat = call->kids[call->fn->regex_arg];
  if (pat->op != N_LIT || pat->lit.kind != EXPR_STR)
    return 0;
  if (expr_regex_compile(pat->lit.str, &call->re, msg, sizeof msg) != 0)
    return expr_fail(p->err, pat->pos, "%s", msg);
  return 0;
}

static expr_node_t *parse_call(parser_t *p)
{
  size_t pos = p->tok.pos, len = p->tok.text_len;
  const char *name = src_at(p, p->tok.pos);
  const expr_func_t *fn = expr_func_find(name, len);
  expr_node_t *call;
  int shown = len > 40 ? 40 : (int)len;

  if (!call_follows(p)) {
    if (fn != NULL)
      expr_fail(p->err, pos, "expected '(' after '%s'", fn->name);
    else
      expr_fail(p->err, pos, "unknown name '%.*s' (a field reference is written ${name})",
                shown, name);
    return NULL;
  }
  if (fn == NULL) {
    expr_fail(p->err, pos, "unknown function '%.*s'", shown, name);
    return NULL;
  }
  if ((call = new_node(p, N_CALL, pos)) == NULL || advance(p) != 0 || depth_enter(p, pos) != 0 ||
      advance(p) != 0)
    return NULL;
  call->fn = fn;
  if (p->tok.kind != T_RPAREN) {
    for (;;) {
      expr_node_t *arg = parse_level(p, 0);
      if (arg == NULL || add_kid(p, call, arg, B_NONE) != 0)
        return NULL;
      if (p->tok.kind == T_COMMA) {
        if (advance(p) != 0)
          return NULL;
        continue;
      }
      if (p->tok.kind == T_RPAREN)
        break;
      expr_fail(p->err, p->tok.pos, "expected ')' after the arguments of %s()", fn->name);
      return NULL;
    }
  }
  p->depth--;
  if (check_arity(p, fn, call->nkids, pos) != 0 || prepare_regex(p, call) != 0 ||
      advance(p) != 0)
    return NULL;
  return call;
}

static expr_node_t *parse_literal(parser_t *p)
{
  const token_t *t = &p->tok;
  expr_node_t *n = new_node(p, N_LIT, t->pos);
  if (n == NULL)
    return NULL;
  if (t->kind == T_NUM) {
    n->lit.kind = EXPR_NUM;
    n->lit.num = t->num;
  } else {
    n->text = malloc(t->text_len + 1);
    if (n->text == NULL) {
      expr_fail(p->err, t->pos, "out of memory");
      return NULL;
    }
    memcpy(n->text, src_at(p, t->text), t->text_len);
    n->text[t->text_len] = '\0';
    n->lit.kind = EXPR_STR;
    n->lit.str = n->text;
  }
  return advance(p) == 0 ? n : NULL;
}

static expr_node_t *parse_primary(parser_t *p)
{
  char what[48];
  expr_node_t *n;
  size_t open;

  switch (p->tok.kind) {
  case T_NUM:
  case T_STR:
    return parse_literal(p);
  case T_REF:
    if ((n = new_node(p, N_REF, p->tok.pos)) == NULL)
      return NULL;
    n->name = intern_ref(p, src_at(p, p->tok.text), p->tok.text_len);
    if (n->name == NULL) {
      expr_fail(p->err, p->tok.pos, "out of memory");
      return NULL;
    }
    return advance(p) == 0 ? n : NULL;
  case T_DOT:
    n = new_node(p, N_SELF, p->tok.pos);
    return n != NULL && advance(p) == 0 ? n : NULL;
  case T_LPAREN:
    open = p->tok.pos;
    if (depth_enter(p, open) != 0 || advance(p) != 0 || (n = parse_level(p, 0)) == NULL)
      return NULL;
    if (p->tok.kind != T_RPAREN) {
      expr_fail(p->err, p->tok.pos, "expected ')' to close the '(' at %zu", open);
      return NULL;
    }
    p->depth--;
    return advance(p) == 0 ? n : NULL;
  case T_NAME:
    return parse_call(p);
  case T_END:
    expr_fail(p->err, p->tok.pos, "unexpected end of expression");
    return NULL;
  default:
    describe(p, what, sizeof what);
    expr_fail(p->err, p->tok.pos, "expected a value, found %s", what);
    return NULL;
  }
}

static int is_not_operator(const parser_t *p)
{
  return p->tok.kind == T_NAME && p->tok.len == 3 && memcmp(src_at(p, p->tok.pos), "not", 3) == 0 &&
         !call_follows(p);
}

static expr_node_t *parse_unary(parser_t *p)
{
  expr_node_t *n, *operand;
  size_t pos = p->tok.pos;
  node_op_t op;

  if (p->tok.kind == T_MINUS)
    op = N_NEG;
  else if (is_not_operator(p))
    op = N_NOT;
  else
    return parse_primary(p);
  if (depth_enter(p, pos) != 0 || (n = new_node(p, op, pos)) == NULL || advance(p) != 0 ||
      (operand = parse_unary(p)) == NULL || add_kid(p, n, operand, B_NONE) != 0)
    return NULL;
  p->depth--;
  return n;
}

static expr_node_t *parse_level(parser_t *p, int level)
{
  expr_node_t *left, *chain;
  bin_op_t op;

  if (level == LEVEL_UNARY)
    return parse_unary(p);
  if ((left = parse_level(p, level + 1)) == NULL)
    return NULL;
  if ((op = binop_at(p->tok.kind, level)) == B_NONE)
    return left;
  if ((chain = new_node(p, N_CHAIN, left->pos)) == NULL || add_kid(p, chain, left, B_NONE) != 0)
    return NULL;
  while ((op = binop_at(p->tok.kind, level)) != B_NONE) {
    expr_node_t *right;
    if (advance(p) != 0 || (right = parse_level(p, level + 1)) == NULL ||
        add_kid(p, chain, right, op) != 0)
      return NULL;
  }
  return chain;
}

expr_t *expr_parse(const char *src, expr_error_t *err)
{
  expr_error_t scratch;
  parser_t p;
  size_t len = 0;
  char what[48];

  if (err == NULL)
    err = &scratch;
  memset(err, 0, sizeof *err);
  if (src == NULL) {
    expr_fail(err, 0, "no expression");
    return NULL;
  }
  while (len <= EXPR_MAX_LEN && src[len] != '\0')
    len++;
  if (len > EXPR_MAX_LEN) {
    expr_fail(err, EXPR_MAX_LEN, "expression is longer than %d bytes", EXPR_MAX_LEN);
    return NULL;
  }
  memset(&p, 0, sizeof p);
  p.lx.src = src;
  p.err = err;
  if ((p.e = calloc(1, sizeof *p.e)) == NULL) {
    expr_fail(err, 0, "out of memory");
    return NULL;
  }
  if (advance(&p) != 0)
    goto fail;
  if (p.tok.kind == T_END) {
    expr_fail(err, 0, "expression is empty");
    goto fail;
  }
  if ((p.e->root = parse_level(&p, 0)) == NULL)
    goto fail;
  if (p.tok.kind != T_END) {
    if (p.tok.kind == T_RPAREN)
      expr_fail(err, p.tok.pos, "unmatched ')'");
    else if (p.tok.kind == T_COMMA)
      expr_fail(err, p.tok.pos, "',' outside the arguments of a function");
    else {
      describe(&p, what, sizeof what);
      expr_fail(err, p.tok.pos, "expected an operator before %s", what);
    }
    goto fail;
  }
  return p.e;
fail:
  expr_free(p.e);
  return NULL;
}

void expr_free(expr_t *e)
{
  expr_node_t *n, *next;
  if (e == NULL)
    return;
  for (n = e->nodes; n != NULL; n = next) {
    next = n->next;
    expr_regex_free(n->re);
    free(n->kids);
    free(n->ops);
    free(n->text);
    free(n);
  }
  for (size_t i = 0; i < e->nrefs; i++)
    free(e->refs[i]);
  free(e->refs);
  free(e);
}

size_t expr_ref_count(const expr_t *e)
{
  return e != NULL ? e->nrefs : 0;
}

const char *expr_ref_name(const expr_t *e, size_t i)
{
  return e != NULL && i < e->nrefs ? e->refs[i] : NULL;
}
