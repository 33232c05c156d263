/* The load test of issue 11 item 3 (proto/SECURITY.md "Availability under hostile load"): the
 * real syncserver with its default limits, deployed as the README says (the reference form
 * sealed to a central key, HTTPS, a device enrolled with a one-time code), is attacked from 8
 * loopback addresses (127.0.0.2 ... 127.0.0.9) by
 *   - 300 slow-header connections: TLS set up, then a request head one header line every 5 s,
 *     re-opened whenever the server closes one;
 *   - 100 oversized unauthenticated bodies: POST /v1/enroll declaring 8 MiB, or chunked without
 *     end, re-sent whenever the server refuses one;
 * while the device — the real sync engine over its encrypted store — syncs 1,000 sealed records
 * an officer finalized. The sync must finish with every record delivered and readable by
 * central, and the server's peak resident memory (VmHWM) must stay under a bound; the numbers
 * are printed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "sync_fixture.h"

#define N_RECORDS 1000
#define N_SLOW 300
#define N_BODIES 100
#define N_ADDRESSES 8
#define TRICKLE_S 5
#define BODY_PIECE 16384   /* "4000" in hex */
#define WARM_S 5           /* the attack runs this long before the device starts ... */
#define ATTACK_S 12        /* ... and at least this long in all */
/* The server's peak resident memory under the attack. Unbounded bodies took it to 1.9 GB.
 * AddressSanitizer keeps freed memory in a quarantine (256 MiB by default) and adds shadow
 * memory: under it the server gets a 16 MiB quarantine (asan_small_quarantine) and the bound
 * room for the shadow. */
#ifdef __SANITIZE_ADDRESS__
#define RSS_BOUND_KB ((96 + 64) * 1024)
#else
#define RSS_BOUND_KB (96 * 1024)
#endif

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* A kB field of /proc/PID/status (VmHWM, VmRSS); -1 when unreadable. */
static long proc_kb(pid_t pid, const char *field)
{
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  size_t n = strlen(field);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, field, n) == 0 && line[n] == ':')
      kb = strtol(line + n + 1, NULL, 10);
  if (f)
    fclose(f);
  return kb;
}

/* Samples the server's VmRSS every 50 ms until stopped: the kernel updates VmHWM lazily. */
typedef struct sampler {
  pid_t pid;
  atomic_int stop;
  long peak_kb;
} sampler_t;

static void *sample_rss(void *arg)
{
  sampler_t *m = arg;
  while (!atomic_load(&m->stop)) {
    long kb = proc_kb(m->pid, "VmRSS");
    if (kb > m->peak_kb)
      m->peak_kb = kb;
    pause_ms(50);
  }
  return NULL;
}

/* ---- the attackers ------------------------------------------------------------------------ */

typedef enum kind { SLOW_HEAD, BODY_DECLARED, BODY_CHUNKED } kind_t;

typedef struct slot {
  CURL *h;
  kind_t kind;
  double next_s;      /* SLOW_HEAD: when to send the next header line */
  int lines;
} slot_t;

typedef struct attack {
  const fx_server_t *s;
  slot_t *slots;
  int n;
  kind_t first_kind;  /* slots alternate kinds from here for bodies */
  atomic_int stop;
  atomic_int open_now;
  long opened, closed_by_server, refused_at_connect;
} attack_t;

static int send_all(CURL *h, const char *buf, size_t len)
{
  double until = now_s() + 2;
  while (len > 0 && now_s() < until) {
    size_t sent = 0;
    CURLcode rc = curl_easy_send(h, buf, len, &sent);
    if (rc == CURLE_AGAIN) {
      pause_ms(5);
      continue;
    }
    if (rc != CURLE_OK)
      return -1;
    buf += sent;
    len -= sent;
  }
  return len == 0 ? 0 : -1;
}

/* 1 when the server has closed the connection (its answer, if any, read and dropped). */
static int gone(CURL *h)
{
  char buf[4096];
  for (;;) {
    size_t n = 0;
    CURLcode rc = curl_easy_recv(h, buf, sizeof buf, &n);
    if (rc == CURLE_AGAIN)
      return 0;
    if (rc != CURLE_OK || n == 0)
      return 1;
  }
}

/* Opens slot i's connection over TLS from its address and sends what its kind sends first. */
static int open_slot(attack_t *a, int i)
{
  slot_t *sl = &a->slots[i];
  char iface[32], url[160];
  snprintf(iface, sizeof iface, "host!127.0.0.%d", 2 + i % N_ADDRESSES);
  snprintf(url, sizeof url, "%s/v1/enroll", a->s->url);
  CURL *h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
  curl_easy_setopt(h, CURLOPT_CAINFO, a->s->ca_file);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
  if (curl_easy_perform(h) != CURLE_OK) {
    curl_easy_cleanup(h);
    a->refused_at_connect++;
    return -1;
  }
  static const char head[] = "POST /v1/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Content-Type: application/json\r\n";
  char first[512];
  size_t len = (size_t)snprintf(first, sizeof first, "%s", head);
  if (sl->kind == BODY_DECLARED)
    len += (size_t)snprintf(first + len, sizeof first - len, "Content-Length: %u\r\n\r\n",
                            PROTO_MAX_BODY_WIRE);
  else if (sl->kind == BODY_CHUNKED)
    len += (size_t)snprintf(first + len, sizeof first - len, "Transfer-Encoding: chunked\r\n\r\n");
  (void)send_all(h, first, len);
  sl->h = h;
  sl->lines = 0;
  sl->next_s = now_s() + TRICKLE_S;
  a->opened++;
  atomic_fetch_add(&a->open_now, 1);
  return 0;
}

/* Keeps every slot busy: a slow head gets one more line every TRICKLE_S, a body 16 KiB more
 * (a chunk of 16 KiB when chunked) each round; whatever the server closed is opened again. */
static void *attacker(void *arg)
{
  attack_t *a = arg;
  static char piece[8 + BODY_PIECE + 2];
  memcpy(piece, "4000\r\n", 6);
  memset(piece + 6, ' ', BODY_PIECE);
  memcpy(piece + 6 + BODY_PIECE, "\r\n", 2);
  while (!atomic_load(&a->stop)) {
    for (int i = 0; i < a->n && !atomic_load(&a->stop); i++) {
      slot_t *sl = &a->slots[i];
      if (!sl->h) {
        (void)open_slot(a, i);
        continue;
      }
      if (gone(sl->h)) {
        curl_easy_cleanup(sl->h);
        sl->h = NULL;
        a->closed_by_server++;
        atomic_fetch_sub(&a->open_now, 1);
        continue;
      }
      if (sl->kind == SLOW_HEAD && now_s() >= sl->next_s) {
        char line[48];
        snprintf(line, sizeof line, "X-Slow-%d: %d\r\n", sl->lines, sl->lines);
        sl->lines++;
        sl->next_s += TRICKLE_S;
        (void)send_all(sl->h, line, strlen(line));
      } else if (sl->kind == BODY_CHUNKED) {
        (void)send_all(sl->h, piece, 6 + BODY_PIECE + 2);
      } else if (sl->kind == BODY_DECLARED) {
        (void)send_all(sl->h, piece + 6, BODY_PIECE);
      }
    }
    pause_ms(20);
  }
  for (int i = 0; i < a->n; i++)
    if (a->slots[i].h)
      curl_easy_cleanup(a->slots[i].h);
  return NULL;
}

static void attack_init(attack_t *a, const fx_server_t *s, int n, int bodies)
{
  memset(a, 0, sizeof *a);
  a->s = s;
  a->n = n;
  a->slots = calloc((size_t)n, sizeof *a->slots);
  assert_non_null(a->slots);
  for (int i = 0; i < n; i++)
    a->slots[i].kind = !bodies ? SLOW_HEAD : i % 2 ? BODY_CHUNKED : BODY_DECLARED;
  atomic_init(&a->stop, 0);
  atomic_init(&a->open_now, 0);
}

/* The server inherits the test's environment. */
static void asan_small_quarantine(void)
{
#ifdef __SANITIZE_ADDRESS__
  const char *have = getenv("ASAN_OPTIONS");
  char opts[1024];
  snprintf(opts, sizeof opts, "%s%squarantine_size_mb=16", have ? have : "",
           have && *have ? ":" : "");
  setenv("ASAN_OPTIONS", opts, 1);
#endif
}

/* ---- the device under attack -------------------------------------------------------------- */

static void test_device_syncs_while_slow_and_oversized_clients_attack(void **state)
{
  (void)state;
  fx_device_t d;
  fx_server_t s;
  cJSON *kept = cJSON_CreateObject();
  asan_small_quarantine();
  assert_int_equal(fx_world_create(&d, &s, FX_SECURE, N_RECORDS, 11, kept), 0);
  assert_int_equal(strncmp(s.url, "https://", 8), 0);
  long rss_idle = proc_kb(s.pid, "VmRSS");

  attack_t slow, bodies;
  attack_init(&slow, &s, N_SLOW, 0);
  attack_init(&bodies, &s, N_BODIES, 1);
  sampler_t mem = {.pid = s.pid, .peak_kb = rss_idle};
  atomic_init(&mem.stop, 0);
  pthread_t ts, tb, tm;
  assert_int_equal(pthread_create(&tm, NULL, sample_rss, &mem), 0);
  double t_attack = now_s();
  assert_int_equal(pthread_create(&ts, NULL, attacker, &slow), 0);
  assert_int_equal(pthread_create(&tb, NULL, attacker, &bodies), 0);
  /* Until every slow connection was opened once and the bodies had time to pile up. */
  while ((slow.opened < N_SLOW || now_s() - t_attack < WARM_S) && now_s() - t_attack < 30)
    pause_ms(100);
  int open_slow = atomic_load(&slow.open_now), open_bodies = atomic_load(&bodies.open_now);

  double t0 = now_s();
  sync_status_t st;
  sync_err_t err = fx_sync_once(&d, &s, &st);
  double took = now_s() - t0;
  while (now_s() - t_attack < ATTACK_S)
    pause_ms(100);
  atomic_store(&slow.stop, 1);
  atomic_store(&bodies.stop, 1);
  pthread_join(ts, NULL);
  pthread_join(tb, NULL);
  atomic_store(&mem.stop, 1);
  pthread_join(tm, NULL);
  long hwm = proc_kb(s.pid, "VmHWM");
  long peak = hwm > mem.peak_kb ? hwm : mem.peak_kb;

  printf("attack: %ld slow-head connections opened (%d open, as the attacker saw it, when the"
         " device began), %ld closed by the server; %ld oversized-body connections opened"
         " (%d open), %ld closed by the server; refused at connect: %ld\n",
         slow.opened, open_slow, slow.closed_by_server, bodies.opened, open_bodies,
         bodies.closed_by_server, slow.refused_at_connect + bodies.refused_at_connect);
  printf("device: the sync engine delivered %lld of %d records (%s) in %.1f s, %.1f s into an"
         " attack of %.1f s\n", (long long)st.progress.records_done, N_RECORDS, sync_errname(err), took,
         t0 - t_attack, now_s() - t_attack);
  printf("server memory: VmRSS %ld kB idle, peak %ld kB under attack (VmHWM %ld kB; bound %d"
         " kB)\n", rss_idle, peak, hwm, RSS_BOUND_KB);

  assert_int_equal(err, SYNC_OK);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(d.path, &ob), 0);
  assert_int_equal(ob.pending, 0);
  assert_int_equal(ob.acked, N_RECORDS);
  char why[512] = "";
  if (fx_verify_export(&s, kept, why, sizeof why) != 0)
    fail_msg("central cannot read what the device sent: %s", why);
  assert_true(slow.opened >= N_SLOW);
  assert_true(bodies.opened >= N_BODIES);
  assert_true(hwm > 0 && peak < RSS_BOUND_KB);

  free(slow.slots);
  free(bodies.slots);
  cJSON_Delete(kept);
  fx_server_destroy(&s);
  fx_device_destroy(&d);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_device_syncs_while_slow_and_oversized_clients_attack),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
