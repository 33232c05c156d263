/* A minimal JSON object writer for generated payloads: one flat object, string / integer /
 * boolean / string-array members, strings escaped per RFC 8259. */
#include "sample_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(sjbuf_t *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void puts_(sjbuf_t *b, const char *s)
{
  put(b, s, strlen(s));
}

static void put_string(sjbuf_t *b, const char *s)
{
  put(b, "\"", 1);
  const char *run = s;
  for (const char *p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c != '"' && c != '\\' && c >= 0x20)
      continue;
    put(b, run, (size_t)(p - run));
    char esc[8];
    switch (c) {
    case '"': puts_(b, "\\\""); break;
    case '\\': puts_(b, "\\\\"); break;
    case '\n': puts_(b, "\\n"); break;
    case '\t': puts_(b, "\\t"); break;
    default:
      snprintf(esc, sizeof esc, "\\u%04x", (unsigned)c);
      puts_(b, esc);
    }
    run = p + 1;
  }
  puts_(b, run);
  put(b, "\"", 1);
}

static void key(sjbuf_t *b, const char *k)
{
  if (b->fields++)
    put(b, ",", 1);
  put_string(b, k);
  put(b, ":", 1);
}

void sj_begin(sjbuf_t *b)
{
  memset(b, 0, sizeof *b);
  put(b, "{", 1);
}

void sj_str(sjbuf_t *b, const char *k, const char *value)
{
  key(b, k);
  put_string(b, value);
}

void sj_int(sjbuf_t *b, const char *k, long long value)
{
  char num[32];
  snprintf(num, sizeof num, "%lld", value);
  key(b, k);
  puts_(b, num);
}

void sj_bool(sjbuf_t *b, const char *k, int value)
{
  key(b, k);
  puts_(b, value ? "true" : "false");
}

void sj_strs(sjbuf_t *b, const char *k, const char *const *values, size_t n)
{
  key(b, k);
  put(b, "[", 1);
  for (size_t i = 0; i < n; i++) {
    if (i)
      put(b, ",", 1);
    put_string(b, values[i]);
  }
  put(b, "]", 1);
}

char *sj_end(sjbuf_t *b)
{
  put(b, "}", 1);
  if (b->failed) {
    free(b->data);
    b->data = NULL;
    return NULL;
  }
  char *out = b->data;
  b->data = NULL;
  return out;
}
