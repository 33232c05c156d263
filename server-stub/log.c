/* Structured one-line logs (log.h). */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static log_level_t g_min = LOG_INFO;

static const char *level_name(log_level_t l)
{
  switch (l) {
  case LOG_DEBUG: return "debug";
  case LOG_INFO: return "info";
  case LOG_WARN: return "warn";
  default: return "error";
  }
}

void log_set_level(log_level_t min)
{
  g_min = min;
}

void log_event(log_level_t level, const char *event, const char *fmt, ...)
{
  if (level < g_min)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char stamp[40];
  size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(stamp + n, sizeof stamp - n, ".%03ldZ", ts.tv_nsec / 1000000L);

  char line[2048];
  int off = snprintf(line, sizeof line, "ts=%s level=%s event=%s", stamp, level_name(level), event);
  if (off < 0)
    return;
  if (fmt && *fmt && (size_t)off < sizeof line - 2) {
    line[off++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + off, sizeof line - (size_t)off, fmt, ap);
    va_end(ap);
    if (m > 0)
      off += m;
  }
  if ((size_t)off >= sizeof line - 1)
    off = (int)sizeof line - 2;
  /* One event, one line, whatever a caller forgot to quote: no control character gets through. */
  for (int i = 0; i < off; i++)
    if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
      line[i] = '?';
  line[off++] = '\n';
  line[off] = '\0';
  flockfile(stderr);
  fputs(line, stderr);
  fflush(stderr);
  funlockfile(stderr);
}

const char *log_quote(const char *s, char *buf, unsigned len)
{
  unsigned o = 0;
  if (len < 3) {
    if (len)
      buf[0] = '\0';
    return buf;
  }
  buf[o++] = '"';
  for (; s && *s && o + 4 < len; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      buf[o++] = '\\';
      buf[o++] = (char)c;
    } else if (c < 0x20 || c == 0x7f) {
      buf[o++] = '?';
    } else {
      buf[o++] = (char)c;
    }
  }
  buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}
