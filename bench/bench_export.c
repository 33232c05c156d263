/* Export benchmark: fills a fresh server database with N records of the reference form (default
 * 100,000) pushed over HTTP the way devices send them (sample generator -> canonical payloads ->
 * push batches of 500, LZ4), then runs `syncserver export` as a child process and prints its wall
 * time and peak RSS (wait4's ru_maxrss): CSV with labels, JSON lines, and a small filtered CSV.
 * A streamed export's peak RSS does not depend on the number of records, so the full and the
 * filtered export should show about the same figure. Also times the dashboard page over the same
 * database.
 *
 * Then the same for sealed records (proto/SECURITY.md 4): a second database with the form
 * published sealed to a fresh central key (`keygen`, `--seal-to`, the clear fields of
 * scripts/demo.sh), N records sealed as a device seals them at finalize, and the exports with
 * `--private-key` (every record opened) and without it (clear parts only). The figures are checked:
 * the record count, and a sealed answer readable with the key and absent without it.
 *
 *   bench_export [N] [--syncserver PATH] [--keep]
 *
 * PATH defaults to ../server-stub/syncserver next to this program's build folder. Run it on a
 * release build (cmake -DCMAKE_BUILD_TYPE=Release); sanitizers multiply the figures. */
#define _DEFAULT_SOURCE 1 /* wait4 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "form_def.h"
#include "form_seal.h"
#include "sample.h"
#include "uuid.h"

#define BATCH 500

static char SERVER[PATH_MAX + 64];
static char DIR_[1024], DB[1100];
static pid_t SERVE_PID;

static double now_s(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench_export: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  if (SERVE_PID > 0)
    kill(SERVE_PID, SIGKILL);
  exit(1);
}

/* Runs syncserver with args (NULL-terminated); stdout to out_path (NULL: /dev/null), stdin from
 * `input`. Returns the exit status; *secs and *maxrss_kb get the child's wall time and peak RSS. */
static double CPU_S;   /* user + system time of the last child run() waited for */

static int run(const char *const *args, const char *out_path, const char *input, double *secs,
               long *maxrss_kb, char *capture, size_t caplen)
{
  char *argv[40];
  int n = 0;
  argv[n++] = SERVER;
  for (size_t i = 0; args[i] && n < 38; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
  int out[2], in[2];
  if (pipe(out) != 0 || pipe(in) != 0)
    die("pipe: %s", strerror(errno));
  double t0 = now_s();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : out[1];
    dup2(fd, STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    close(in[1]);
    close(out[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  if (input && write(in[1], input, strlen(input)) < 0)
    die("write: %s", strerror(errno));
  close(in[1]);
  size_t got = 0;
  char buf[4096];
  ssize_t r;
  while ((r = read(out[0], buf, sizeof buf)) > 0)
    if (capture && got + 1 < caplen) {
      size_t k = (size_t)r < caplen - 1 - got ? (size_t)r : caplen - 1 - got;
      memcpy(capture + got, buf, k);
      got += k;
    }
  if (capture)
    capture[got] = '\0';
  close(out[0]);
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR)
    ;
  if (secs)
    *secs = now_s() - t0;
  if (maxrss_kb)
    *maxrss_kb = ru.ru_maxrss;
  CPU_S = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
          (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *t = malloc((size_t)n + 1);
  if (t && fread(t, 1, (size_t)n, f) != (size_t)n) {
    free(t);
    t = NULL;
  }
  if (t)
    t[n] = '\0';
  fclose(f);
  return t;
}

static void start_server(char *base, size_t len)
{
  int out[2];
  if (pipe(out) != 0)
    die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    execl(SERVER, SERVER, "serve", "--db", DB, "--listen", "127.0.0.1:0", (char *)NULL);
    _exit(127);
  }
  close(out[1]);
  SERVE_PID = pid;
  char line[128];
  size_t n = 0;
  while (n + 1 < sizeof line && read(out[0], line + n, 1) == 1 && line[n] != '\n')
    n++;
  line[n] = '\0';
  close(out[0]);
  if (strncmp(line, "LISTENING ", 10) != 0)
    die("the server did not start");
  snprintf(base, len, "http://%s", line + 10);
}

static void stop_server(void)
{
  kill(SERVE_PID, SIGTERM);
  waitpid(SERVE_PID, NULL, 0);
  SERVE_PID = 0;
}

typedef struct sink {
  char *data;
  size_t len;
} sink_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  sink_t *s = ud;
  char *d = realloc(s->data, s->len + size * n + 1);
  if (!d)
    return 0;
  memcpy(d + s->len, p, size * n);
  s->data = d;
  s->len += size * n;
  s->data[s->len] = '\0';
  return size * n;
}

/* One request on `c` to base + path with the headers `h`: a POST of `body` (a GET when NULL).
 * Returns the HTTP status (0: no answer); the answer in *s, caller frees s->data. */
static long http(CURL *c, const char *base, const char *path, struct curl_slist *h,
                 const char *body, size_t len, sink_t *s)
{
  char url[256];
  snprintf(url, sizeof url, "%s%s", base, path);
  *s = (sink_t){0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  } else
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

/* One push batch; `h` carries the device's Authorization and the JSON / LZ4 content headers. */
static void push(CURL *c, const char *base, struct curl_slist *h, const char *device,
                 proto_change_t *ch, size_t n)
{
  proto_push_writer_t *w;
  char batch[40], err[256];
  uuid_v4(batch);
  if (proto_push_writer_new(device, batch, &w) != SYNC_OK)
    die("push writer");
  for (size_t i = 0; i < n; i++)
    if (proto_push_writer_add(w, &ch[i], 0, err, sizeof err) != SYNC_OK)
      die("push writer: %s", err);
  char *json, *z;
  size_t len, zlen;
  if (proto_push_writer_finish(w, &json, &len) != SYNC_OK ||
      codec_lz4_compress(json, len, 0, &z, &zlen) != SYNC_OK)
    die("encode");
  proto_push_writer_free(w);
  free(json);
  sink_t s;
  long status = http(c, base, PROTO_PATH_PUSH, h, z, zlen, &s);
  if (status != 200 || !s.data || strstr(s.data, "\"rejected\""))
    die("push: HTTP %ld %.300s", status, s.data ? s.data : "");
  free(s.data);
  free(z);
}

/* A device enrolled with a one-time code (`enroll create`, then POST /v1/enroll). */
static void enroll(const char *base, char device[64], char secret[64])
{
  char out[2048];
  const char *create[] = {"enroll", "create", "--db", DB, "--name", "bench device", "--json", NULL};
  if (run(create, NULL, NULL, NULL, NULL, out, sizeof out) != 0)
    die("enroll create failed");
  const char *code = strstr(out, "\"code\":\"");
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  if (!code || sscanf(code, "\"code\":\"%14[0-9A-Z-]", req.code) != 1)
    die("enroll create printed no code: %s", out);
  uuid_v4(req.device_id);
  char *body = NULL;
  size_t len = 0;
  if (proto_enroll_req_encode(&req, &body, &len) != SYNC_OK)
    die("encode");
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
  sink_t s;
  proto_enroll_resp_t *resp = NULL;
  proto_diag_t d;
  long status = http(c, base, PROTO_PATH_ENROLL, h, body, len, &s);
  if (status != 200 || proto_enroll_resp_decode(s.data, s.len, &resp, &d) != SYNC_OK)
    die("enroll: HTTP %ld %.300s", status, s.data ? s.data : "");
  snprintf(device, 64, "%s", resp->device_id);
  snprintf(secret, 64, "%s", resp->secret);
  proto_enroll_resp_free(resp);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  free(s.data);
  free(body);
}

static int32_t days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  int era = y / 400, yoe = y - era * 400;
  int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* The definition of tppo_screening v1 as the server publishes it to devices (GET /v1/forms/...):
 * with `--seal-to` it carries the encryption and duplicate_key blocks devices seal with. */
static char *fetch_form(CURL *c, const char *base, struct curl_slist *auth)
{
  sink_t s;
  long status = http(c, base, PROTO_PATH_FORMS "/tppo_screening/1", auth, NULL, 0, &s);
  if (status != 200 || !s.data)
    die("form: HTTP %ld %.300s", status, s.data ? s.data : "");
  return s.data;
}

/* What a device pushes for a final record (record.c's prepare_final, with the same functions):
 * the duplicate-detection hash, and for an encrypted form the answers sealed to the central key
 * with only their clear part left as payload. */
static void finalize(const form_t *f, proto_change_t *x)
{
  size_t len = strlen(x->payload);
  char *clear = NULL;
  if (form_has_dedup(f) && form_dedup_hash(f, x->payload, len, x->dedup) != SYNC_OK)
    die("cannot hash record %s", x->uuid);
  if (!form_is_encrypted(f))
    return;
  if (form_seal(f, x->uuid, x->payload, len, &x->sealed) != SYNC_OK ||
      form_clear_part(f, x->payload, len, &clear) != SYNC_OK)
    die("cannot seal record %s", x->uuid);
  free(x->payload);
  x->payload = clear;
}

/* A record pushed by the last fill() and its answer to full_name, which is sealed: an export with
 * the private key must show the name on that record's line, one without must not. */
static char PROBE_UUID[40], PROBE_NAME[128];

static void remember_probe(const proto_change_t *x)
{
  const char *p = strstr(x->payload, "\"full_name\":\"");
  if (!PROBE_UUID[0] && p && sscanf(p + 13, "%127[^\"\\]", PROBE_NAME) == 1)
    snprintf(PROBE_UUID, sizeof PROBE_UUID, "%s", x->uuid);
}

static void fill(long n, const char *base, const char *device, const char *secret)
{
  char auth[200], err[256];
  snprintf(auth, sizeof auth, "Authorization: Device %s:%s", device, secret);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  CURL *c = curl_easy_init();
  char *def = fetch_form(c, base, h);
  h = curl_slist_append(h, "Content-Type: application/json");
  h = curl_slist_append(h, "Content-Encoding: lz4");
  sync_err_t e;
  sample_gen_t *g = sample_gen_new(def, strlen(def), 42, err, sizeof err);
  form_t *form = g ? form_parse(def, strlen(def), &e, err, sizeof err) : NULL;
  if (!g || !form)
    die("sample generator: %s", err);
  proto_change_t ch[BATCH];
  size_t k = 0;
  long long clock_ms = 1761955200000LL;
  int32_t today = days_from_civil(2026, 11, 1);
  PROBE_UUID[0] = '\0';
  for (long i = 0; i < n; i++) {
    char *raw = sample_gen_next(g), *canonical = NULL;
    issue_list_t issues = {0};
    if (!raw || form_validate(form, raw, strlen(raw), VALIDATE_FINAL, "en", today, &canonical,
                              &issues) != SYNC_OK)
      die("sample %ld does not validate", i);
    issue_list_clear(&issues);
    free(raw);
    proto_change_t *x = &ch[k++];
    memset(x, 0, sizeof *x);
    uuid_v4(x->uuid);
    x->revision = 1;
    x->op = PROTO_OP_UPSERT;
    memcpy(x->form_id, "tppo_screening", 15);
    x->form_version = 1;
    snprintf(x->hlc, sizeof x->hlc, "%015lld-00000-%s", ++clock_ms, device);
    x->created_at = x->updated_at = clock_ms;
    x->payload = canonical;
    x->origin = PROTO_ORIGIN_DEVICE;
    remember_probe(x);
    finalize(form, x);
    if (k == BATCH || i + 1 == n) {
      push(c, base, h, device, ch, k);
      for (size_t j = 0; j < k; j++) {
        free(ch[j].payload);
        free(ch[j].sealed);
      }
      k = 0;
    }
    if ((i + 1) % 20000 == 0)
      fprintf(stderr, "  pushed %ld\n", i + 1);
  }
  if (!PROBE_UUID[0])
    die("no record answers full_name");
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  form_free(form);
  sample_gen_free(g);
  free(def);
}

static double dashboard_ms(const char *base)
{
  const char *args[] = {"user", "add", "--db", DB, "--name", "bench", NULL};
  if (run(args, NULL, "bench-password-123\n", NULL, NULL, NULL, 0) != 0)
    die("user add");
  CURL *c = curl_easy_init();
  const char *login = "name=bench&password=bench-password-123";
  sink_t s;
  curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
  if (http(c, base, "/dashboard/login", NULL, login, strlen(login), &s) == 0)
    die("login");
  double best = 1e9;
  for (int i = 0; i < 3; i++) {
    free(s.data);
    double t0 = now_s();
    long status = http(c, base, "/dashboard/", NULL, NULL, 0, &s);
    double ms = (now_s() - t0) * 1e3;
    if (status != 200 || !strstr(s.data, "total-records"))
      die("dashboard: HTTP %ld", status);
    if (ms < best)
      best = ms;
  }
  free(s.data);
  curl_easy_cleanup(c);
  return best;
}

/* 1 if the output line of record PROBE_UUID holds PROBE_NAME (no record's answers hold a line
 * break in the sample data). */
static int probe_shown(const char *text)
{
  const char *p = strstr(text, PROBE_UUID);
  if (!p)
    die("record %s is not in the export", PROBE_UUID);
  const char *end = strchr(p, '\n');
  size_t n = end ? (size_t)(end - p) : strlen(p), m = strlen(PROBE_NAME);
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(p + i, PROBE_NAME, m) == 0)
      return 1;
  return 0;
}

/* Times one export of DB and checks its record count (n_expected < 0: any) and, for sealed
 * records, whether the sealed name shows (want_probe 1), must not show (0) or is not checked (-1). */
static void export_row(const char *label, const char *const *extra, long n_expected, int want_probe)
{
  const char *args[40] = {"export", "--db", DB, "--by", "bench", NULL};
  int k = 5;
  for (size_t i = 0; extra[i]; i++)
    args[k++] = extra[i];
  args[k] = NULL;
  char out[1100];
  snprintf(out, sizeof out, "%s/export.out", DIR_);
  double secs;
  long rss;
  if (run(args, out, NULL, &secs, &rss, NULL, 0) != 0)
    die("export %s failed", label);
  struct stat st;
  stat(out, &st);
  char *text = read_text(out);
  if (!text)
    die("export %s: no output", label);
  long rows = 0;
  int jsonl = strstr(label, "JSON") != NULL;
  for (char *p = text; *p; p++)
    rows += jsonl ? *p == '\n' : (*p == '\n' && p > text && p[-1] == '\r');
  if (!jsonl)
    rows--;   /* header */
  printf("%-34s %8ld %8.2f %8.2f %13.1f %10.1f\n", label, rows, secs, CPU_S, rss / 1024.0,
         (double)st.st_size / 1048576.0);
  if (n_expected >= 0 && rows != n_expected)
    die("%s: %ld rows, expected %ld", label, rows, n_expected);
  if (want_probe >= 0 && probe_shown(text) != want_probe)
    die("%s: the sealed full_name of %s is %s", label, PROBE_UUID,
        want_probe ? "not opened" : "readable without the key");
  free(text);
  remove(out);
}

/* A fresh database `name` in DIR_ (it becomes DB) with the reference form published with
 * `publish_extra`, filled with n records pushed over HTTP by one enrolled device; prints the
 * heading (`title`) and the table header. *dash_ms gets the dashboard time unless NULL. */
static void prepare(const char *name, const char *const *publish_extra, long n, const char *title,
                    double *dash_ms)
{
  char form[PATH_MAX + 64];
  snprintf(DB, sizeof DB, "%s/%s", DIR_, name);
  snprintf(form, sizeof form, "%s/proto/forms/tppo_screening.v1.json", SYNC_SOURCE_DIR);
  const char *init[] = {"init", "--db", DB, NULL};
  const char *publish[16] = {"form", "publish", "--db", DB, form, NULL};
  for (int i = 0; publish_extra[i] && i < 10; i++)
    publish[5 + i] = publish_extra[i];
  if (run(init, NULL, NULL, NULL, NULL, NULL, 0) != 0 ||
      run(publish, NULL, NULL, NULL, NULL, NULL, 0) != 0)
    die("set-up of %s failed", name);

  char base[128], device[64], secret[64];
  start_server(base, sizeof base);
  enroll(base, device, secret);
  fprintf(stderr, "filling %ld records into %s through %s ...\n", n, name, base);
  double t0 = now_s();
  fill(n, base, device, secret);
  double fill_s = now_s() - t0;
  if (dash_ms)
    *dash_ms = dashboard_ms(base);
  stop_server();
  struct stat st;
  stat(DB, &st);
  printf("%s: %ld records of tppo_screening v1 (database %.0f MiB; filled over HTTP in %.1f s,"
         " %.0f records/s)\n", title, n, (double)st.st_size / 1048576.0, fill_s, n / fill_s);
  printf("%-34s %8s %8s %8s %13s %10s\n", "export", "records", "wall s", "cpu s", "peak RSS MiB",
         "output MiB");
}

int main(int argc, char **argv)
{
  long n = 100000;
  int keep = 0;
  SERVER[0] = '\0';
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--syncserver") == 0 && i + 1 < argc)
      snprintf(SERVER, sizeof SERVER, "%s", argv[++i]);
    else if (strcmp(argv[i], "--keep") == 0)
      keep = 1;
    else if ((n = atol(argv[i])) <= 0)
      die("usage: bench_export [N] [--syncserver PATH] [--keep]");
  }
  if (!SERVER[0]) {
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
      die("cannot find myself; pass --syncserver");
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(SERVER, sizeof SERVER, "%s/../server-stub/syncserver", self);
  }
  if (access(SERVER, X_OK) != 0)
    die("no syncserver at %s (build it, or pass --syncserver)", SERVER);
  const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(DIR_, sizeof DIR_, "%s/bench-export-XXXXXX", tmp);
  if (!mkdtemp(DIR_))
    die("mkdtemp: %s", strerror(errno));
  curl_global_init(CURL_GLOBAL_DEFAULT);

  const char *plain[] = {NULL};
  double dash;
  prepare("server.db", plain, n, "bench_export", &dash);
  const char *csv[] = {NULL};
  const char *csv_en[] = {"--lang", "en", "--bom", NULL};
  const char *jsonl[] = {"--format", "jsonl", NULL};
  const char *small[] = {"--region", "35.02", NULL};
  export_row("CSV, Indonesian labels", csv, n, -1);
  export_row("CSV, English labels, BOM", csv_en, n, -1);
  export_row("JSON lines, codes", jsonl, n, -1);
  export_row("CSV, one regency (35.02)", small, -1, -1);
  printf("dashboard page over all records: %.0f ms (best of 3)\n\n", dash);
  fflush(stdout);

  /* The central key pair and the form sealed to it, as scripts/demo.sh publishes it. */
  char key[1100], pub[1110];
  snprintf(key, sizeof key, "%s/central.key", DIR_);
  snprintf(pub, sizeof pub, "%s.pub", key);
  const char *keygen[] = {"keygen", "--out", key, NULL};
  if (run(keygen, NULL, NULL, NULL, NULL, NULL, 0) != 0)
    die("keygen failed");
  const char *sealed[] = {"--seal-to", pub, "--clear-fields",
                          "interview_date,province,regency_code,unit_type,consent,is_child,"
                          "result_category,sector,destination_country",
                          "--dedup-fields", "full_name,dob,sex", NULL};
  prepare("sealed.db", sealed, n, "bench_export, sealed to a central key (clear fields as in"
          " scripts/demo.sh)", NULL);
  const char *key_csv[] = {"--private-key", key, NULL};
  const char *key_jsonl[] = {"--format", "jsonl", "--private-key", key, NULL};
  export_row("CSV with private key", key_csv, n, 1);
  export_row("JSON lines with private key", key_jsonl, n, 1);
  export_row("CSV, no key (clear parts)", csv, n, 0);
  export_row("JSON lines, no key (clear parts)", jsonl, n, 0);
  if (keep)
    printf("kept %s\n", DIR_);
  else {
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", DIR_);
  }
  curl_global_cleanup();
  return 0;
}
