/* Internal to the expression module (expr_*.c): tokens, the parsed tree, and helpers shared
 * between the lexer, parser, evaluator and function library. Nothing here leaves libsync/src.
 *
 * A tree is built once by expr_parse() and never modified afterwards; every node is also linked
 * into the tree's node list so that expr_free() (and a failed parse) can release them without
 * recursion. Binary operators of one precedence level form one N_CHAIN node ("a + b - c" is
 * a chain of three operands), so long chains do not make the tree deep.
 */
#ifndef SYNC_EXPR_INTERNAL_H
#define SYNC_EXPR_INTERNAL_H

#include <regex.h>
#include <stddef.h>
#include "expr.h"

#define EXPR_MAX_LEN 16384     /* bytes of source */
#define EXPR_MAX_DEPTH 64      /* nested parentheses, function calls and unary operators */
#define EXPR_MAX_ARGS 64       /* arguments of a variadic function (concat) */
#define EXPR_NAME_MAX 64       /* characters of a field name */
#define EXPR_NUM_MAX 64        /* characters of a number literal */
#define EXPR_TEXTBUF 48        /* enough for any number, date or boolean as text */

#if defined(__GNUC__)
#define EXPR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXPR_PRINTF(f, a)
#endif

/* ---- tokens (expr_lex.c) ---------------------------------------------------------------- */

typedef enum tok_kind {
  T_END, T_NUM, T_STR, T_REF, T_DOT, T_LPAREN, T_RPAREN, T_COMMA,
  T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR,
  T_OR, T_AND, T_DIV, T_MOD, T_NAME
} tok_kind_t;

typedef struct token {
  tok_kind_t kind;
  size_t pos, len;        /* the whole token in the source */
  size_t text, text_len;  /* T_STR: the text between the quotes; T_REF: the field name */
  double num;             /* T_NUM */
} token_t;

typedef struct lexer {
  const char *src;        /* NUL-terminated, at most EXPR_MAX_LEN bytes */
  size_t pos;
} lexer_t;

/* Reads the next token. Returns 0, or -1 with *err filled. */
int expr_lex_next(lexer_t *lx, token_t *t, expr_error_t *err);

/* ---- tree (expr_parse.c) ---------------------------------------------------------------- */

typedef enum node_op { N_LIT, N_REF, N_SELF, N_CHAIN, N_NEG, N_NOT, N_CALL } node_op_t;

typedef enum bin_op {
  B_NONE, B_OR, B_AND, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_ADD, B_SUB, B_MUL, B_DIV, B_MOD
} bin_op_t;

typedef struct expr_node expr_node_t;
typedef int (*expr_fn_eval)(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
                            expr_error_t *err);

typedef struct expr_func {
  const char *name;
  int min_args, max_args;   /* max_args < 0: variadic up to EXPR_MAX_ARGS */
  int regex_arg;            /* index of a regex pattern argument compiled at parse time, or -1 */
  expr_fn_eval eval;
} expr_func_t;

struct expr_node {
  node_op_t op;
  size_t pos;               /* where the node starts in the source (for messages) */
  size_t nkids, cap;
  expr_node_t **kids;       /* N_CHAIN operands, N_NEG/N_NOT operand, N_CALL arguments */
  unsigned char *ops;       /* N_CHAIN: ops[i] (bin_op_t) combines the value so far with kids[i] */
  const expr_func_t *fn;    /* N_CALL */
  regex_t *re;              /* N_CALL of regex() with a literal pattern */
  expr_value_t lit;         /* N_LIT (strings point into `text`) */
  char *text;               /* N_LIT string storage */
  const char *name;         /* N_REF: owned by the tree's reference table */
  expr_node_t *next;        /* every node of a tree, for freeing */
};

struct expr {
  expr_node_t *root;
  expr_node_t *nodes;
  char **refs;
  size_t nrefs, refcap;
};

/* ---- evaluation (expr_eval.c) ------------------------------------------------------------ */

/* Evaluates one node. On failure returns -1 with *err filled and *out empty. */
int expr_eval_node(const expr_node_t *n, const expr_env_t *env, expr_value_t *out,
                   expr_error_t *err);
/* Fills *err (when not NULL) and returns -1. */
int expr_fail(expr_error_t *err, size_t pos, const char *fmt, ...) EXPR_PRINTF(3, 4);

/* ---- values (expr_value.c) --------------------------------------------------------------- */

/* True for EXPR_EMPTY and for the empty string. */
int expr_is_empty(const expr_value_t *v);
/* XPath string(): borrowed text (a constant, the value's own string, or `buf`). */
const char *expr_value_text(const expr_value_t *v, char buf[EXPR_TEXTBUF]);
/* XPath string() of a number, locale-independent and shortest to read back: "3", "-0.5",
 * "0.30000000000000004", "NaN", "Infinity"; below 1e-6 and from 1e21 on with an exponent
 * like JavaScript ("1e-7", "1e+21"). */
void expr_format_number(double x, char buf[EXPR_TEXTBUF]);
/* Value of s[0..len) which matches Digits ('.' Digits?)? | '.' Digits; locale-independent. */
double expr_decimal_value(const char *s, size_t len);
/* digits[0..n) (no leading zero, n >= 1) times 10^exp, correctly rounded. */
double expr_digits_value(const char *digits, size_t n, long exp);
/* Shortest significant digits that read back as x (> 0, finite), without trailing zeros:
 * x = d1.d2d3... * 10^(*exp10). Returns the number of digits (at most 17). */
size_t expr_shortest_digits(double x, char digits[24], int *exp10);
/* XPath number() of text: optional blanks, optional '-', a decimal, optional blanks; else NaN. */
double expr_text_to_number(const char *s);

/* ---- functions (expr_func.c, expr_text.c, expr_regex.c) --------------------------------- */

const expr_func_t *expr_func_find(const char *name, size_t len);
/* The string functions (expr_text.c), listed in the table of expr_func.c. */
int expr_fn_string_length(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_regex(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_concat(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_substr(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_starts_with(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_contains(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
int expr_fn_string(const expr_node_t *call, const expr_env_t *env, expr_value_t *out,
    expr_error_t *err);
/* Compiles a pattern (REG_EXTENDED | REG_NOSUB) after refusing ones too costly to compile.
 * Returns 0 and a regex_t to release with expr_regex_free(), or -1 with a message in msg. */
int expr_regex_compile(const char *pattern, regex_t **out, char *msg, size_t msglen);
void expr_regex_free(regex_t *re);

/* ---- dates (expr_date.c) ---------------------------------------------------------------- */

#define EXPR_DAY_MIN (-719528)  /* 0000-01-01 */
#define EXPR_DAY_MAX 2932896    /* 9999-12-31 */

/* A value as a date: DATE, "YYYY-MM-DD" text, or a whole number of days in range.
 * Returns 1 and fills *days, or 0. */
int expr_value_to_date(const expr_value_t *v, int32_t *days);
/* Whole years from `from` to `to` (negative when `to` is earlier). */
int expr_age_years(int32_t from, int32_t to);

/* Argument and result helpers of the function files (expr_func.c, expr_text.c). */
typedef const expr_node_t call_t;
typedef const expr_env_t env_t;

static inline int arg(call_t *c, size_t i, env_t *env, expr_value_t *v, expr_error_t *err)
{
  return expr_eval_node(c->kids[i], env, v, err);
}

static inline int arg_number(call_t *c, size_t i, env_t *env, double *x, expr_error_t *err)
{
  expr_value_t v;
  if (arg(c, i, env, &v, err) != 0)
    return -1;
  *x = expr_to_number(&v);
  expr_value_clear(&v);
  return 0;
}

static inline int ret_bool(expr_value_t *out, int b)
{
  out->kind = EXPR_BOOL;
  out->b = b != 0;
  return 0;
}

static inline int ret_num(expr_value_t *out, double x)
{
  out->kind = EXPR_NUM;
  out->num = x;
  return 0;
}

#endif
