/* regex() patterns: POSIX extended, compiled with REG_NOSUB. A pattern comes from a form
 * definition, so before regcomp() (whose time grows steeply with the size of the automaton and
 * the nesting of repetitions) it is refused when it is long, uses back-references (matching them
 * is exponential), nests repetitions more than two deep, or would expand into a large automaton
 * ("(a{100}){100}"): the size estimate multiplies an atom by its repetition count, group by
 * group. Real screening patterns ("^08[0-9]{8,11}$", "^[0-9]{16}$") are far below the limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"

#define PATTERN_MAX 1024       /* bytes */
#define PATTERN_COST_MAX 500   /* estimated automaton size */
#define GROUPS_MAX 32          /* nested parentheses */
#define REPEAT_NEST_MAX 2      /* "([a-z]+ ?)*" is fine; "((a*)*)*" makes regcomp crawl */

static int digit(char c) { return c >= '0' && c <= '9'; }

/* Skips a bracket expression starting at s[0] == '['; returns the index after ']' or 0. */
static size_t skip_bracket(const char *s)
{
  size_t i = 1;
  if (s[i] == '^')
    i++;
  if (s[i] == ']')
    i++;
  while (s[i] != '\0' && s[i] != ']') {
    if (s[i] == '[' && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
      char close = s[i + 1];
      i += 2;
      while (s[i] != '\0' && !(s[i] == close && s[i + 1] == ']'))
        i++;
      if (s[i] == '\0')
        return 0;
      i += 2;
    } else {
      i++;
    }
  }
  return s[i] == ']' ? i + 1 : 0;
}

/* Reads "{m}", "{m,}", "{m,n}" or "{,n}" (glibc's extension: {0,n}) at s[0] == '{': returns its
 * length and the largest count, or 0 when it is no interval (regcomp will judge it). */
static size_t read_interval(const char *s, double *count)
{
  size_t i = 1;
  double m = 0, n;
  if (!digit(s[i]) && !(s[i] == ',' && digit(s[i + 1])))
    return 0;
  while (digit(s[i]) && m < 1e6)
    m = m * 10 + (s[i++] - '0');
  n = m;
  if (s[i] == ',') {
    i++;
    if (digit(s[i])) {
      n = 0;
      while (digit(s[i]) && n < 1e6)
        n = n * 10 + (s[i++] - '0');
    } else {
      n = m + 1;   /* "{m,}": m copies and a star */
    }
  }
  if (s[i] != '}')
    return 0;
  *count = n > 1 ? n : 1;
  return i + 1;
}

typedef struct group {
  double cost;     /* estimated automaton size of the group so far */
  double last;     /* size of its last atom, which a repetition operator copies */
  int last_rep;    /* repetition operators nested in and on the last atom */
  int max_rep;     /* the most nested repetition inside the group */
} group_t;

static int refuse(char *msg, size_t msglen, const char *what)
{
  snprintf(msg, msglen, "%s", what);
  return -1;
}

/* A repetition operator (*, +, ?, {m,n}) on the last atom, which it copies `copies` times. */
static int repeat_last(group_t *g, double copies, char *msg, size_t msglen)
{
  if (++g->last_rep > REPEAT_NEST_MAX)
    return refuse(msg, msglen, "regular expression nests repetitions too deeply");
  if (g->last_rep > g->max_rep)
    g->max_rep = g->last_rep;
  g->cost += g->last * (copies - 1) + 1;
  g->last = g->last * copies + 1;
  return g->cost > PATTERN_COST_MAX ? refuse(msg, msglen, "regular expression is too complex")
                                    : 0;
}

/* 0 when the pattern is acceptable, else -1 with a message. Syntax errors are left to regcomp. */
static int check_pattern(const char *p, char *msg, size_t msglen)
{
  group_t g[GROUPS_MAX + 1];
  int depth = 0, after_repeat = 0;
  size_t i = 0, n;

  if (strlen(p) > PATTERN_MAX) {
    snprintf(msg, msglen, "regular expression is longer than %d bytes", PATTERN_MAX);
    return -1;
  }
  memset(g, 0, sizeof g);
  while (p[i] != '\0') {
    double count = 1;
    int repeat = 0;
    group_t *cur = &g[depth];
    switch (p[i]) {
    case '(':
      if (depth == GROUPS_MAX)
        return refuse(msg, msglen, "regular expression nests too many groups");
      memset(&g[++depth], 0, sizeof g[0]);
      i++;
      after_repeat = 0;
      continue;
    case ')':
      if (depth == 0)
        break;   /* a literal ')' */
      cur = &g[--depth];
      cur->last = g[depth + 1].cost > 1 ? g[depth + 1].cost : 1;
      cur->last_rep = g[depth + 1].max_rep;
      cur->cost += cur->last;
      i++;
      after_repeat = 0;
      if (cur->cost > PATTERN_COST_MAX)
        return refuse(msg, msglen, "regular expression is too complex");
      continue;
    case '|':
      cur->last = 0;
      cur->last_rep = 0;
      i++;
      after_repeat = 0;
      continue;
    case '*':
    case '?':
      repeat = 1;
      n = 1;
      break;
    case '+':   /* "x+" is "xx*" */
      repeat = 1;
      count = 2;
      n = 1;
      break;
    case '{':
      if ((n = read_interval(p + i, &count)) > 0)
        repeat = 1;
      break;
    case '[':
      if ((n = skip_bracket(p + i)) == 0)
        return 0;   /* unterminated: regcomp reports it */
      cur->cost += 1;
      cur->last = 1;
      cur->last_rep = 0;
      i += n;
      after_repeat = 0;
      continue;
    case '\\':
      if (digit(p[i + 1]))
        return refuse(msg, msglen, "back-references are not supported in regular expressions");
      if (p[i + 1] == '\0')
        return 0;
      i++;   /* the escaped character is one atom, below */
      break;
    default:
      break;
    }
    if (repeat) {
      /* POSIX leaves "a**" and "a+?" undefined; glibc would nest them */
      if (after_repeat)
        return refuse(msg, msglen, "a repetition operator cannot follow another one");
      if (repeat_last(cur, count, msg, msglen) != 0)
        return -1;
      i += n;
      after_repeat = 1;
      continue;
    }
    cur->cost += 1;
    cur->last = 1;
    cur->last_rep = 0;
    i++;
    after_repeat = 0;
    if (cur->cost > PATTERN_COST_MAX)
      return refuse(msg, msglen, "regular expression is too complex");
  }
  return 0;
}

int expr_regex_compile(const char *pattern, regex_t **out, char *msg, size_t msglen)
{
  regex_t *re;
  int rc;
  char detail[100];

  *out = NULL;
  if (check_pattern(pattern, msg, msglen) != 0)
    return -1;
  if ((re = malloc(sizeof *re)) == NULL) {
    snprintf(msg, msglen, "out of memory");
    return -1;
  }
  rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    regerror(rc, re, detail, sizeof detail);
    snprintf(msg, msglen, "invalid regular expression: %s", detail);
    free(re);
    return -1;
  }
  *out = re;
  return 0;
}

void expr_regex_free(regex_t *re)
{
  if (re == NULL)
    return;
  regfree(re);
  free(re);
}
