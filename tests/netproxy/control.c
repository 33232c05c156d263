/* Control command lines (control.h). */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void np_control_init_fd(np_control_t *c, int fd)
{
  memset(c, 0, sizeof *c);
  c->fd = fd;
}

static int open_fifo(const char *path)
{
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

int np_control_init_fifo(np_control_t *c, const char *path)
{
  memset(c, 0, sizeof *c);
  c->fd = -1;
  int fd = open_fifo(path);
  if (fd < 0)
    return -1;
  c->fifo_path = strdup(path);
  if (!c->fifo_path) {
    close(fd);
    errno = ENOMEM;
    return -1;
  }
  c->fd = fd;
  c->owned = 1;
  return 0;
}

int np_control_parse(const char *word, netproxy_cmd_t *out)
{
  static const struct {
    const char *word;
    netproxy_cmd_t cmd;
  } table[] = {
    { "down", NETPROXY_CMD_DOWN }, { "up", NETPROXY_CMD_UP },     { "cut", NETPROXY_CMD_CUT },
    { "stats", NETPROXY_CMD_STATS }, { "quit", NETPROXY_CMD_QUIT },
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(word, table[i].word) == 0) {
      *out = table[i].cmd;
      return 1;
    }
  }
  return 0;
}

static void end_line(np_control_t *c, np_control_fn *fn, void *ctx, FILE *log)
{
  /* Trim spaces, tabs and a CR from both ends. */
  size_t start = 0, end = c->len;
  while (start < end && strchr(" \t\r", c->line[start]))
    start++;
  while (end > start && strchr(" \t\r", c->line[end - 1]))
    end--;
  c->line[end] = '\0';
  const char *word = c->line + start;
  netproxy_cmd_t cmd;
  if (c->overlong) {
    if (log)
      fprintf(log, "netproxy: control line too long, ignored\n");
  } else if (np_control_parse(word, &cmd)) {
    fn(ctx, cmd);
  } else if (*word && log) {
    fprintf(log, "netproxy: unknown control command '%s' (down, up, cut, stats, quit)\n", word);
  }
  c->len = 0;
  c->overlong = 0;
}

void np_control_read(np_control_t *c, np_control_fn *fn, void *ctx, FILE *log)
{
  char buf[512];
  if (c->fd < 0)
    return;
  ssize_t n = read(c->fd, buf, sizeof buf);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return;
    n = 0; /* treat a broken control input like its end */
  }
  if (n == 0) {
    if (c->len > 0)
      end_line(c, fn, ctx, log);
    if (c->owned)
      close(c->fd);
    c->fd = c->fifo_path ? open_fifo(c->fifo_path) : -1;
    return;
  }
  for (ssize_t i = 0; i < n; i++) {
    if (buf[i] == '\n') {
      end_line(c, fn, ctx, log);
    } else if (c->len + 1 < sizeof c->line) {
      c->line[c->len++] = buf[i];
    } else {
      c->overlong = 1;
    }
  }
}

void np_control_close(np_control_t *c)
{
  if (c->owned && c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  free(c->fifo_path);
  c->fifo_path = NULL;
}
