/* The codec's output buffer: appends with amortised doubling and a sticky out-of-memory flag, so
 * encoders write straight through and check once at the end (codec_internal.h). */
#include "codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jb_reserve(jbuf_t *b, size_t extra)
{
  if (b->oom)
    return -1;
  if (extra < b->cap - b->len)   /* cap - len > extra leaves room for the NUL */
    return 0;
  if (extra > SIZE_MAX / 4 - b->len) {
    b->oom = 1;
    return -1;
  }
  size_t need = b->len + extra + 1, cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void jb_put(jbuf_t *b, const char *s, size_t n)
{
  if (jb_reserve(b, n) != 0)
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

void jb_puts(jbuf_t *b, const char *s)
{
  jb_put(b, s, strlen(s));
}

void jb_putc(jbuf_t *b, char c)
{
  if (jb_reserve(b, 1) != 0)
    return;
  b->p[b->len++] = c;
}

void jb_i64(jbuf_t *b, int64_t v)
{
  char tmp[24];
  size_t n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    tmp[sizeof tmp - 1 - n++] = '-';
  jb_put(b, tmp + sizeof tmp - n, n);
}

int jb_str(jbuf_t *b, const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s), mark = b->len;
  static const char hex[] = "0123456789abcdef";

  if (jb_reserve(b, n + 2) != 0)
    return 0;
  b->p[b->len++] = '"';
  for (size_t i = 0; i < n;) {
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
      run++;
    if (run > i) {
      jb_put(b, s + i, run - i);
      i = run;
      continue;
    }
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t k = utf8_seq_len(p + i, n - i);
      if (k == 0) {
        jb_truncate(b, mark);
        return -1;
      }
      jb_put(b, s + i, k);
      i += k;
      continue;
    }
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t elen = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      memcpy(esc + 1, "u00", 3);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      elen = 6;
    }
    jb_put(b, esc, elen);
    i++;
  }
  jb_putc(b, '"');
  return 0;
}

void jb_key(jbuf_t *b, const char *key, int first)
{
  size_t n = strlen(key);
  if (jb_reserve(b, n + 4) != 0)
    return;
  if (!first)
    b->p[b->len++] = ',';
  b->p[b->len++] = '"';
  memcpy(b->p + b->len, key, n);
  b->len += n;
  b->p[b->len++] = '"';
  b->p[b->len++] = ':';
}

int jb_json(jbuf_t *b, const char *json, int max_depth, json_scan_t *res)
{
  size_t n = strlen(json);
  if (jb_reserve(b, n) != 0) {
    memset(res, 0, sizeof *res);
    res->err = "out of memory"; /* and b->oom is set */
    return -1;
  }
  if (json_scan(json, n, max_depth, b->p + b->len, res) != 0)
    return -1;
  b->len += res->out_len;
  return 0;
}

void jb_truncate(jbuf_t *b, size_t len)
{
  if (len < b->len)
    b->len = len;
}

sync_err_t jb_finish(jbuf_t *b, char **out, size_t *out_len)
{
  if (jb_reserve(b, 0) != 0) {
    jb_free(b);
    return SYNC_ERR_NOMEM;
  }
  b->p[b->len] = '\0';
  char *p = realloc(b->p, b->len + 1);
  *out = p ? p : b->p;
  if (out_len)
    *out_len = b->len;
  b->p = NULL;
  b->len = b->cap = 0;
  return SYNC_OK;
}

void jb_free(jbuf_t *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

sync_err_t codec_errf(char *errbuf, size_t errlen, sync_err_t err, const char *fmt, ...)
{
  if (errbuf && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
  }
  return err;
}
