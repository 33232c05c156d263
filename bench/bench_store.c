/* Store throughput and latency with reference-form records (proto/forms/tppo_screening.v1.json,
 * answers from libsync/tools/sample).
 *
 *   bench_store [dir] [records] [batch] [singles]
 *
 * 1. batched: `records` (20,000) final records in batches of `batch` (500), FULL durability:
 *    records/s (target >= 20,000/s).
 * 2. single durable saves: `singles` (1,000) sync_record_create calls, each its own fsync'ed
 *    transaction: p50 / p99 / max latency (target p99 < 5 ms).
 * 3. for attribution: validation alone (form_validate) over the same payloads.
 * The store file goes to `dir` (default $TMPDIR or /tmp): put it on the disk you care about, the
 * fsync cost is the point. Payloads are generated before timing starts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "form_def.h"
#include "sample.h"
#include "store_internal.h"
#include "sync/sync.h"

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: steadier than wall time on a shared machine. */
static double cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = (size_t)n;
  }
  return buf;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return sorted[i < n ? i : n - 1];
}

static void die(const char *what, sync_store_t *s, sync_err_t err)
{
  fprintf(stderr, "bench_store: %s: %s: %s\n", what, sync_errname(err), s ? sync_store_errmsg(s) : "");
  exit(1);
}

/* Stores are encrypted with the default (INTERACTIVE) key derivation, as on a field device; the
 * cost of creating the key is printed once. */
static sync_store_t *open_store(const char *path, sync_durability_t durability, const char *form, size_t form_len)
{
  static int timed;
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.durability = durability;
  o.passphrase = "bench passphrase";
  o.kdf = SYNC_KDF_INTERACTIVE;
  sync_store_t *s = NULL;
  double t0 = now_s();
  sync_err_t err = sync_store_open(path, &o, &s);
  if (err)
    die("open", NULL, err);
  if (!timed++)
    printf("%-30s %.3f s (Argon2id INTERACTIVE, creating the store)\n", "open", now_s() - t0);
  if ((err = sync_form_add(s, form, form_len, NULL, NULL)) != SYNC_OK)
    die("form_add", s, err);
  return s;
}

static void single_saves(const char *label, const char *path, sync_durability_t durability, const char *form,
                         size_t form_len, char **payloads, size_t n)
{
  sync_store_t *s = open_store(path, durability, form, form_len);
  double *lat = malloc(n * sizeof *lat);
  for (size_t i = 0; i < n; i++) {
    double t0 = now_s();
    sync_err_t err = sync_record_create(s, "tppo_screening", 1, payloads[i], SYNC_STATUS_FINAL, NULL);
    lat[i] = (now_s() - t0) * 1e3;
    if (err)
      die("single save", s, err);
  }
  qsort(lat, n, sizeof *lat, cmp_double);
  printf("%-30s %zu saves: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", label, n, percentile(lat, n, 0.50),
         percentile(lat, n, 0.99), lat[n - 1]);
  free(lat);
  sync_store_close(s);
}

int main(int argc, char **argv)
{
  const char *base = argc > 1 ? argv[1] : getenv("TMPDIR");
  size_t records = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 20000;
  size_t batch = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 500;
  size_t singles = argc > 4 ? (size_t)strtoul(argv[4], NULL, 10) : 1000;
  if (!base || !*base)
    base = "/tmp";
  if (records == 0 || batch == 0 || singles == 0) {
    fprintf(stderr, "usage: bench_store [dir] [records] [batch] [singles]\n");
    return 2;
  }

  size_t form_len;
  char *form = read_file(SYNC_SOURCE_DIR "/proto/forms/tppo_screening.v1.json", &form_len);
  if (!form) {
    fprintf(stderr, "bench_store: cannot read the reference form\n");
    return 1;
  }
  char err[512] = "";
  sample_gen_t *gen = sample_gen_new(form, form_len, 20261101, err, sizeof err);
  if (!gen) {
    fprintf(stderr, "bench_store: sample generator: %s\n", err);
    return 1;
  }
  size_t total = records + singles, bytes = 0;
  char **payloads = malloc(total * sizeof *payloads);
  for (size_t i = 0; i < total; i++) {
    if (!(payloads[i] = sample_gen_next(gen))) {
      fprintf(stderr, "bench_store: out of memory generating payloads\n");
      return 1;
    }
    bytes += strlen(payloads[i]);
  }
  sample_gen_free(gen);

  char dir[4096];
  snprintf(dir, sizeof dir, "%s/bench_store-XXXXXX", base);
  if (!mkdtemp(dir)) {
    perror("bench_store: mkdtemp");
    return 1;
  }
  char path[4200], path2[4200], path3[4200];
  snprintf(path, sizeof path, "%s/batched.db", dir);
  snprintf(path2, sizeof path2, "%s/single.db", dir);
  snprintf(path3, sizeof path3, "%s/single-normal.db", dir);
  printf("reference form %zu bytes; payloads average %zu bytes; store in %s\n", form_len, bytes / total, dir);

  /* 1. Batched saves. */
  sync_store_t *s = open_store(path, SYNC_DURABILITY_FULL, form, form_len);
  double t0 = now_s(), c0 = cpu_s();
  for (size_t i = 0; i < records; i += batch) {
    sync_err_t e = sync_store_begin(s);
    for (size_t j = i; e == SYNC_OK && j < i + batch && j < records; j++)
      e = sync_record_create(s, "tppo_screening", 1, payloads[j], SYNC_STATUS_FINAL, NULL);
    if (e || (e = sync_store_commit(s)) != SYNC_OK)
      die("batched save", s, e);
  }
  double t = now_s() - t0, c = cpu_s() - c0;
  printf("%-30s %zu records in batches of %zu: %.3f s, %.0f records/s (CPU %.1f us/record)\n",
         "batched (FULL)", records, batch, t, (double)records / t, c * 1e6 / (double)records);
  sync_store_stats_t st;
  if (sync_store_stats(s, &st) == SYNC_OK)
    printf("%-30s finals %lld, outbox pending %lld\n", "", (long long)st.finals, (long long)st.outbox_pending);
  sync_store_close(s);

  /* 2. Single durable saves (a fresh store, as on a field laptop). */
  single_saves("single saves (FULL)", path2, SYNC_DURABILITY_FULL, form, form_len, payloads + records, singles);
  single_saves("single saves (NORMAL)", path3, SYNC_DURABILITY_NORMAL, form, form_len, payloads + records,
               singles);

  /* 3. Validation alone, for attribution. */
  sync_err_t perr;
  form_t *f = form_parse(form, form_len, &perr, err, sizeof err);
  if (f) {
    issue_list_t issues = { NULL, 0, 0 };
    int32_t today = store_today_days();
    t0 = now_s();
    for (size_t i = 0; i < records; i++) {
      char *canonical = NULL;
      if (form_validate(f, payloads[i], strlen(payloads[i]), VALIDATE_FINAL, "id", today, &canonical, &issues))
        fprintf(stderr, "bench_store: payload %zu does not validate\n", i);
      free(canonical);
      issue_list_clear(&issues);
    }
    t = now_s() - t0;
    printf("%-30s %zu payloads: %.3f s, %.1f us each\n", "validation only", records, t, t * 1e6 / (double)records);
    form_free(f);
  }

  for (size_t i = 0; i < total; i++)
    free(payloads[i]);
  free(payloads);
  free(form);
  unlink(path);
  unlink(path2);
  unlink(path3);
  rmdir(dir);
  return 0;
}
