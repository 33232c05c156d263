/* The central server's files and front door (proto/SECURITY.md, "Server files and logs"): the
 * database, its journals and the log are private from creation, a database others can read is
 * refused, request values cannot forge log lines, the session cookie is Secure over HTTPS (and
 * behind a TLS proxy), and plain HTTP is served on loopback only unless explicitly allowed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server_fixture.h"
#include "test_support.h"

#define PASSWORD "Rahasia-Gugus-2026"

/* The permission bits of `path`, -1 when it does not exist. */
static int mode_of(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static int mode_with(const server_t *s, const char *suffix)
{
  char path[512];
  snprintf(path, sizeof path, "%s%s", s->db, suffix);
  return mode_of(path);
}

/* server_serve's refusal: the exit code, and the log (its stderr) in *err. */
static int serve_refused(server_t *s, const char *const *args, char **err)
{
  unlink(s->log);
  int rc = server_serve(s, args);
  *err = ts_read_file(s->log, NULL);
  if (!*err)
    *err = calloc(1, 1);
  return rc;
}

/* ---- files ------------------------------------------------------------------------------- */

static void test_database_files_are_private_from_creation(void **state)
{
  (void)state;
  mode_t old = umask(022); /* the usual umask: what would make SQLite's files 0644 */
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  char *log_file = ts_path(s.dir, "syncserver.log");
  const char *args[] = {"--listen", "127.0.0.1:0", "--log-file", log_file, NULL};
  assert_int_equal(server_serve(&s, args), 0);
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop PPA Ponorogo", NULL, &dev), 0);
  reply_t r;
  assert_int_equal(http_call(&s, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  /* While it runs: the database and both journals exist, readable by the server's account only. */
  assert_int_equal(mode_with(&s, ""), 0600);
  assert_int_equal(mode_with(&s, "-wal"), 0600);
  assert_int_equal(mode_with(&s, "-shm"), 0600);
  assert_int_equal(mode_of(log_file), 0600);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  char *text = ts_read_file(log_file, NULL);
  assert_non_null(text);
  assert_non_null(strstr(text, "event=started"));
  free(text);
  /* `serve` on a database that does not exist yet creates it private too. */
  char *fresh = ts_path(s.dir, "fresh.db");
  free(s.db);
  s.db = fresh;
  const char *plain[] = {"--listen", "127.0.0.1:0", NULL};
  assert_int_equal(server_serve(&s, plain), 0);
  assert_int_equal(mode_with(&s, ""), 0600);
  assert_int_equal(mode_with(&s, "-wal"), 0600);
  assert_int_equal(mode_with(&s, "-shm"), 0600);
  free(log_file);
  server_cleanup(&s);
  umask(old);
}

static void test_serve_refuses_a_world_readable_database(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  const char *args[] = {"--listen", "127.0.0.1:0", NULL};
  char *err;
  /* Readable by others: serve and the admin commands refuse, and say how to fix it. */
  assert_int_equal(chmod(s.db, 0644), 0);
  assert_int_equal(serve_refused(&s, args, &err), 1);
  assert_non_null(strstr(err, "chmod 600"));
  assert_non_null(strstr(err, "readable or writable by other users"));
  free(err);
  const char *stats[] = {"stats", "--db", s.db, NULL};
  assert_int_equal(run_syncserver_capture(NULL, &err, stats), 1);
  assert_non_null(strstr(err, "chmod 600"));
  free(err);
  /* Writable by the group is refused as well. */
  assert_int_equal(chmod(s.db, 0620), 0);
  assert_int_equal(serve_refused(&s, args, &err), 1);
  free(err);
  /* A journal left readable (say, by a copy) is refused like the database. */
  assert_int_equal(chmod(s.db, 0600), 0);
  char wal[512];
  snprintf(wal, sizeof wal, "%s-wal", s.db);
  int fd = open(wal, O_WRONLY | O_CREAT | O_EXCL, 0644);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(chmod(wal, 0644), 0);
  assert_int_equal(serve_refused(&s, args, &err), 1);
  assert_non_null(strstr(err, "-wal"));
  free(err);
  /* Fixed as the message says: it serves. */
  assert_int_equal(chmod(wal, 0600), 0);
  assert_int_equal(server_serve(&s, args), 0);
  assert_int_equal(run_syncserver_capture(NULL, NULL, stats), 0);
  /* A log file others can read is refused too. */
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  char *log_file = ts_path(s.dir, "open.log");
  fd = open(log_file, O_WRONLY | O_CREAT, 0600);
  close(fd);
  assert_int_equal(chmod(log_file, 0644), 0);
  const char *logged[] = {"--listen", "127.0.0.1:0", "--log-file", log_file, NULL};
  assert_int_equal(serve_refused(&s, logged, &err), 1);
  free(err);
  free(log_file);
  server_cleanup(&s);
}

/* ---- logs -------------------------------------------------------------------------------- */

/* 1 when some line of `text` starts with `prefix`. */
static int has_line_starting(const char *text, const char *prefix)
{
  for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
    if (strncmp(p, prefix, strlen(prefix)) == 0)
      return 1;
  return 0;
}

static void test_request_values_cannot_forge_log_lines(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  assert_int_equal(server_start(&s, NULL), 0);
  reply_t r;
  /* The path decodes to a newline and a whole fake line; a space adds a fake key. */
  const char *forged = "/v1/health%0Ats=2026-01-01T00:00:00.000Z%20level=info%20event=forged";
  assert_int_equal(http_call(&s, "GET", forged, NULL, NULL, NULL, 0, 0, &r), 0);
  reply_free(&r);
  assert_int_equal(http_call(&s, "GET", "/v1/pull%20status=200", NULL, NULL, NULL, 0, 0, &r), 0);
  reply_free(&r);
  /* A made-up device id in the credential, with a quote and a fake key. */
  device_t fake = {0};
  snprintf(fake.auth, sizeof fake.auth, "Device x\" reason=ok:secret");
  assert_int_equal(http_call(&s, "GET", "/v1/pull", &fake, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 401);
  reply_free(&r);
  /* The legitimate request for comparison. */
  assert_int_equal(http_call(&s, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(server_stop(&s, SIGTERM), 0);

  char *log = ts_read_file(s.log, NULL);
  assert_non_null(log);
  assert_false(has_line_starting(log, "ts=2026-01-01"));
  assert_non_null(strstr(log, "path=\"/v1/health?ts=2026-01-01T00:00:00.000Z level=info"
                              " event=forged\""));
  assert_null(strstr(log, "path=/v1/pull status=200"));
  assert_non_null(strstr(log, "path=\"/v1/pull status=200\""));
  assert_null(strstr(log, "device=x\" reason=ok"));
  assert_null(strstr(log, "reason=ok "));
  assert_non_null(strstr(log, "method=\"GET\" path=\"/v1/health\" status=200"));
  /* Every line is one event. */
  for (const char *p = log; *p; p = strchr(p, '\n') + 1) {
    assert_true(strncmp(p, "ts=", 3) == 0);
    assert_non_null(strchr(p, '\n'));
  }
  free(log);
  server_cleanup(&s);
}

/* ---- cookie and listen address ----------------------------------------------------------- */

typedef struct login {
  long status;
  char set_cookie[512];
} login_t;

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  login_t *l = ud;
  size_t len = size * n;
  if (len > 11 && strncasecmp(p, "Set-Cookie:", 11) == 0)
    snprintf(l->set_cookie, sizeof l->set_cookie, "%.*s", (int)(len - 11), p + 11);
  return len;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
  (void)p;
  (void)ud;
  return size * n;
}

/* Signs in as "siti.rahma" and returns the Set-Cookie line of the answer. */
static void staff_login(const server_t *s, login_t *l)
{
  memset(l, 0, sizeof *l);
  CURL *c = curl_easy_init();
  assert_non_null(c);
  char url[256];
  snprintf(url, sizeof url, "%s/dashboard/login", s->base);
  curl_easy_setopt(c, CURLOPT_URL, url);
  if (s->cainfo)
    curl_easy_setopt(c, CURLOPT_CAINFO, s->cainfo);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, "name=siti.rahma&password=" PASSWORD "&lang=id");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, l);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &l->status);
  curl_easy_cleanup(c);
}

static void test_session_cookie_is_secure_over_https(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  const char *user[] = {"user", "add", "--db", s.db, "--name", "siti.rahma", NULL};
  assert_int_equal(run_syncserver_argv(NULL, user, PASSWORD "\n"), 0);
  login_t l;

  /* Served over HTTPS (the default setup): Secure. */
  assert_int_equal(ts_make_test_ca(s.dir, NULL), 0);
  char *cert = ts_path(s.dir, "srv.pem"), *key = ts_path(s.dir, "srv.key");
  char *ca = ts_path(s.dir, "ca.pem");
  s.tls_cert = cert;
  s.tls_key = key;
  s.cainfo = ca;
  assert_int_equal(server_start(&s, NULL), 0);
  staff_login(&s, &l);
  assert_int_equal(l.status, 303);
  assert_non_null(strstr(l.set_cookie, "syncdash="));
  assert_non_null(strstr(l.set_cookie, "; Secure"));
  assert_int_equal(server_stop(&s, SIGTERM), 0);

  /* Plain HTTP on loopback behind a TLS proxy (browsers reach it by https): Secure. */
  s.tls_cert = s.tls_key = s.cainfo = NULL;
  const char *proxied[] = {"--listen", "127.0.0.1:0", "--behind-tls-proxy", NULL};
  assert_int_equal(server_serve(&s, proxied), 0);
  staff_login(&s, &l);
  assert_int_equal(l.status, 303);
  assert_non_null(strstr(l.set_cookie, "; Secure"));
  assert_int_equal(server_stop(&s, SIGTERM), 0);

  /* Plain HTTP on loopback for development, no proxy: a cookie the browser will send back. */
  assert_int_equal(server_start(&s, NULL), 0);
  staff_login(&s, &l);
  assert_int_equal(l.status, 303);
  assert_non_null(strstr(l.set_cookie, "syncdash="));
  assert_null(strstr(l.set_cookie, "Secure"));
  free(cert);
  free(key);
  free(ca);
  server_cleanup(&s);
}

static void test_plain_http_serve_needs_loopback_or_explicit_consent(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  char *err;
  /* Every address (and a non-loopback one) without TLS: refused, naming both ways out. */
  const char *open_v4[] = {"--listen", "0.0.0.0:0", NULL};
  assert_int_equal(serve_refused(&s, open_v4, &err), 1);
  assert_non_null(strstr(err, "plain HTTP only on a loopback address"));
  assert_non_null(strstr(err, "--tls-cert"));
  assert_non_null(strstr(err, "--allow-insecure-http"));
  free(err);
  const char *open_v6[] = {"--listen", "[::]:0", NULL};
  assert_int_equal(serve_refused(&s, open_v6, &err), 1);
  assert_non_null(strstr(err, "--allow-insecure-http"));
  free(err);
  /* With consent it listens, and answers (reached here through loopback). */
  const char *consent[] = {"--listen", "0.0.0.0:0", "--allow-insecure-http", NULL};
  assert_int_equal(server_serve(&s, consent), 0);
  const char *port = strrchr(s.base, ':');
  assert_non_null(port);
  char base[128];
  snprintf(base, sizeof base, "http://127.0.0.1%s", port);
  snprintf(s.base, sizeof s.base, "%s", base);
  reply_t r;
  assert_int_equal(http_call(&s, "GET", "/v1/health", NULL, NULL, NULL, 0, 0, &r), 0);
  assert_int_equal(r.status, 200);
  reply_free(&r);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  /* Loopback needs nothing. */
  const char *loop4[] = {"--listen", "127.0.0.1:0", NULL};
  assert_int_equal(server_serve(&s, loop4), 0);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  /* HTTPS on every address needs nothing either (the README's setup). */
  assert_int_equal(ts_make_test_ca(s.dir, NULL), 0);
  char *cert = ts_path(s.dir, "srv.pem"), *key = ts_path(s.dir, "srv.key");
  const char *tls[] = {"--listen", "0.0.0.0:0", "--tls-cert", cert, "--tls-key", key, NULL};
  assert_int_equal(server_serve(&s, tls), 0);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  free(cert);
  free(key);
  server_cleanup(&s);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_database_files_are_private_from_creation),
    cmocka_unit_test(test_serve_refuses_a_world_readable_database),
    cmocka_unit_test(test_request_values_cannot_forge_log_lines),
    cmocka_unit_test(test_session_cookie_is_secure_over_https),
    cmocka_unit_test(test_plain_http_serve_needs_loopback_or_explicit_consent),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
