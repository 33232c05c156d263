/* Helpers of bench_sync (proc.h): failing loudly, the clock, paths and child processes. */
#define _DEFAULT_SOURCE 1
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("bench_sync: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void join(char *out, size_t len, const char *a, const char *b)
{
  int n = snprintf(out, len, "%s%s", a, b);
  if (n < 0 || (size_t)n >= len)
    die("path too long: %s%s", a, b);
}

pid_t spawn(char *const argv[], int out_fd)
{
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO);
    if (!getenv("BENCH_VERBOSE"))
      dup2(null_fd, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

int wait_pid(pid_t pid, struct rusage *ru)
{
  int st = 0;
  struct rusage local;
  while (wait4(pid, &st, 0, ru ? ru : &local) < 0 && errno == EINTR)
    ;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *run(char *const argv[])
{
  int p[2];
  if (pipe(p) != 0)
    die("pipe: %s", strerror(errno));
  pid_t pid = spawn(argv, p[1]);
  close(p[1]);
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  ssize_t n;
  while (buf && (n = read(p[0], buf + len, cap - len - 1)) > 0) {
    len += (size_t)n;
    if (cap - len < 2048)
      buf = realloc(buf, cap *= 2);
  }
  if (!buf)
    die("out of memory");
  buf[len] = '\0';
  close(p[0]);
  if (wait_pid(pid, NULL) != 0)
    die("%s %s failed", argv[0], argv[1] ? argv[1] : "");
  return buf;
}

pid_t start_with_line(char *const argv[], char *line, size_t len)
{
  int p[2];
  if (pipe(p) != 0)
    die("pipe: %s", strerror(errno));
  pid_t pid = spawn(argv, p[1]);
  close(p[1]);
  size_t n = 0;
  struct pollfd pf = {.fd = p[0], .events = POLLIN};
  while (n < len - 1 && poll(&pf, 1, 10000) > 0 && read(p[0], line + n, 1) == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  close(p[0]);
  return pid;
}

char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
    die("cannot read %s", path);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

void rmtree(const char *dir)
{
  char *argv[] = {(char *)"/bin/rm", (char *)"-rf", (char *)dir, NULL};
  wait_pid(spawn(argv, -1), NULL);
}
