/* One-line structured logs on stderr: "ts=... level=... event=... key=value ...".
 * Threads: each line is written with one locked stdio call, so lines never interleave. */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdarg.h>

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 } log_level_t;

/* Lines below `min` are dropped (default LOG_INFO). */
void log_set_level(log_level_t min);

/* `fmt` continues the line with "key=value" pairs. Every value that came from a request (or may
 * hold a space) must be quoted by the caller with log_quote(); control characters anywhere in the
 * line are written as '?', so a line can never be split. */
void log_event(log_level_t level, const char *event, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Copies `s` into buf as a double-quoted value with quotes, backslashes and control characters
 * escaped (truncated to fit); returns buf. */
const char *log_quote(const char *s, char *buf, unsigned len);

#endif
