/* The dashboard in a real browser: the server with a few hundred generated records of the
 * reference form (v1 and v2, several districts, some case statuses, one silent device), headless
 * Chromium driven through chromedriver with plain W3C WebDriver calls over HTTP (libcurl). The
 * browser signs in through the login form, the totals and per-province counts it shows are
 * compared with counts this test reads from the database with SQLite, and screenshots of the
 * Indonesian and English pages are saved to the build folder (and to server-stub/screenshots/
 * with SYNC_UPDATE_SCREENSHOTS=1).
 *
 * Chromium never reaches the network: every host name but 127.0.0.1 resolves to nothing
 * (--host-resolver-rules), and the page loads nothing from elsewhere anyway. The server,
 * chromedriver and Chromium are stopped on every way out, failures included (chromedriver and
 * its browser run in a process group of their own, killed as a whole).
 *
 * Exit 77 (skipped) only when chromium or chromedriver is not installed (Debian packages
 * chromium and chromium-driver). CHROMIUM / CHROMEDRIVER in the environment name other
 * binaries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server_fixture.h"
#include "test_support.h"
#include "tppo_fixture.h"

#define N_V1 240
#define N_V2 120
#define ELEMENT_KEY "element-6066-11e4-a52e-4f735466cecf"

static const char *CHROMIUM_CANDIDATES[] = {"/usr/lib/chromium/chromium", "/usr/bin/chromium",
                                            NULL};
static const char *DRIVER_CANDIDATES[] = {"/usr/bin/chromedriver",
                                          "/usr/lib/chromium/chromedriver", NULL};

static server_t S;
static const char *CHROMIUM, *DRIVER;
static volatile pid_t DRIVER_PID;   /* also its process group */
static char WD[64];                 /* "http://127.0.0.1:PORT" */
static char SESSION[128];

/* ---- cleanup on every way out -------------------------------------------------------------- */

static void kill_all(void)
{
  if (DRIVER_PID > 0) {
    kill(-DRIVER_PID, SIGKILL);   /* chromedriver and the browser it started */
    waitpid(DRIVER_PID, NULL, 0);
    DRIVER_PID = 0;
  }
  if (S.pid > 0) {
    kill(S.pid, SIGKILL);
    waitpid(S.pid, NULL, 0);
    S.pid = 0;
  }
}

static void on_fatal(int sig)
{
  if (DRIVER_PID > 0)
    kill(-DRIVER_PID, SIGKILL);
  if (S.pid > 0)
    kill(S.pid, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

/* ---- small HTTP client for WebDriver -------------------------------------------------------- */

typedef struct buf {
  char *data;
  size_t len;
} buf_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  buf_t *b = ud;
  size_t add = size * n;
  char *nd = realloc(b->data, b->len + add + 1);
  if (!nd)
    return 0;
  memcpy(nd + b->len, p, add);
  b->data = nd;
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

/* One WebDriver command; returns the "value" of the answer (caller deletes the whole answer
 * through *doc). Fails the test on an HTTP error. */
static const cJSON *wd(const char *method, const char *path, const char *body, cJSON **doc)
{
  CURL *c = curl_easy_init();
  assert_non_null(c);
  char url[512];
  snprintf(url, sizeof url, "%s%s", WD, path);
  struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
  buf_t b = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  if (body)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  CURLcode rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  if (rc != CURLE_OK || status != 200) {
    fprintf(stderr, "webdriver %s %s: curl %d HTTP %ld %.600s\n", method, path, (int)rc, status,
            b.data ? b.data : "");
    free(b.data);
    fail();
  }
  *doc = cJSON_Parse(b.data);
  free(b.data);
  assert_non_null(*doc);
  return cJSON_GetObjectItem(*doc, "value");
}

static void wd_do(const char *method, const char *path, const char *body)
{
  cJSON *doc;
  wd(method, path, body, &doc);
  cJSON_Delete(doc);
}

static void session_path(char *out, size_t len, const char *rest)
{
  snprintf(out, len, "/session/%.64s%.150s", SESSION, rest);
}

static void navigate(const char *url)
{
  char path[256], body[512];
  session_path(path, sizeof path, "/url");
  snprintf(body, sizeof body, "{\"url\":\"%s\"}", url);
  wd_do("POST", path, body);
}

/* The element id for a CSS selector; NULL when absent (no failure). */
static char *find(const char *css)
{
  char path[256];
  session_path(path, sizeof path, "/element");
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "using", "css selector");
  cJSON_AddStringToObject(req, "value", css);
  char *body = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  char url[512];
  snprintf(url, sizeof url, "%s%s", WD, path);
  CURL *c = curl_easy_init();
  struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
  buf_t b = {0};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  long status = 0;
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  free(body);
  char *id = NULL;
  if (rc == CURLE_OK && status == 200) {
    cJSON *doc = cJSON_Parse(b.data);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "value"), ELEMENT_KEY);
    if (cJSON_IsString(v))
      id = strdup(v->valuestring);
    cJSON_Delete(doc);
  }
  free(b.data);
  return id;
}

static char *wait_for(const char *css, int seconds)
{
  for (int i = 0; i < seconds * 10; i++) {
    char *id = find(css);
    if (id)
      return id;
    struct timespec t = {0, 100 * 1000000L};
    nanosleep(&t, NULL);
  }
  fail_msg("no element %s after %d s", css, seconds);
  return NULL;
}

static void type_into(const char *css, const char *text)
{
  char *id = wait_for(css, 10), path[256], rest[160];
  snprintf(rest, sizeof rest, "/element/%s/value", id);
  session_path(path, sizeof path, rest);
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "text", text);
  char *body = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  wd_do("POST", path, body);
  free(body);
  free(id);
}

static void click(const char *css)
{
  char *id = wait_for(css, 10), path[256], rest[160];
  snprintf(rest, sizeof rest, "/element/%s/click", id);
  session_path(path, sizeof path, rest);
  wd_do("POST", path, "{}");
  free(id);
}

/* Runs a script in the page; returns the answer document (value in "value"). */
static cJSON *run_js(const char *script)
{
  char path[256];
  session_path(path, sizeof path, "/execute/sync");
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "script", script);
  cJSON_AddArrayToObject(req, "args");
  char *body = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  cJSON *doc;
  wd("POST", path, body, &doc);
  free(body);
  return doc;
}

static long long js_number(const char *script)
{
  cJSON *doc = run_js(script);
  const cJSON *v = cJSON_GetObjectItem(doc, "value");
  assert_true(cJSON_IsNumber(v));
  long long n = (long long)v->valuedouble;
  cJSON_Delete(doc);
  return n;
}

static char *js_string(const char *script)
{
  cJSON *doc = run_js(script);
  const cJSON *v = cJSON_GetObjectItem(doc, "value");
  assert_true(cJSON_IsString(v));
  char *s = strdup(v->valuestring);
  cJSON_Delete(doc);
  return s;
}

static void mkdirs(const char *path)
{
  char tmp[1024];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(tmp, 0755);
      *p = '/';
    }
  mkdir(tmp, 0755);
}

/* A full-page screenshot: the window is made as tall as the page first. */
static void screenshot(const char *name)
{
  char path[256], body[96];
  session_path(path, sizeof path, "/window/rect");
  long long window = 900;
  for (int i = 0; i < 3; i++) {   /* the viewport is a little smaller than the window */
    long long page = js_number("return Math.ceil(document.documentElement.scrollHeight);");
    long long view = js_number("return window.innerHeight;");
    if (view >= page || window >= 8000)
      break;
    window += page - view;
    snprintf(body, sizeof body, "{\"width\":1280,\"height\":%lld}", window);
    wd_do("POST", path, body);
  }
  session_path(path, sizeof path, "/screenshot");
  cJSON *doc;
  const cJSON *v = wd("GET", path, NULL, &doc);
  assert_true(cJSON_IsString(v));
  size_t b64 = strlen(v->valuestring), len = 0;
  unsigned char *png = malloc(b64);
  assert_int_equal(sodium_base642bin(png, b64, v->valuestring, b64, NULL, &len, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  cJSON_Delete(doc);
  assert_memory_equal(png, "\x89PNG", 4);
  /* The committed copy in the source tree is refreshed only on request, so a test run never
   * dirties the checkout: SYNC_UPDATE_SCREENSHOTS=1 ctest -R dashboard_browser. */
  const char *dirs[] = {SCREENSHOT_DIR, SCREENSHOT_COPY_DIR};
  int ndirs = getenv("SYNC_UPDATE_SCREENSHOTS") ? 2 : 1;
  for (int i = 0; i < ndirs; i++) {
    mkdirs(dirs[i]);
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", dirs[i], name);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(png, 1, len, f), len);
    fclose(f);
    printf("screenshot: %s (%zu bytes)\n", file, len);
  }
  free(png);
}

/* ---- set-up ------------------------------------------------------------------------------- */

static const char *first_executable(const char *const *candidates, const char *env)
{
  const char *e = getenv(env);   /* set: that one or none */
  if (e)
    return access(e, X_OK) == 0 ? e : NULL;
  for (size_t i = 0; candidates[i]; i++)
    if (access(candidates[i], X_OK) == 0)
      return candidates[i];
  return NULL;
}

static int free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0)
    close(fd);
  return port;
}

static int start_driver(void)
{
  int port = free_port();
  if (port <= 0)
    return -1;
  char port_arg[32], log_arg[1024];
  snprintf(port_arg, sizeof port_arg, "--port=%d", port);
  snprintf(log_arg, sizeof log_arg, "--log-path=%s/chromedriver.log", S.dir);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    execl(DRIVER, DRIVER, port_arg, log_arg, "--allowed-ips=127.0.0.1", (char *)NULL);
    _exit(127);
  }
  if (pid < 0)
    return -1;
  setpgid(pid, pid);
  DRIVER_PID = pid;
  snprintf(WD, sizeof WD, "http://127.0.0.1:%d", port);
  for (int i = 0; i < 200; i++) {   /* up to 20 s */
    CURL *c = curl_easy_init();
    char url[128];
    buf_t b = {0};
    snprintf(url, sizeof url, "%s/status", WD);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    int ready = rc == CURLE_OK && b.data && strstr(b.data, "\"ready\":true");
    free(b.data);
    if (ready)
      return 0;
    struct timespec t = {0, 100 * 1000000L};
    nanosleep(&t, NULL);
  }
  return -1;
}

static int start_browser(void)
{
  char profile[1024];
  snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium-profile", S.dir);
  cJSON *req = cJSON_CreateObject();
  cJSON *always = cJSON_AddObjectToObject(cJSON_AddObjectToObject(req, "capabilities"),
                                          "alwaysMatch");
  cJSON_AddStringToObject(always, "browserName", "chrome");
  cJSON *opts = cJSON_AddObjectToObject(always, "goog:chromeOptions");
  cJSON_AddStringToObject(opts, "binary", CHROMIUM);
  cJSON *args = cJSON_AddArrayToObject(opts, "args");
  const char *flags[] = {"--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--disable-extensions",
                         "--disable-default-apps", "--disable-crash-reporter",
                         "--disable-breakpad", "--hide-scrollbars", "--log-level=3",
                         "--force-device-scale-factor=1", "--window-size=1280,900",
                         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", profile};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
    cJSON_AddItemToArray(args, cJSON_CreateString(flags[i]));
  char *body = cJSON_PrintUnformatted(req);
  cJSON_Delete(req);
  cJSON *doc;
  const cJSON *v = wd("POST", "/session", body, &doc);
  free(body);
  const cJSON *id = cJSON_GetObjectItem(v, "sessionId");
  int rc = cJSON_IsString(id) ? 0 : -1;
  if (rc == 0)
    snprintf(SESSION, sizeof SESSION, "%s", id->valuestring);
  cJSON_Delete(doc);
  return rc;
}

static int add_named_device(const char *name, const char *unit, device_t *out)
{
  return add_device_in(&S, name, unit, NULL, out);
}

static int push_generated(const device_t *dev, int version, size_t n, unsigned long long seed,
                          char (*uuids)[40])
{
  tppo_gen_t *g = tppo_gen_new(seed, version);
  char **texts = calloc(n, sizeof *texts);
  int rc = g && texts ? 0 : -1;
  for (size_t i = 0; i < n && rc == 0; i++)
    if (!(texts[i] = tppo_gen_next(g, NULL, NULL)))
      rc = -1;
  if (rc == 0)
    rc = tppo_push(&S, dev, version, texts, n, uuids);
  for (size_t i = 0; texts && i < n; i++)
    free(texts[i]);
  free(texts);
  tppo_gen_free(g);
  return rc;
}

static int group_teardown(void **state);

static int setup(void)
{
  if (sodium_init() < 0)
    return -1;
  atexit(kill_all);
  signal(SIGINT, on_fatal);
  signal(SIGTERM, on_fatal);
  signal(SIGABRT, on_fatal);
  signal(SIGSEGV, on_fatal);

  device_t a, b, c, quiet;
  static char uuids[N_V1 + N_V2][40];
  if (tppo_prepare(&S) != 0 || tppo_publish(&S, TPPO_V2) != 0 ||
      add_named_device("Laptop PPA Ponorogo 02", "UPTD PPA Kabupaten Ponorogo", &a) != 0 ||
      add_named_device("Tablet Polres Kolaka", "Unit PPA Polres Kolaka", &b) != 0 ||
      add_named_device("Laptop Dinsos Kupang", "Dinas Sosial Kota Kupang", &c) != 0 ||
      add_named_device("Laptop BP3MI Nunukan", "BP3MI Kalimantan Utara", &quiet) != 0)
    return -1;
  if (server_start(&S, NULL) != 0)
    return -1;
  if (push_generated(&a, 1, N_V1 / 2, 101, uuids) != 0 ||
      push_generated(&b, 1, N_V1 / 2, 102, uuids + N_V1 / 2) != 0 ||
      push_generated(&c, 2, N_V2, 103, uuids + N_V1) != 0 ||
      push_generated(&quiet, 1, 6, 104, NULL) != 0)
    return -1;
  /* Central review on some records. */
  static const char *const statuses[] = {"in_review", "referred", "assisted", "closed"};
  for (int i = 0; i < 24; i++) {
    const char *st = statuses[i % 4];
    if (run_syncserver(NULL, "record", "set-status", "--db", S.db, uuids[i * 13], "--status", st,
                       "--by", "siti.rahma", NULL) != 0)
      return -1;
  }
  /* The Nunukan laptop has not connected for 23 days. Two pairs of records from different
   * districts share a duplicate-detection hash (as devices compute it for the same person). */
  sqlite3 *h;
  char sql[1024];
  snprintf(sql, sizeof sql, "UPDATE devices SET last_seen_at = (strftime('%%s','now') - 23 * 86400)"
           " * 1000 WHERE device_id = '%s'; UPDATE push_batches SET received_at ="
           " (strftime('%%s','now') - 23 * 86400) * 1000 WHERE device_id = '%s';"
           " UPDATE record_revisions SET dedup = '9f2c41d7' || substr('%064d', 1, 56)"
           " WHERE uuid IN ('%s', '%s');"
           " UPDATE record_revisions SET dedup = '3be80a65' || substr('%064d', 1, 56)"
           " WHERE uuid IN ('%s', '%s')", quiet.id, quiet.id, 7, uuids[3], uuids[N_V1 + 5], 9,
           uuids[N_V1 / 2 + 8], uuids[N_V1 + 11]);
  if (sqlite3_open(S.db, &h) != SQLITE_OK)
    return -1;
  sqlite3_busy_timeout(h, 10000);
  int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
  sqlite3_close(h);
  if (rc != SQLITE_OK)
    return -1;
  const char *args[] = {"user", "add", "--db", S.db, "--name", "siti.rahma", NULL};
  if (run_syncserver_argv(NULL, args, "Rahasia-Gugus-2026\n") != 0)
    return -1;
  if (start_driver() != 0) {
    fprintf(stderr, "chromedriver did not start (log: %s/chromedriver.log)\n", S.dir);
    return -1;
  }
  return start_browser();
}

static int group_setup(void **state)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (setup() == 0)
    return 0;
  group_teardown(state);   /* cmocka skips the teardown when the setup fails */
  return -1;
}

static int group_teardown(void **state)
{
  (void)state;
  if (SESSION[0] && DRIVER_PID > 0) {   /* close the browser politely; killed below anyway */
    char url[512];
    snprintf(url, sizeof url, "%s/session/%s", WD, SESSION);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    buf_t b = {0};
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    free(b.data);
    SESSION[0] = '\0';
  }
  kill_all();
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- the test ------------------------------------------------------------------------------ */

static long long sql_count(const char *sql)
{
  long long v = db_scalar(&S, sql);
  assert_true(v >= 0);
  return v;
}

#define ACTIVE "FROM records WHERE NOT deleted AND form_id = 'tppo_screening'"

static void check_totals(void)
{
  assert_int_equal(js_number("return +document.getElementById('total-records').dataset.count;"),
                   sql_count("SELECT count(*) " ACTIVE));
  assert_int_equal(js_number("return +document.getElementById('total-children').dataset.count;"),
                   sql_count("SELECT count(*) " ACTIVE " AND json_extract(payload, '$.is_child')"
                             " = 1"));
  assert_int_equal(js_number("return +document.getElementById('total-strong').dataset.count;"),
                   sql_count("SELECT count(*) " ACTIVE " AND coalesce(CASE WHEN"
                             " json_extract(payload, '$.officer_agrees') = 0 THEN"
                             " json_extract(payload, '$.officer_result') END,"
                             " json_extract(payload, '$.result_category')) = 'strong_indication'"));
  assert_int_equal(js_number("return +document.getElementById('silent-devices').dataset.count;"),
                   1);
  /* What a person reads is the same number. */
  char *shown = js_string("return document.getElementById('total-records').textContent;");
  char want[32];
  long long total = sql_count("SELECT count(*) " ACTIVE);
  snprintf(want, sizeof want, "%lld", total);
  assert_string_equal(shown, want);
  free(shown);
}

static void check_provinces(void)
{
  /* Every bar of the province chart against a GROUP BY of the database. */
  cJSON *doc = run_js("return Array.from(document.querySelectorAll('#chart-province g'))"
                      ".map(g => [g.dataset.key, +g.dataset.count]);");
  const cJSON *bars = cJSON_GetObjectItem(doc, "value"), *bar;
  assert_true(cJSON_GetArraySize(bars) >= 5);
  long long sum = 0;
  cJSON_ArrayForEach(bar, bars) {
    const char *key = cJSON_GetArrayItem(bar, 0)->valuestring;
    long long n = (long long)cJSON_GetArrayItem(bar, 1)->valuedouble;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) " ACTIVE " AND json_extract(payload,"
             " '$.province') = '%s'", key);
    assert_int_equal(n, sql_count(sql));
    sum += n;
  }
  assert_int_equal(sum, sql_count("SELECT count(*) " ACTIVE));
  cJSON_Delete(doc);
}

static void test_staff_sign_in_and_see_the_counts_of_the_database(void **state)
{
  (void)state;
  char url[256];
  snprintf(url, sizeof url, "%s/dashboard/", S.base);
  navigate(url);                                  /* -> the login page */
  type_into("#name", "siti.rahma");
  type_into("#password", "Rahasia-Gugus-2026");
  click("#login");
  free(wait_for("#total-records", 20));
  char *lang = js_string("return document.documentElement.lang;");
  assert_string_equal(lang, "id");
  free(lang);
  /* The session cookie is out of the page's reach (HttpOnly). */
  char *cookies = js_string("return document.cookie;");
  assert_string_equal(cookies, "");
  free(cookies);
  check_totals();
  check_provinces();
  /* The likely-duplicates section counts the groups the database holds. */
  char *dupes = js_string("return document.querySelector('#duplicates h2').textContent;");
  assert_string_equal(dupes, "Kemungkinan duplikat");
  free(dupes);
  assert_int_equal(js_number("return +document.getElementById('dupe-groups').textContent;"), 2);
  assert_int_equal(sql_count("SELECT count(*) FROM (SELECT dedup FROM records WHERE NOT deleted"
                             " AND dedup IS NOT NULL GROUP BY dedup HAVING count(*) >= 2)"), 2);
  assert_int_equal(js_number("return document.querySelectorAll('#dupes tbody tr').length;"), 4);
  screenshot("dashboard.png");

  click("#switch-lang");
  free(wait_for("html[lang=en] #total-records", 20));
  check_totals();
  char *title = js_string("return document.querySelector('h1').textContent;");
  assert_string_equal(title, "TPPO Task Force Dashboard");
  free(title);
  screenshot("dashboard.en.png");

  /* Filtered by one province, through the form. */
  char *prov = js_string("return document.querySelector('#chart-province g').dataset.key;");
  char page[256];
  snprintf(page, sizeof page, "%s/dashboard/?lang=en&province=%s", S.base, prov);
  navigate(page);
  free(wait_for("#total-records", 20));
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) " ACTIVE " AND json_extract(payload, '$.province')"
           " = '%s'", prov);
  assert_int_equal(js_number("return +document.getElementById('total-records').dataset.count;"),
                   sql_count(sql));
  free(prov);

  /* Signing out ends it: the page asks for the login again. */
  click("header button");
  free(wait_for("#login-message", 20));
  navigate(url);
  free(wait_for("#password", 20));
}

int main(void)
{
  CHROMIUM = first_executable(CHROMIUM_CANDIDATES, "CHROMIUM");
  DRIVER = first_executable(DRIVER_CANDIDATES, "CHROMEDRIVER");
  if (!CHROMIUM || !DRIVER) {
    printf("SKIP: the dashboard browser test needs Chromium and chromedriver (Debian packages"
           " chromium and chromium-driver; scripts/setup-deps.sh installs them)%s%s\n",
           CHROMIUM ? "" : " - chromium not found", DRIVER ? "" : " - chromedriver not found");
    return 77;
  }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_staff_sign_in_and_see_the_counts_of_the_database),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
