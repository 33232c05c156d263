/* Internal: the expression language of relevant / constraint / calculate / required
 * (proto/FORMS.md, "Expressions"). An expression is parsed once into an immutable tree and
 * evaluated many times against an environment that resolves ${field} references.
 *
 * Ownership: expr_parse() returns a tree the caller frees with expr_free(). A value filled by
 * expr_eval() may own memory: release it with expr_value_clear(). Threads: a parsed tree is
 * read-only during evaluation and may be evaluated from several threads at once.
 */
#ifndef SYNC_EXPR_H
#define SYNC_EXPR_H

#include <stddef.h>
#include <stdint.h>

typedef struct expr expr_t;

typedef struct expr_error {
  size_t pos;        /* byte offset in the source where the problem starts */
  char msg[200];     /* e.g. "expected ')' after arguments of if()" */
} expr_error_t;

typedef enum expr_kind {
  EXPR_EMPTY = 0,    /* unanswered / not relevant: "" in XPath terms */
  EXPR_BOOL,
  EXPR_NUM,          /* double; integers are exact up to 2^53 */
  EXPR_STR,          /* UTF-8; select_multiple answers are space-separated choice names */
  EXPR_DATE          /* whole days since 1970-01-01 (proleptic Gregorian, no time zone) */
} expr_kind_t;

typedef struct expr_value {
  expr_kind_t kind;
  int b;             /* EXPR_BOOL */
  double num;        /* EXPR_NUM */
  int32_t days;      /* EXPR_DATE */
  const char *str;   /* EXPR_STR: NUL-terminated; borrowed or pointing into `owned` */
  char *owned;       /* internal: storage this value owns, freed by expr_value_clear() */
} expr_value_t;

/* Resolves ${name}. Returns 0 and fills *out (strings borrowed: they must outlive the evaluation),
 * or -1 if there is no such field. */
typedef int (*expr_lookup_fn)(void *user, const char *name, expr_value_t *out);

typedef struct expr_env {
  expr_lookup_fn lookup;
  void *user;
  expr_value_t self;   /* the value of '.', the field being checked (constraints) */
  int32_t today;       /* today() in days since the epoch; the caller sets it (tests fix it) */
} expr_env_t;

/* Parses `src`. Returns NULL on error and fills *err (pos, msg). Never aborts on any input. */
expr_t *expr_parse(const char *src, expr_error_t *err);
void expr_free(expr_t *e);

/* Distinct ${name} references in order of first appearance, for dependency ordering and for
 * checking names when a form loads. The strings are owned by the tree. */
size_t expr_ref_count(const expr_t *e);
const char *expr_ref_name(const expr_t *e, size_t i);

/* Evaluates. Returns 0 and fills *out, or -1 with *err filled (unknown ${field} at run time, ...).
 * XPath 1.0 conversions apply: comparisons with an empty value are false except = '' / != '',
 * arithmetic on empty gives NaN (which compares false). */
int expr_eval(const expr_t *e, const expr_env_t *env, expr_value_t *out, expr_error_t *err);
void expr_value_clear(expr_value_t *v);

/* XPath boolean(): EMPTY false; NUM non-zero and not NaN; STR non-empty; DATE true. */
int expr_truthy(const expr_value_t *v);
/* XPath number(): BOOL 0/1; STR parsed or NaN; DATE its day count; EMPTY NaN. */
double expr_to_number(const expr_value_t *v);

/* Date helpers shared with the validator: "YYYY-MM-DD" <-> days since epoch.
 * expr_parse_date returns 0 on success, -1 if the text is not a real calendar date. */
int expr_parse_date(const char *text, int32_t *days);
void expr_format_date(int32_t days, char out[11]);

#endif
