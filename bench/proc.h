/* Helpers of bench_sync: failing loudly, the clock, paths, and child processes (spawn with the
 * output on a pipe, run to completion, read the first line of a server, wait with rusage).
 * Threads: bench_sync's main thread only. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Prints "bench_sync: ..." to stderr and exits 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
double now_s(void);
/* out = a + b, or die when it does not fit. */
void join(char *out, size_t len, const char *a, const char *b);
/* Starts argv[0] (a path) with stdin from /dev/null, stdout to out_fd (-1: /dev/null), stderr to
 * /dev/null unless $BENCH_VERBOSE is set. */
pid_t spawn(char *const argv[], int out_fd);
/* Reaps pid; ru (may be NULL) gets its resource use. The exit code, 128+signal when killed. */
int wait_pid(pid_t pid, struct rusage *ru);
/* Runs argv to completion and returns its stdout (malloc'd); dies when it fails. */
char *run(char *const argv[]);
/* Starts a long-running program and reads its first line (e.g. "LISTENING ..."). */
pid_t start_with_line(char *const argv[], char *line, size_t len);
/* The whole file (malloc'd, NUL-terminated); dies when it cannot be read. */
char *read_all(const char *path, size_t *len);
void rmtree(const char *dir);

#endif
