/* A growable text buffer for building responses (HTML pages, CSV rows, JSON lines), with the
 * escapers the dashboard and the exports need. An allocation failure is sticky: later appends do
 * nothing and sbuf_failed() tells; the caller checks once at the end.
 *
 * Ownership: the buffer owns `data` until sbuf_take() hands it to the caller (NUL-terminated), or
 * sbuf_free() releases it. */
#ifndef SRV_SBUF_H
#define SRV_SBUF_H

#include <stddef.h>

typedef struct sbuf {
  char *data;
  size_t len, cap;
  int failed;
} sbuf_t;

void sbuf_init(sbuf_t *b);
void sbuf_free(sbuf_t *b);
/* The text (NUL-terminated; "" when empty); the buffer is left empty. NULL after a failure. */
char *sbuf_take(sbuf_t *b, size_t *len);
void sbuf_reset(sbuf_t *b);     /* empty, keeps the allocation */
int sbuf_failed(const sbuf_t *b);

void sbuf_add(sbuf_t *b, const char *s, size_t n);
void sbuf_puts(sbuf_t *b, const char *s);
void sbuf_putc(sbuf_t *b, char c);
void sbuf_printf(sbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Text for HTML element content and double-quoted attribute values: & < > " ' escaped, control
 * characters other than tab/newline dropped, invalid UTF-8 replaced by U+FFFD. NULL adds "". */
void sbuf_html(sbuf_t *b, const char *s);
/* A JSON string literal with quotes (RFC 8259 escaping; invalid UTF-8 replaced by U+FFFD). */
void sbuf_json_str(sbuf_t *b, const char *s);

/* The length of the longest valid UTF-8 prefix of s[0..n) (n when all of it is valid). */
size_t utf8_valid_prefix(const char *s, size_t n);

#endif
