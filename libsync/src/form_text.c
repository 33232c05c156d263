/* Byte-level checks the form module needs before and around cJSON: UTF-8 validity, embedded NULs,
 * line/column positions for messages and a strict "one JSON value, nothing after it" parse. */
#include "form_internal.h"

#include <string.h>

size_t form_utf8_prefix(const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = u[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    unsigned min;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1; min = 0x80; cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      need = 2; min = 0x800; cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3; min = 0x10000; cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i <= need)
      return i;
    for (size_t k = 1; k <= need; k++) {
      unsigned cc = u[i + k];
      if ((cc & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += need + 1;
  }
  return n;
}

int form_utf8_ok(const char *s, size_t n)
{
  return form_utf8_prefix(s, n) == n;
}

size_t form_find_nul(const char *s, size_t n)
{
  const char *nul = memchr(s, '\0', n);
  size_t lim = nul ? (size_t)(nul - s) : n;
  /* Backslashes are only valid inside strings, so pairing them from the left is exact there; a
   * stray one elsewhere makes the JSON malformed anyway. */
  for (const char *p = memchr(s, '\\', lim); p; p = memchr(p, '\\', lim - (size_t)(p - s))) {
    size_t off = (size_t)(p - s);
    if (off + 1 >= lim)
      break;
    if (p[1] == 'u' && off + 5 < lim && memcmp(p + 2, "0000", 4) == 0)
      return off;
    p += 2;
    if ((size_t)(p - s) >= lim)
      break;
  }
  return lim;
}

void form_line_col(const char *s, size_t off, unsigned long *line, unsigned long *col)
{
  unsigned long l = 1, c = 1;
  for (size_t i = 0; i < off; i++) {
    if (s[i] == '\n') {
      l++;
      c = 1;
    } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
      c++;   /* columns count characters, not UTF-8 continuation bytes */
    }
  }
  *line = l;
  *col = c;
}

static int is_ws(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

cJSON *form_json_parse(const char *s, size_t n, size_t *err_off, int *trailing)
{
  const char *end = NULL;
  *err_off = 0;
  *trailing = 0;
  if (n == 0)
    return NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
  if (!root) {
    *err_off = end && end >= s && end <= s + n ? (size_t)(end - s) : 0;
    return NULL;
  }
  size_t off = end ? (size_t)(end - s) : n;
  while (off < n && is_ws(s[off]))
    off++;
  if (off < n) {
    cJSON_Delete(root);
    *err_off = off;
    *trailing = 1;
    return NULL;
  }
  return root;
}
