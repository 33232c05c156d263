/* Tokenizer of the expression language (proto/FORMS.md, "Expressions"). The source is hostile:
 * every read stops at the terminating NUL, and every error names the byte where it starts. */
#include <string.h>
#include "expr_internal.h"

static int is_digit(int c) { return c >= '0' && c <= '9'; }
static int is_lower(int c) { return c >= 'a' && c <= 'z'; }
static int is_alpha(int c) { return is_lower(c) || (c >= 'A' && c <= 'Z'); }
static int is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* ${name}: name is ^[a-z][a-z0-9_]{0,63}$. */
static int lex_ref(const char *s, size_t p, token_t *t, expr_error_t *err)
{
  size_t n = 0;
  if (s[p + 1] != '{')
    return expr_fail(err, p, "'$' must start a field reference such as ${age}");
  if (!is_lower((unsigned char)s[p + 2]))
    return expr_fail(err, p, "'${' must be followed by a field name and '}'");
  while (is_lower((unsigned char)s[p + 2 + n]) || is_digit((unsigned char)s[p + 2 + n]) ||
         s[p + 2 + n] == '_')
    n++;
  if (s[p + 2 + n] != '}')
    return expr_fail(err, p, "'${' must be followed by a field name and '}'");
  if (n > EXPR_NAME_MAX)
    return expr_fail(err, p, "a field name has at most %d characters", EXPR_NAME_MAX);
  t->kind = T_REF;
  t->text = p + 2;
  t->text_len = n;
  t->len = n + 3;
  return 0;
}

static int lex_string(const char *s, size_t p, token_t *t, expr_error_t *err)
{
  char quote = s[p];
  size_t q = p + 1;
  while (s[q] != '\0' && s[q] != quote)
    q++;
  if (s[q] == '\0')
    return expr_fail(err, p, "unterminated string");
  t->kind = T_STR;
  t->text = p + 1;
  t->text_len = q - p - 1;
  t->len = q + 1 - p;
  return 0;
}

/* Digits ('.' Digits?)? | '.' Digits, not followed by a letter, digit, '_' or '.'. */
static int lex_number(const char *s, size_t p, token_t *t, expr_error_t *err)
{
  size_t q = p;
  unsigned char c;
  while (is_digit((unsigned char)s[q]))
    q++;
  if (s[q] == '.') {
    q++;
    while (is_digit((unsigned char)s[q]))
      q++;
  }
  c = (unsigned char)s[q];
  if (is_alpha(c) || c == '_' || c == '.')
    return expr_fail(err, p, "malformed number");
  if (q - p > EXPR_NUM_MAX)
    return expr_fail(err, p, "number is too long");
  t->kind = T_NUM;
  t->len = q - p;
  t->num = expr_decimal_value(s + p, q - p);
  return 0;
}

/* Letters, digits, '_', and '-' when a letter follows (count-selected, string-length). */
static void lex_name(const char *s, size_t p, token_t *t)
{
  static const struct { const char *word; tok_kind_t kind; } keywords[] = {
    {"or", T_OR}, {"and", T_AND}, {"div", T_DIV}, {"mod", T_MOD},
  };
  size_t q = p + 1;
  for (;;) {
    unsigned char c = (unsigned char)s[q];
    if (is_alpha(c) || is_digit(c) || c == '_')
      q++;
    else if (c == '-' && is_alpha((unsigned char)s[q + 1]))
      q += 2;
    else
      break;
  }
  t->kind = T_NAME;
  t->len = q - p;
  t->text = p;
  t->text_len = q - p;
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen(keywords[i].word) == t->len && memcmp(keywords[i].word, s + p, t->len) == 0)
      t->kind = keywords[i].kind;
}

static int lex_unexpected(const char *s, size_t p, expr_error_t *err)
{
  unsigned char c = (unsigned char)s[p];
  if (c == '!')
    return expr_fail(err, p, "'!' must be followed by '=' (use not() to negate)");
  /* U+2018/2019/201C/201D: curly quotes pasted from a word processor. */
  if (c == 0xE2 && (unsigned char)s[p + 1] == 0x80 && (unsigned char)s[p + 2] >= 0x98 &&
      (unsigned char)s[p + 2] <= 0x9D)
    return expr_fail(err, p, "curly quotes do not delimit strings: use ' or \"");
  if (c > 0x20 && c < 0x7F)
    return expr_fail(err, p, "unexpected character '%c'", c);
  return expr_fail(err, p, "unexpected byte 0x%02X", (unsigned)c);
}

int expr_lex_next(lexer_t *lx, token_t *t, expr_error_t *err)
{
  const char *s = lx->src;
  size_t p = lx->pos;
  unsigned char c;
  int rc = 0;

  while (is_space((unsigned char)s[p]))
    p++;
  memset(t, 0, sizeof *t);
  t->pos = p;
  t->len = 1;
  c = (unsigned char)s[p];
  switch (c) {
  case '\0': t->kind = T_END; t->len = 0; break;
  case '(': t->kind = T_LPAREN; break;
  case ')': t->kind = T_RPAREN; break;
  case ',': t->kind = T_COMMA; break;
  case '=': t->kind = T_EQ; break;
  case '+': t->kind = T_PLUS; break;
  case '-': t->kind = T_MINUS; break;
  case '*': t->kind = T_STAR; break;
  case '<':
  case '>':
    if (s[p + 1] == '=') {
      t->kind = c == '<' ? T_LE : T_GE;
      t->len = 2;
    } else {
      t->kind = c == '<' ? T_LT : T_GT;
    }
    break;
  case '!':
    if (s[p + 1] != '=')
      return lex_unexpected(s, p, err);
    t->kind = T_NE;
    t->len = 2;
    break;
  case '$': rc = lex_ref(s, p, t, err); break;
  case '\'':
  case '"': rc = lex_string(s, p, t, err); break;
  case '.':
    if (is_digit((unsigned char)s[p + 1]))
      rc = lex_number(s, p, t, err);
    else
      t->kind = T_DOT;
    break;
  default:
    if (is_digit(c))
      rc = lex_number(s, p, t, err);
    else if (is_alpha(c))
      lex_name(s, p, t);
    else
      return lex_unexpected(s, p, err);
  }
  if (rc != 0)
    return -1;
  lx->pos = p + t->len;
  return 0;
}
