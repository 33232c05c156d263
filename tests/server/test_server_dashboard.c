/* The dashboard over plain HTTP (libcurl): staff accounts (Argon2id), login, the session cookie,
 * the rate limit on failed logins, logout and expiry, the counts on the page against the
 * database, both languages, filters, escaping of field text, silent devices and credentials
 * about to end. The same page
 * in a real browser is test_server_dashboard_browser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "form_seal.h"
#include "server_fixture.h"
#include "test_support.h"
#include "tppo_fixture.h"

#define N_RECORDS 12
#define PASSWORD "Rahasia-Gugus-2026"
#define EVIL_REGENCY "<script>alert(1)</script>"
#define EVIL_DEVICE "Laptop <b>\"PPA\"</b> & co"
#define DUPE_HASH "5e1f0c2a9b8d7e6f5e1f0c2a9b8d7e6f5e1f0c2a9b8d7e6f5e1f0c2a9b8d7e6f"

static server_t S;
static device_t DEV, QUIET;
static char COOKIE[128];           /* "syncdash=<token>" of the signed-in user */
static char *PAYLOADS[N_RECORDS];

typedef struct page {
  long status;
  char *body;
  size_t len;
  char location[512];
  char set_cookie[512];
  char content_type[128];
  char csp[512];
  char retry_after[16];
} page_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  page_t *pg = ud;
  size_t add = size * n;
  char *nb = realloc(pg->body, pg->len + add + 1);
  if (!nb)
    return 0;
  memcpy(nb + pg->len, p, add);
  pg->body = nb;
  pg->len += add;
  pg->body[pg->len] = '\0';
  return add;
}

static void header(const char *line, size_t n, const char *name, char *dst, size_t dlen)
{
  size_t nl = strlen(name);
  if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return;
  const char *v = line + nl + 1;
  size_t vl = n - nl - 1;
  while (vl && *v == ' ')
    v++, vl--;
  while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
    vl--;
  snprintf(dst, dlen, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  page_t *pg = ud;
  size_t len = size * n;
  header(p, len, "Location", pg->location, sizeof pg->location);
  header(p, len, "Set-Cookie", pg->set_cookie, sizeof pg->set_cookie);
  header(p, len, "Content-Type", pg->content_type, sizeof pg->content_type);
  header(p, len, "Content-Security-Policy", pg->csp, sizeof pg->csp);
  header(p, len, "Retry-After", pg->retry_after, sizeof pg->retry_after);
  return len;
}

/* GET (form NULL) or POST of a form to server `srv`; cookie may be NULL. Never follows
 * redirects. */
static void request_to(const server_t *srv, const char *path, const char *cookie, const char *form,
                       const char *origin, const char *authorization, page_t *pg)
{
  memset(pg, 0, sizeof *pg);
  CURL *c = curl_easy_init();
  assert_non_null(c);
  char url[512], hdr[256], auth[256];
  snprintf(url, sizeof url, "%s%s", srv->base, path);
  struct curl_slist *hl = NULL;
  if (origin) {
    snprintf(hdr, sizeof hdr, "Origin: %s", origin);
    hl = curl_slist_append(hl, hdr);
  }
  if (authorization) {
    snprintf(auth, sizeof auth, "Authorization: %s", authorization);
    hl = curl_slist_append(hl, auth);
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  if (srv->cainfo)
    curl_easy_setopt(c, CURLOPT_CAINFO, srv->cainfo);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  if (cookie)
    curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
  if (form)
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, pg);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, pg);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  assert_int_equal(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &pg->status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  if (!pg->body)
    pg->body = calloc(1, 1);
}

/* request_to the server of most tests. */
static void request(const char *path, const char *cookie, const char *form, const char *origin,
                    const char *authorization, page_t *pg)
{
  request_to(&S, path, cookie, form, origin, authorization, pg);
}

static void page_free(page_t *pg)
{
  free(pg->body);
  memset(pg, 0, sizeof *pg);
}

/* The page's total for a card id (data-count), -1 if absent. */
static long long card(const page_t *pg, const char *id)
{
  char key[96];
  snprintf(key, sizeof key, "id=\"%s\" data-count=\"", id);
  const char *p = strstr(pg->body, key);
  return p ? atoll(p + strlen(key)) : -1;
}

static int user_add_to(const server_t *srv, const char *name, const char *password_line,
                       int force)
{
  const char *args[] = {"user", "add", "--db", srv->db, "--name", name,
                        force ? "--force" : NULL, NULL};
  return run_syncserver_argv(NULL, args, password_line);
}

static int user_add(const char *name, const char *password_line, int force)
{
  return user_add_to(&S, name, password_line, force);
}

static void login_to(const server_t *srv, const char *name, const char *password, page_t *pg)
{
  char *form = malloc(strlen(password) * 3 + 128);
  char *enc = curl_easy_escape(NULL, password, 0);
  sprintf(form, "name=%s&password=%s&lang=id", name, enc);
  curl_free(enc);
  request_to(srv, "/dashboard/login", NULL, form, NULL, NULL, pg);
  free(form);
}

static void login(const char *name, const char *password, page_t *pg)
{
  login_to(&S, name, password, pg);
}

static void sql_exec(const char *sql)
{
  sqlite3 *h;
  assert_int_equal(sqlite3_open_v2(S.db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  sqlite3_busy_timeout(h, 10000);
  char *err = NULL;
  if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
    fail_msg("%s: %s", sql, err);
  sqlite3_close(h);
}

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (sodium_init() < 0 || tppo_prepare(&S) != 0 || add_device(&S, EVIL_DEVICE, NULL, &DEV) != 0 ||
      add_device(&S, "Tablet Dinsos Kupang", NULL, &QUIET) != 0 || server_start(&S, NULL) != 0)
    return -1;
  tppo_gen_t *g = tppo_gen_new(21, 1);
  for (int i = 0; i < N_RECORDS; i++) {
    if (!(PAYLOADS[i] = tppo_gen_next(g, NULL, NULL)))
      return -1;
  }
  tppo_gen_free(g);
  if (tppo_push(&S, &DEV, 1, PAYLOADS, N_RECORDS, NULL) != 0)
    return -1;
  /* The push refuses a regency code that breaks its pattern (SECURITY.md "Exports and clear
   * values"), but a database may hold one stored before that rule: the last record's regency
   * code is markup, written straight into the database. */
  sql_exec("UPDATE record_revisions SET payload = json_set(payload, '$.regency_code', '"
           EVIL_REGENCY "') WHERE server_seq = (SELECT max(server_seq) FROM record_revisions)");
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  for (int i = 0; i < N_RECORDS; i++)
    free(PAYLOADS[i]);
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_user_add_hashes_the_password_with_argon2id(void **state)
{
  (void)state;
  assert_int_equal(user_add("siti.rahma", PASSWORD "\n", 0), 0);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM staff_users WHERE name = 'siti.rahma'"
                                 " AND pwhash LIKE '$argon2id$%'"), 1);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM staff_users WHERE pwhash LIKE '%"
                                 PASSWORD "%'"), 0);
  assert_int_equal(user_add("siti.rahma", "another-password\n", 0), 1);   /* exists */
  assert_int_equal(user_add("budi", "short\n", 0), 1);                    /* < 10 characters */
  assert_int_equal(user_add("Budi Santoso", "long-enough-password\n", 0), 2); /* not a login */
  assert_int_equal(user_add("budi", "", 0), 1);                           /* nothing on stdin */
  char *file = ts_path(S.dir, "pw.txt");
  FILE *f = fopen(file, "w");
  fputs("kata-sandi-budi-1\r\n", f);
  fclose(f);
  const char *args[] = {"user", "add", "--db", S.db, "--name", "budi", "--password-file", file,
                        NULL};
  assert_int_equal(run_syncserver_argv(NULL, args, NULL), 0);
  free(file);
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "user", "list", "--db", S.db, "--json", NULL), 0);
  cJSON *arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), 2);
  cJSON_Delete(arr);
  page_t pg;
  login("budi", "kata-sandi-budi-1", &pg);   /* the file's line end is not part of it */
  assert_int_equal(pg.status, 303);
  page_free(&pg);
}

static void test_the_page_needs_a_staff_login(void **state)
{
  (void)state;
  page_t pg;
  request("/dashboard", NULL, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  assert_string_equal(pg.location, "/dashboard/");
  page_free(&pg);
  request("/dashboard/?lang=en", NULL, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  assert_string_equal(pg.location, "/dashboard/login?lang=en");
  page_free(&pg);
  /* A device credential is no staff login. */
  request("/dashboard/", NULL, NULL, NULL, DEV.auth, &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  request("/dashboard/", "syncdash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL, NULL,
          &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  request("/dashboard/login", NULL, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  assert_string_equal(pg.content_type, "text/html; charset=utf-8");
  assert_non_null(strstr(pg.csp, "default-src 'none'"));
  assert_non_null(strstr(pg.body, "name=\"password\""));
  assert_null(strstr(pg.body, "<script"));
  page_free(&pg);
  request("/dashboard/nothing-here", NULL, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 404);
  page_free(&pg);
}

static void test_login_sets_a_strict_http_only_session_cookie(void **state)
{
  (void)state;
  page_t pg;
  login("siti.rahma", PASSWORD, &pg);
  assert_int_equal(pg.status, 303);
  assert_string_equal(pg.location, "/dashboard/?lang=id");
  assert_non_null(strstr(pg.set_cookie, "; HttpOnly"));
  assert_non_null(strstr(pg.set_cookie, "; SameSite=Strict"));
  assert_non_null(strstr(pg.set_cookie, "; Path=/dashboard"));
  assert_non_null(strstr(pg.set_cookie, "; Max-Age=28800"));
  assert_null(strstr(pg.set_cookie, "Secure"));   /* plain HTTP here; set with --tls-cert */
  char token[64];
  assert_int_equal(sscanf(pg.set_cookie, "syncdash=%63[^;]", token), 1);
  assert_int_equal(strlen(token), 43);   /* 32 random bytes, base64url */
  snprintf(COOKIE, sizeof COOKIE, "syncdash=%s", token);
  page_free(&pg);
  /* Only the token's SHA-256 is stored. */
  unsigned char h[32];
  char hex[65], sql[256];
  crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM staff_sessions WHERE lower(hex(token_sha256))"
           " = '%s' AND name = 'siti.rahma' AND expires_at > created_at", hex);
  assert_int_equal(db_scalar(&S, sql), 1);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM staff_sessions WHERE instr(token_sha256, '%s')",
           token);
  assert_int_equal(db_scalar(&S, sql), 0);
  /* Signed in: the login page sends you on. */
  request("/dashboard/login", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
}

static void test_the_page_counts_what_the_database_holds(void **state)
{
  (void)state;
  page_t pg;
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  assert_non_null(strstr(pg.body, "<html lang=\"id\">"));
  assert_non_null(strstr(pg.body, "Skrining"));
  assert_null(strstr(pg.body, "<script"));
  assert_int_equal(card(&pg, "total-records"), N_RECORDS);
  assert_int_equal(card(&pg, "total-records"), db_scalar(&S, "SELECT count(*) FROM records"
                                                              " WHERE NOT deleted"));
  assert_int_equal(card(&pg, "total-children"),
                   db_scalar(&S, "SELECT count(*) FROM records WHERE json_extract(payload,"
                                 " '$.is_child') = 1"));
  assert_int_equal(card(&pg, "total-strong"),
                   db_scalar(&S, "SELECT count(*) FROM records WHERE coalesce(CASE WHEN"
                                 " json_extract(payload, '$.officer_agrees') = 0 THEN"
                                 " json_extract(payload, '$.officer_result') END,"
                                 " json_extract(payload, '$.result_category'))"
                                 " = 'strong_indication'"));
  /* Every province bar carries its count. */
  long long sum = 0;
  for (const char *p = strstr(pg.body, "id=\"chart-province\""); p && (p = strstr(p, "data-count=\""));
       p++) {
    if (strstr(pg.body, "id=\"chart-month\"") < p)
      break;
    sum += atoll(p + 12);
  }
  assert_int_equal(sum, N_RECORDS);
  /* Text from the field is escaped, never markup. */
  assert_null(strstr(pg.body, EVIL_REGENCY));
  assert_non_null(strstr(pg.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert_null(strstr(pg.body, "<b>\"PPA\"</b>"));
  assert_non_null(strstr(pg.body, "Laptop &lt;b&gt;&quot;PPA&quot;&lt;/b&gt; &amp; co"));
  /* Charts are inline SVG; nothing is loaded from elsewhere. */
  assert_non_null(strstr(pg.body, "<svg id=\"chart-result\""));
  assert_null(strstr(pg.body, "http://"));
  assert_null(strstr(pg.body, "https://"));
  assert_non_null(strstr(pg.body, ">English</a>"));
  page_free(&pg);
}

/* Likely duplicates: the count of groups and a table of uuid prefixes, units and dates, no
 * names; Indonesian first. */
static void test_likely_duplicates_are_listed_without_names(void **state)
{
  (void)state;
  page_t pg;
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  assert_non_null(strstr(pg.body, "<h2>Kemungkinan duplikat</h2>"));
  assert_non_null(strstr(pg.body, "id=\"dupe-groups\">0<"));
  assert_null(strstr(pg.body, "id=\"dupes\""));
  page_free(&pg);
  /* two records whose devices computed the same hash of the identifying answers */
  sql_exec("UPDATE record_revisions SET dedup = '" DUPE_HASH "' WHERE server_seq IN"
           " (SELECT server_seq FROM record_keys WHERE is_head = 1 ORDER BY server_seq LIMIT 2)");
  request("/dashboard/?lang=en", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  assert_non_null(strstr(pg.body, "<h2>Likely duplicates</h2>"));
  assert_non_null(strstr(pg.body, "id=\"dupe-groups\">1<"));
  const char *table = strstr(pg.body, "id=\"dupes\"");
  assert_non_null(table);
  const char *end = strstr(table, "</table>");
  size_t rows = 0;
  for (const char *p = table; (p = strstr(p, "<tr")) && p < end; p++)
    rows++;
  assert_int_equal(rows, 3);   /* header and two records */
  char head[9];
  snprintf(head, sizeof head, "%.8s", DUPE_HASH);
  assert_non_null(strstr(table, head));
  page_free(&pg);
  sql_exec("UPDATE record_revisions SET dedup = NULL");
}

static void test_english_page_and_language_switch(void **state)
{
  (void)state;
  page_t pg;
  request("/dashboard/?lang=en&province=35", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  assert_non_null(strstr(pg.body, "<html lang=\"en\">"));
  assert_non_null(strstr(pg.body, "Screenings"));
  assert_non_null(strstr(pg.body, "Strong indication"));
  /* The switch keeps the filter. */
  assert_non_null(strstr(pg.body, "href=\"/dashboard/?lang=id&amp;province=35\""));
  assert_non_null(strstr(pg.body, ">Bahasa Indonesia<"));
  page_free(&pg);
}

static void test_filters_by_province_and_period(void **state)
{
  (void)state;
  const char *prov = NULL;
  cJSON *first = cJSON_Parse(PAYLOADS[0]);
  prov = cJSON_GetObjectItem(first, "province")->valuestring;
  char path[128], sql[256];
  snprintf(path, sizeof path, "/dashboard/?province=%s", prov);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE json_extract(payload,"
           " '$.province') = '%s'", prov);
  page_t pg;
  request(path, COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(card(&pg, "total-records"), db_scalar(&S, sql));
  page_free(&pg);
  cJSON_Delete(first);
  request("/dashboard/?from=2026-01-01&to=2026-06-30", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(card(&pg, "total-records"),
                   db_scalar(&S, "SELECT count(*) FROM records WHERE json_extract(payload,"
                                 " '$.interview_date') BETWEEN '2026-01-01' AND '2026-06-30'"));
  assert_non_null(strstr(pg.body, "value=\"2026-01-01\""));
  page_free(&pg);
  /* A bad filter is said so and left out; the page still answers. */
  request("/dashboard/?from=%3Cx%3E&province=Jawa", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  assert_int_equal(card(&pg, "total-records"), N_RECORDS);
  assert_non_null(strstr(pg.body, "class=\"msg err\""));
  assert_null(strstr(pg.body, "<x>"));
  page_free(&pg);
}

static void test_silent_devices_are_highlighted(void **state)
{
  (void)state;
  char sql[256];
  snprintf(sql, sizeof sql, "UPDATE devices SET last_seen_at = (strftime('%%s', 'now') - 30 *"
           " 86400) * 1000 WHERE device_id = '%s'", QUIET.id);
  sql_exec(sql);
  page_t pg;
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(card(&pg, "silent-devices"), 1);
  char row[128];
  snprintf(row, sizeof row, "<tr class=\"silent\" data-device=\"%s\">", QUIET.id);
  assert_non_null(strstr(pg.body, row));
  assert_non_null(strstr(pg.body, "tidak sinkron 30 hari"));
  snprintf(row, sizeof row, "<tr data-device=\"%s\">", DEV.id);   /* pushed just now */
  assert_non_null(strstr(pg.body, row));
  page_free(&pg);
}

/* The row of `device_id` on the page (up to its end), or NULL. Caller frees. */
static char *device_row(const page_t *pg, const char *device_id)
{
  char key[128];
  snprintf(key, sizeof key, "data-device=\"%s\">", device_id);
  const char *start = strstr(pg->body, key);
  const char *end = start ? strstr(start, "</tr>") : NULL;
  return end ? strndup(start, (size_t)(end - start)) : NULL;
}

/* A credential that ends within 30 days is named with its days left (central staff must give
 * the device a new code); one that has ended says so. */
static void test_devices_whose_credential_ends_are_named(void **state)
{
  (void)state;
  char sql[256];
  /* ten days less a minute: "10 days" (rounded up) */
  snprintf(sql, sizeof sql, "UPDATE devices SET credential_expires_at = strftime('%%s', 'now') *"
           " 1000 + 10 * 86400000 - 60000 WHERE device_id = '%s'", DEV.id);
  sql_exec(sql);
  snprintf(sql, sizeof sql, "UPDATE devices SET credential_expires_at = (strftime('%%s', 'now') -"
           " 86400) * 1000 WHERE device_id = '%s'", QUIET.id);
  sql_exec(sql);
  page_t pg;
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  char *dev = device_row(&pg, DEV.id), *quiet = device_row(&pg, QUIET.id);
  assert_non_null(dev);
  assert_non_null(quiet);
  assert_non_null(strstr(dev, "kredensial habis dalam 10 hari"));
  assert_non_null(strstr(quiet, "kredensial kedaluwarsa"));
  assert_null(strstr(quiet, "habis dalam"));
  free(dev);
  free(quiet);
  page_free(&pg);
  request("/dashboard/?lang=en", COOKIE, NULL, NULL, NULL, &pg);
  dev = device_row(&pg, DEV.id);
  assert_non_null(dev);
  assert_non_null(strstr(dev, "credential ends in 10 days"));
  free(dev);
  page_free(&pg);
  /* a year away: nothing to say */
  snprintf(sql, sizeof sql, "UPDATE devices SET credential_expires_at = strftime('%%s', 'now') *"
           " 1000 + 365 * 86400000 WHERE device_id IN ('%s', '%s')", DEV.id, QUIET.id);
  sql_exec(sql);
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  assert_null(strstr(pg.body, "kredensial habis dalam"));
  assert_null(strstr(pg.body, "kredensial kedaluwarsa"));
  page_free(&pg);
}

static void test_failed_logins_are_rate_limited_and_logged(void **state)
{
  (void)state;
  assert_int_equal(user_add("dewi", "kata-sandi-dewi-1\n", 0), 0);
  page_t pg;
  for (int i = 0; i < 3; i++) {
    login("dewi", "salah-kata-sandi", &pg);
    assert_int_equal(pg.status, 401);
    assert_string_equal(pg.set_cookie, "");
    assert_non_null(strstr(pg.body, "kata sandi salah"));
    page_free(&pg);
  }
  /* The fourth try from this network waits (SECURITY.md 2.4: a delay, not a lockout), even with
   * the right password, and the page says for how long. */
  login("dewi", "kata-sandi-dewi-1", &pg);
  assert_int_equal(pg.status, 429);
  assert_string_equal(pg.set_cookie, "");
  assert_true(atoi(pg.retry_after) >= 4 && atoi(pg.retry_after) <= 5);
  assert_non_null(strstr(pg.body, "Coba lagi dalam"));
  assert_non_null(strstr(pg.body, "Try again in"));
  page_free(&pg);
  /* Other users are not slowed by it. */
  login("budi", "kata-sandi-budi-1", &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  /* An unknown user fails like a wrong password. */
  login("nobody", "whatever-password", &pg);
  assert_int_equal(pg.status, 401);
  page_free(&pg);
  /* the refusal is no attempt: only the three failures are in the login log */
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM staff_logins WHERE name = 'dewi' AND ok = 0"),
                   3);
  assert_int_equal(db_scalar(&S, "SELECT count FROM security_events WHERE kind = 'login_limited'"
                                 " AND device_id = 'dewi'"), 1);
  char *log = ts_read_file(S.log, NULL);
  assert_non_null(log);
  int failed = 0;
  for (const char *p = log; (p = strstr(p, "event=staff_login_failed name=\"dewi\"")); p++)
    failed++;
  assert_int_equal(failed, 3);
  assert_non_null(strstr(log, "event=staff_login_limited name=\"dewi\""));
  assert_non_null(strstr(log, "event=staff_login_failed name=\"nobody\" peer=\"127.0.0.1\""
                              " reason=\"unknown user\""));
  assert_null(strstr(log, "salah-kata-sandi"));   /* passwords never reach the log */
  free(log);
  /* Once the wait is over, dewi signs in. */
  sql_exec("UPDATE staff_logins SET at = at - 6 * 1000 WHERE name = 'dewi'");
  login("dewi", "kata-sandi-dewi-1", &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
}

static void test_cross_site_posts_are_refused(void **state)
{
  (void)state;
  page_t pg;
  request("/dashboard/login", NULL, "name=siti.rahma&password=" PASSWORD, "http://evil.example",
          NULL, &pg);
  assert_int_equal(pg.status, 403);
  assert_string_equal(pg.set_cookie, "");
  page_free(&pg);
  request("/dashboard/login", NULL, "name=siti.rahma&password=" PASSWORD, "null", NULL, &pg);
  assert_int_equal(pg.status, 403);   /* an opaque origin (sandboxed frame, data: page) */
  page_free(&pg);
  request("/dashboard/", COOKIE, "x=1", NULL, NULL, &pg);   /* only login/logout take POST */
  assert_int_equal(pg.status, 404);
  page_free(&pg);
}

static void test_logout_and_expiry_end_sessions(void **state)
{
  (void)state;
  page_t pg;
  char second[128];
  login("siti.rahma", PASSWORD, &pg);
  assert_int_equal(sscanf(pg.set_cookie, "%127[^;]", second), 1);
  page_free(&pg);

  request("/dashboard/logout", COOKIE, "lang=en", NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  assert_string_equal(pg.location, "/dashboard/login?lang=en&msg=out");
  assert_non_null(strstr(pg.set_cookie, "syncdash=; Path=/dashboard; Max-Age=0"));
  page_free(&pg);
  request("/dashboard/", COOKIE, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  request("/dashboard/login?lang=en&msg=out", NULL, NULL, NULL, NULL, &pg);
  assert_non_null(strstr(pg.body, "You are signed out."));
  page_free(&pg);

  /* The other session lives until it expires... */
  request("/dashboard/", second, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 200);
  page_free(&pg);
  sql_exec("UPDATE staff_sessions SET expires_at = 1 WHERE name = 'siti.rahma'");
  request("/dashboard/", second, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  /* ...and removing a user ends theirs at once. */
  login("budi", "kata-sandi-budi-1", &pg);
  char budi[128];
  assert_int_equal(sscanf(pg.set_cookie, "%127[^;]", budi), 1);
  page_free(&pg);
  assert_int_equal(run_syncserver(NULL, "user", "remove", "--db", S.db, "budi", NULL), 0);
  request("/dashboard/", budi, NULL, NULL, NULL, &pg);
  assert_int_equal(pg.status, 303);
  page_free(&pg);
  assert_int_equal(run_syncserver(NULL, "user", "remove", "--db", S.db, "budi", NULL), 1);
}

/* ---- a sealed deployment ----------------------------------------------------------------------- */

/* The definition the server published (a device receives this text), parsed as a device does. */

/* The central server exactly as README.md sets it up (the reference form sealed with the
 * README's --clear-fields, HTTPS, an enrolled device): `form publish` completes the clear part
 * with consent and the fields kept without consent and says so; sealed records arrive; the
 * referral and case-status counts follow what central staff set (issue 10, items 4 and 9). */
static void test_a_sealed_deployment_counts_referrals_from_the_central_status(void **state)
{
  (void)state;
  server_t z;
  memset(&z, 0, sizeof z);
  assert_non_null(z.dir = ts_tempdir());
  z.db = ts_path(z.dir, "central.db");
  z.log = ts_path(z.dir, "server.log");
  char *key = ts_path(z.dir, "central.key"), *pub = ts_path(z.dir, "central.key.pub");
  char form_file[1024];
  snprintf(form_file, sizeof form_file, "%s/%s", SYNC_SOURCE_DIR, TPPO_V1);
  assert_int_equal(run_syncserver(NULL, "init", "--db", z.db, NULL), 0);
  assert_int_equal(run_syncserver(NULL, "keygen", "--out", key, NULL), 0);
  /* A definition that carries its own split is not completed: refused, naming what is missing. */
  char *def = ts_read_file(form_file, NULL), *key64 = ts_read_file(pub, NULL);
  cJSON *doc = cJSON_Parse(def);
  cJSON *enc = cJSON_AddObjectToObject(doc, "encryption");
  key64[strcspn(key64, "\n")] = '\0';
  cJSON_AddStringToObject(enc, "public_key", key64);
  cJSON_AddItemToObject(enc, "clear_fields", cJSON_CreateStringArray(
                          (const char *[]){"interview_date", "province", "regency_code"}, 3));
  char *bad = ts_path(z.dir, "own_split.json"), *text = cJSON_Print(doc);
  FILE *fp = fopen(bad, "w");
  fputs(text, fp);
  fclose(fp);
  const char *own[] = {"form", "publish", "--db", z.db, bad, NULL};
  char *err = NULL;
  assert_int_equal(run_syncserver_capture(NULL, &err, own), 1);
  assert_non_null(strstr(err, "missing: unit_type, unit_type_other, unit_name, interpreter_used,"
                              " interpreter_language, safe_to_talk, consent"));
  free(err);
  free(text);
  free(bad);
  free(def);
  free(key64);
  cJSON_Delete(doc);

  const char *publish[] = {"form", "publish", "--db", z.db, form_file, "--seal-to", pub,
                           "--clear-fields",
                           "interview_date,province,regency_code,result_category,is_child",
                           "--dedup-fields", "full_name,dob,sex", NULL};
  assert_int_equal(run_syncserver_capture(NULL, &err, publish), 0);
  assert_non_null(strstr(err, "--clear-fields: added unit_type, unit_type_other, unit_name,"
                              " interpreter_used, interpreter_language, safe_to_talk, consent ("));
  free(err);
  form_t *form = published_form_of(&z, "tppo_screening", 1);
  if (!form)
    fail_msg("a device refuses the published form");
  assert_true(form_is_encrypted(form));
  assert_true(form_field_is_clear(form, "consent"));
  assert_true(form_field_is_clear(form, "case_status"));
  assert_false(form_field_is_clear(form, "referral_to"));

  assert_int_equal(ts_make_test_ca(z.dir, NULL), 0);
  char *cert = ts_path(z.dir, "srv.pem"), *tkey = ts_path(z.dir, "srv.key");
  char *ca = ts_path(z.dir, "ca.pem");
  z.tls_cert = cert;
  z.tls_key = tkey;
  z.cainfo = ca;
  assert_int_equal(server_start(&z, NULL), 0);
  assert_true(strncmp(z.base, "https://", 8) == 0);
  device_t dev;
  assert_int_equal(add_device(&z, "Laptop PPA Ponorogo", NULL, &dev), 0);

  /* Four interviews that each name a referral: the officer's referral_to is sealed. */
  enum { N = 4 };
  char *payloads[N], uuids[N][40];
  tppo_gen_t *g = tppo_gen_new(77, 1);
  for (int i = 0; i < N; i++) {
    assert_non_null(payloads[i] = tppo_gen_next(g, NULL, NULL));
  }
  tppo_gen_free(g);
  assert_int_equal(tppo_push_sealed(&z, &dev, form, payloads, N, uuids), 0);
  assert_int_equal(db_scalar(&z, "SELECT count(*) FROM records WHERE sealed IS NOT NULL"
                                 " AND json_extract(payload, '$.referral_to') IS NULL"), N);

  assert_int_equal(user_add_to(&z, "siti.rahma", PASSWORD "\n", 0), 0);
  page_t pg;
  login_to(&z, "siti.rahma", PASSWORD, &pg);
  assert_int_equal(pg.status, 303);
  char cookie[128];
  assert_int_equal(sscanf(pg.set_cookie, "%127[^;]", cookie), 1);
  page_free(&pg);
  request_to(&z, "/dashboard/", cookie, NULL, NULL, NULL, &pg);
  assert_int_equal(card(&pg, "total-records"), N);
  assert_int_equal(card(&pg, "total-referred"), 0);
  page_free(&pg);

  /* Central staff refer one case and record another's outcome. */
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", z.db, uuids[0],
                                  "--status", "referred", "--by", "siti.rahma", NULL), 0);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", z.db, uuids[1],
                                  "--status", "assisted", "--referral", "in_shelter_rptc", "--by",
                                  "siti.rahma", NULL), 0);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", z.db, uuids[2],
                                  "--status", "in_review", "--by", "siti.rahma", NULL), 0);
  request_to(&z, "/dashboard/", cookie, NULL, NULL, NULL, &pg);
  assert_int_equal(card(&pg, "total-referred"), 2);
  assert_non_null(strstr(pg.body, "data-key=\"referred\" data-count=\"1\""));
  assert_non_null(strstr(pg.body, "data-key=\"assisted\" data-count=\"1\""));
  assert_non_null(strstr(pg.body, "data-key=\"in_review\" data-count=\"1\""));
  assert_non_null(strstr(pg.body, "data-key=\"new\" data-count=\"1\""));
  assert_non_null(strstr(pg.body, "data-key=\"in_shelter_rptc\" data-count=\"1\""));
  page_free(&pg);

  for (int i = 0; i < N; i++)
    free(payloads[i]);
  form_free(form);
  assert_int_equal(server_stop(&z, SIGTERM), 0);
  server_cleanup(&z);
  free(key);
  free(pub);
  free(cert);
  free(tkey);
  free(ca);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_user_add_hashes_the_password_with_argon2id),
    cmocka_unit_test(test_the_page_needs_a_staff_login),
    cmocka_unit_test(test_login_sets_a_strict_http_only_session_cookie),
    cmocka_unit_test(test_the_page_counts_what_the_database_holds),
    cmocka_unit_test(test_likely_duplicates_are_listed_without_names),
    cmocka_unit_test(test_english_page_and_language_switch),
    cmocka_unit_test(test_filters_by_province_and_period),
    cmocka_unit_test(test_silent_devices_are_highlighted),
    cmocka_unit_test(test_devices_whose_credential_ends_are_named),
    cmocka_unit_test(test_failed_logins_are_rate_limited_and_logged),
    cmocka_unit_test(test_cross_site_posts_are_refused),
    cmocka_unit_test(test_logout_and_expiry_end_sessions),
    cmocka_unit_test(test_a_sealed_deployment_counts_referrals_from_the_central_status),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
