/* One measured sync in its own process (sync_child.h). Child lines on stdout:
 *   P records_done wire_sent wire_received requests runs hwm progress so far (summed over runs)
 *                                                             and the child's VmHWM in KiB
 *   E message                                                 the engine's message after a failed run
 *   D seconds                                                 the outbox is empty */
#define _DEFAULT_SOURCE 1
#include "sync_child.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

/* ---- child ----------------------------------------------------------------------------------- */

typedef struct child_state {
  sync_progress_t base; /* summed over the runs that ended */
  int runs;
} child_state_t;

/* This process's peak RSS in KiB (VmHWM: of its own memory since exec; ru_maxrss of a forked
 * child would include the parent's peak at the fork). */
static long vm_hwm_kib(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0)
      kib = atol(line + 6);
  if (f)
    fclose(f);
  return kib;
}

static void print_progress(const child_state_t *c, const sync_progress_t *now)
{
  printf("P %lld %lld %lld %lld %d %ld %lld %lld %lld\n",
         (long long)(c->base.records_done + now->records_done),
         (long long)(c->base.wire_bytes_sent + now->wire_bytes_sent),
         (long long)(c->base.wire_bytes_received + now->wire_bytes_received),
         (long long)(c->base.requests + now->requests), c->runs, vm_hwm_kib(),
         (long long)(c->base.wire_bytes_abandoned + now->wire_bytes_abandoned),
         (long long)(c->base.requests_abandoned + now->requests_abandoned),
         (long long)now->upload_bytes_per_s);
  fflush(stdout);
}

static void on_status(const sync_status_t *st, void *user)
{
  print_progress(user, &st->progress);
}

static void add_progress(sync_progress_t *sum, const sync_progress_t *p)
{
  sum->records_done += p->records_done;
  sum->wire_bytes_sent += p->wire_bytes_sent;
  sum->wire_bytes_received += p->wire_bytes_received;
  sum->requests += p->requests;
  sum->wire_bytes_abandoned += p->wire_bytes_abandoned;
  sum->requests_abandoned += p->requests_abandoned;
}

/* Failures a device's retries cannot fix (engine.h: SYNC_STATE_ERROR). */
static int permanent(sync_err_t rc)
{
  return rc == SYNC_ERR_AUTH || rc == SYNC_ERR_REVOKED || rc == SYNC_ERR_CRYPTO ||
         rc == SYNC_ERR_NOT_ENROLLED || rc == SYNC_ERR_PASSPHRASE || rc == SYNC_ERR_INVALID_ARG;
}

int child_sync_main(char **argv)
{
  child_state_t cs;
  memset(&cs, 0, sizeof cs);
  sync_engine_config_t c;
  sync_engine_config_init(&c);
  c.store_path = argv[0];
  c.store_passphrase = BENCH_PASSPHRASE;
  c.server_url = argv[1];
  c.ca_file = *argv[2] ? argv[2] : NULL;
  c.pinned_pubkey = *argv[3] ? argv[3] : NULL;
  c.allow_plain_http_loopback = 1;
  c.language = "en";
  c.on_status = on_status;
  c.user_data = &cs;
  sync_engine_t *e = NULL;
  char err[256];
  if (sync_engine_new(&c, &e, err, sizeof err) != SYNC_OK) {
    printf("E engine: %s\n", err);
    return 1;
  }
  double t0 = now_s();
  for (;;) {
    cs.runs++;
    sync_err_t rc = sync_engine_run_once(e);
    sync_status_t st;
    sync_engine_status(e, &st);
    add_progress(&cs.base, &st.progress);
    sync_progress_t zero;
    memset(&zero, 0, sizeof zero);
    print_progress(&cs, &zero);
    if (rc == SYNC_OK && st.pending == 0)
      break;
    printf("E %s: %s\n", sync_errname(rc), st.message);
    fflush(stdout);
    if (permanent(rc))
      break; /* retries cannot fix it: the parent reports what was delivered */
    sleep(1); /* a device's background thread backs off too */
  }
  printf("D %.3f\n", now_s() - t0);
  fflush(stdout);
  sync_engine_free(e);
  return 0;
}

/* ---- parent ---------------------------------------------------------------------------------- */

static void parse_line(child_result_t *r, const char *line)
{
  long long done, sent, recv, req, lost, lost_req, rate;
  long hwm;
  int runs;
  if (line[0] == 'P' &&
      sscanf(line + 1, "%lld %lld %lld %lld %d %ld %lld %lld %lld", &done, &sent, &recv, &req,
             &runs, &hwm, &lost, &lost_req, &rate) == 9) {
    r->maxrss_kib = hwm;
    r->p.wire_bytes_abandoned = lost;
    r->p.requests_abandoned = lost_req;
    if (rate > 0)
      r->p.upload_bytes_per_s = rate;
    r->p.records_done = done;
    r->p.wire_bytes_sent = sent;
    r->p.wire_bytes_received = recv;
    r->p.requests = req;
    r->runs = runs;
  } else if (line[0] == 'E') {
    size_t n = strnlen(line + 2, sizeof r->last_error - 1);
    memcpy(r->last_error, line + 2, n);
    r->last_error[n] = '\0';
  } else if (line[0] == 'D') {
    r->finished = 1;
    r->seconds = atof(line + 2);
  }
}

child_result_t child_sync_run(const char *self, const world_t *w, const char *url,
                              double timeout_s)
{
  child_result_t r;
  memset(&r, 0, sizeof r);
  int p[2];
  if (pipe(p) != 0)
    die("pipe: %s", strerror(errno));
  char *argv[] = {(char *)self, (char *)"--child-sync", (char *)w->store, (char *)url,
                  (char *)w->ca, (char *)w->pin, NULL};
  double t0 = now_s(), deadline = t0 + timeout_s;
  pid_t pid = spawn(argv, p[1]);
  close(p[1]);
  char buf[4096];
  size_t len = 0;
  int timed_out = 0;
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    struct pollfd pf = {.fd = p[0], .events = POLLIN};
    int n = poll(&pf, 1, (int)(left * 1000.0) + 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      continue;
    ssize_t got = read(p[0], buf + len, sizeof buf - 1 - len);
    if (got <= 0)
      break; /* the child ended */
    len += (size_t)got;
    buf[len] = '\0';
    char *nl;
    while ((nl = strchr(buf, '\n'))) {
      *nl = '\0';
      parse_line(&r, buf);
      len -= (size_t)(nl + 1 - buf);
      memmove(buf, nl + 1, len + 1);
    }
    if (len == sizeof buf - 1)
      len = 0; /* a line longer than the buffer: drop it */
  }
  if (timed_out)
    kill(pid, SIGKILL);
  close(p[0]);
  wait_pid(pid, NULL);
  if (!r.finished)
    r.seconds = now_s() - t0;
  return r;
}
