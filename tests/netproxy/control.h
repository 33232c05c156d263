/* Control input for netproxy: command lines ("down", "up", "cut", "stats", "quit") read from a
 * caller's fd (e.g. stdin) or from a FIFO that is reopened whenever its writer goes away. */
#ifndef NETPROXY_CONTROL_H
#define NETPROXY_CONTROL_H

#include <stddef.h>

#include "netproxy.h"

typedef struct np_control {
  int fd;          /* -1 when closed */
  int owned;       /* 1: we opened it (FIFO) and close it */
  char *fifo_path; /* NULL for a caller's fd */
  char line[128];
  size_t len;
  int overlong; /* the current line is too long: skip to its end */
} np_control_t;

typedef void np_control_fn(void *ctx, netproxy_cmd_t cmd);

void np_control_init_fd(np_control_t *c, int fd);
/* Opens path (which must be a FIFO) for non-blocking reads. -1 with errno on failure. */
int np_control_init_fifo(np_control_t *c, const char *path);
/* Reads what poll() said is there and calls fn for each known command; unknown lines are
 * reported to log (may be NULL). At EOF a FIFO is reopened and a plain fd is dropped (fd = -1). */
void np_control_read(np_control_t *c, np_control_fn *fn, void *ctx, FILE *log);
void np_control_close(np_control_t *c);
/* "down" -> NETPROXY_CMD_DOWN etc.; 0 when the word is unknown. */
int np_control_parse(const char *word, netproxy_cmd_t *out);

#endif
