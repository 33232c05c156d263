/* /dashboard: central staff's read-only web page (README.md "Dashboard"). Staff sign in with
 * their own login (staff.h), get a session cookie (HttpOnly, SameSite=Strict, Secure over TLS)
 * and see counts over the records (dash_stats.c) rendered by dash_page.c.
 *
 *   GET  /dashboard            -> 303 /dashboard/
 *   GET  /dashboard/           the page (303 to the login page without a live session)
 *   GET  /dashboard/login      the login form
 *   POST /dashboard/login      name, password, lang -> 303 /dashboard/ with the cookie, or 401 /
 *                              429 (login limit, staff.h: a delay, never a lockout) with the
 *                              form again
 *   POST /dashboard/logout     ends the session -> 303 /dashboard/login
 * Query parameters of the page: lang=id|en, from, to (interview dates), province (code).
 */
#include "srv_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dash_page.h"
#include "dash_text.h"
#include "log.h"
#include "netaddr.h"
#include "staff.h"

#define FORM_BODY_MAX 16384
#define COOKIE_NAME "syncdash"

/* ---- request helpers ---------------------------------------------------------------------- */

static const char *query_arg(const srv_request_t *req, const char *name)
{
  for (size_t i = 0; i < req->n_query; i++)
    if (req->query[i].name && strcmp(req->query[i].name, name) == 0)
      return req->query[i].value ? req->query[i].value : "";
  return NULL;
}

static const char *lang_of(const char *v)
{
  return v && strcmp(v, "en") == 0 ? "en" : "id";
}

/* The peer's address without the port ("127.0.0.1", "::1"). */
static void peer_host(const srv_request_t *req, char *out, size_t len)
{
  const char *p = req->peer ? req->peer : "-";
  size_t n = strlen(p);
  if (p[0] == '[') {
    const char *end = strchr(p, ']');
    n = end ? (size_t)(end - p - 1) : n - 1;
    p++;
  } else {
    const char *colon = strrchr(p, ':');
    if (colon)
      n = (size_t)(colon - p);
  }
  snprintf(out, len, "%.*s", (int)n, p);
}

/* The value of cookie `name` in a Cookie header, copied into out ("" when absent). */
static void cookie_value(const char *header, const char *name, char *out, size_t len)
{
  out[0] = '\0';
  size_t nl = strlen(name);
  for (const char *p = header; p && *p;) {
    while (*p == ' ' || *p == ';')
      p++;
    const char *end = strchr(p, ';');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
      snprintf(out, len, "%.*s", (int)(n - nl - 1), p + nl + 1);
      return;
    }
    p = end;
  }
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The decoded value of `key` in an application/x-www-form-urlencoded body; -1 when absent or
 * longer than len - 1. */
static int form_field(const char *body, size_t blen, const char *key, char *out, size_t len)
{
  size_t kl = strlen(key), i = 0;
  while (i < blen) {
    size_t end = i;
    while (end < blen && body[end] != '&')
      end++;
    if (end - i > kl && strncmp(body + i, key, kl) == 0 && body[i + kl] == '=') {
      size_t o = 0;
      for (size_t j = i + kl + 1; j < end; j++) {
        char c = body[j];
        if (c == '+') {
          c = ' ';
        } else if (c == '%' && j + 2 < end && hexval(body[j + 1]) >= 0 &&
                   hexval(body[j + 2]) >= 0) {
          c = (char)(hexval(body[j + 1]) * 16 + hexval(body[j + 2]));
          j += 2;
        }
        if (o + 1 >= len)
          return -1;
        out[o++] = c;
      }
      out[o] = '\0';
      if (strlen(out) != o)   /* an encoded NUL */
        return -1;
      return 0;
    }
    i = end + 1;
  }
  return -1;
}

/* ---- responses ---------------------------------------------------------------------------- */

static void resp_page(srv_response_t *r, int status, sbuf_t *b)
{
  size_t len = 0;
  char *body = sbuf_take(b, &len);
  free(r->body);
  if (!body) {
    r->status = 500;
    r->body = NULL;
    r->body_len = 0;
    return;
  }
  r->status = status;
  r->body = body;
  r->body_len = len;
  r->content_type = "text/html; charset=utf-8";
  r->html = 1;
}

static void resp_redirect(srv_response_t *r, const char *location)
{
  free(r->body);
  r->body = NULL;
  r->body_len = 0;
  r->status = 303;
  r->content_type = "text/plain; charset=utf-8";
  r->html = 1;
  snprintf(r->location, sizeof r->location, "%s", location);
}

static void resp_simple(srv_response_t *r, int status, const char *lang, const char *text)
{
  sbuf_t b;
  sbuf_init(&b);
  sbuf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><title>%d"
                  "</title></head><body><p>", lang, status);
  sbuf_html(&b, text);
  sbuf_printf(&b, "</p><p><a href=\"/dashboard/?lang=%s\">%s</a></p></body></html>\n", lang,
              dash_t(lang, T_TITLE));
  resp_page(r, status, &b);
}

static void login_form(srv_response_t *r, int status, const char *lang, const char *msg,
                       int error, const char *name)
{
  sbuf_t b;
  sbuf_init(&b);
  dash_login_page(&b, lang, msg, error, name);
  resp_page(r, status, &b);
}

/* ---- sessions ----------------------------------------------------------------------------- */

/* The signed-in user of the request, or 0. */
static int session_user(srv_t *s, const srv_request_t *req, char user[DB_STAFF_NAME_MAX + 1],
                        unsigned char hash[32])
{
  char token[STAFF_TOKEN_TEXT + 8];
  cookie_value(srv_header(req, "Cookie"), COOKIE_NAME, token, sizeof token);
  if (!token[0] || staff_token_hash(token, hash) != 0)
    return 0;
  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c)
    return 0;
  sync_err_t e = db_session_get(c, hash, db_now_ms(), user);
  db_pool_release(s->pool, c);
  return e == SYNC_OK;
}

/* ---- pages -------------------------------------------------------------------------------- */

typedef struct devices {
  db_device_activity_t *a;
  size_t n, cap;
} devices_t;

static int collect_device(void *ctx, const db_device_activity_t *a)
{
  devices_t *d = ctx;
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 32;
    db_device_activity_t *n = realloc(d->a, cap * sizeof *n);
    if (!n)
      return 1;
    d->a = n;
    d->cap = cap;
  }
  d->a[d->n++] = *a;
  return 0;
}

typedef struct dupes {
  db_dupe_t *rows;
  size_t n;
} dupes_t;

static int collect_dupe(void *ctx, const db_dupe_t *d)
{
  dupes_t *l = ctx;
  if (l->n < DASH_MAX_DUPE_ROWS)
    l->rows[l->n++] = *d;
  return 0;
}

static void main_page(srv_t *s, const srv_request_t *req, srv_response_t *r, const char *lang,
                      const char *user)
{
  dash_view_t v;
  memset(&v, 0, sizeof v);
  v.lang = lang;
  v.user = user;
  v.silent_days = s->silent_days;
  v.now = db_now_ms();
  rq_filter_t f;
  rq_filter_init(&f);
  snprintf(f.form_id, sizeof f.form_id, "%s", DASH_FORM_ID);
  char err[160];
  const char *from = query_arg(req, "from"), *to = query_arg(req, "to");
  const char *province = query_arg(req, "province");
  if (from && *from && rq_filter_set(&f, "from", from, err, sizeof err) != 0)
    v.bad_filter = 1;
  if (to && *to && rq_filter_set(&f, "to", to, err, sizeof err) != 0)
    v.bad_filter = 1;
  if (province && *province &&
      (strlen(province) != 2 || rq_filter_set(&f, "region", province, err, sizeof err) != 0)) {
    v.bad_filter = 1;
    f.n_regions = 0;
  }
  v.from = f.from;
  v.to = f.to;
  v.province = f.n_regions ? f.regions[0] : "";

  catalog_t *cat = NULL;
  dash_stats_t st;
  memset(&st, 0, sizeof st);
  devices_t devs = {0};
  dupes_t dupes = {calloc(DASH_MAX_DUPE_ROWS, sizeof(db_dupe_t)), 0};
  db_conn_t *c = dupes.rows ? db_pool_acquire(s->pool) : NULL;
  if (!c) {
    resp_simple(r, 503, lang, "database unavailable");
    free(dupes.rows);
    return;
  }
  sync_err_t e = db_begin_read(c);   /* one snapshot for the whole page */
  if (e == SYNC_OK) {
    e = catalog_load(c, DASH_FORM_ID, &cat, err, sizeof err);
    if (e == SYNC_OK)
      e = dash_stats_load(c, &f, &st);
    else if (e == SYNC_ERR_NOT_FOUND)
      e = SYNC_OK;
    if (e == SYNC_OK)
      e = db_device_activity(c, collect_device, &devs);
    if (e == SYNC_OK)
      e = db_duplicates(c, collect_dupe, &dupes, &v.dupe_groups);
  }
  db_rollback(c);
  db_pool_release(s->pool, c);
  if (e != SYNC_OK) {
    log_event(LOG_ERROR, "dashboard_failed", "error=%s", sync_strerror(e));
    resp_simple(r, 500, lang, sync_strerror(e));
  } else {
    v.cat = cat;
    v.st = cat ? &st : NULL;
    v.devices = devs.a;
    v.n_devices = devs.n;
    v.dupes = dupes.rows;
    v.n_dupes = dupes.n;
    sbuf_t b;
    sbuf_init(&b);
    dash_page(&b, &v);
    resp_page(r, 200, &b);
    snprintf(r->detail, sizeof r->detail, "staff=%s records=%lld stats_ms=%.1f", user,
             (long long)st.total, st.ms);
  }
  dash_stats_free(&st);
  catalog_free(cat);
  free(devs.a);
  free(dupes.rows);
}

/* ---- login / logout ----------------------------------------------------------------------- */

static void set_session_cookie(srv_t *s, srv_response_t *r, const char *token, int max_age)
{
  snprintf(r->set_cookie, sizeof r->set_cookie,
           COOKIE_NAME "=%s; Path=/dashboard; Max-Age=%d; HttpOnly; SameSite=Strict%s", token,
           max_age, s->secure_cookies ? "; Secure" : "");
}

/* The 429 of the login limit: when to try again, in both languages (the same for every name,
 * known or not). */
static void login_refused(srv_response_t *r, const char *lang, const char *name, int wait)
{
  int minutes = (wait + 59) / 60;
  char msg[256];
  if (wait < 60)
    snprintf(msg, sizeof msg, "Terlalu banyak percobaan gagal. Coba lagi dalam %d detik. / Too many"
             " failed attempts. Try again in %d seconds.", wait, wait);
  else
    snprintf(msg, sizeof msg, "Terlalu banyak percobaan gagal. Coba lagi dalam %d menit. / Too many"
             " failed attempts. Try again in %d minutes.", minutes, minutes);
  login_form(r, 429, lang, msg, 1, name);
  r->retry_after = wait;
  snprintf(r->code, sizeof r->code, "rate_limited");
}

static void do_login(srv_t *s, const srv_request_t *req, srv_response_t *r)
{
  char name[DB_STAFF_NAME_MAX + 2] = "", lang_v[8] = "", host[64];
  char password[STAFF_PASSWORD_MAX + 2] = "", prefix[NETADDR_PREFIX_MAX];
  form_field(req->body, req->body_len, "lang", lang_v, sizeof lang_v);
  const char *lang = lang_of(lang_v);
  int have_name = form_field(req->body, req->body_len, "name", name, sizeof name) == 0;
  int have_pw = form_field(req->body, req->body_len, "password", password, sizeof password) == 0;
  peer_host(req, host, sizeof host);
  netaddr_prefix(host, prefix);
  char qn[160], qp[80];
  const char *shown = have_name && staff_name_ok(name) ? name : "";
  log_quote(have_name ? name : "", qn, sizeof qn);
  log_quote(host, qp, sizeof qp);

  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c) {
    sodium_memzero(password, sizeof password);
    resp_simple(r, 503, lang, "database unavailable");
    return;
  }
  int64_t now = db_now_ms(), attempt = 0;
  int wait = 0;
  db_login_failures_t f;
  sync_err_t e = db_login_begin(c, shown, host, prefix, now, now - STAFF_LOGIN_WINDOW_MS,
                                staff_login_wait, &f, &attempt, &wait);
  if (e != SYNC_OK || wait > 0) {
    if (wait > 0)
      db_security_event(c, "login_limited", host, shown, "failed staff logins", now);
    db_pool_release(s->pool, c);
    sodium_memzero(password, sizeof password);
    if (e != SYNC_OK) {
      resp_simple(r, 503, lang, "database unavailable");
      return;
    }
    log_event(LOG_WARN, "staff_login_limited", "name=%s peer=%s wait_s=%d failures_pair=%d"
              " failures_name=%d failures_network=%d", qn, qp, wait, f.pair, f.name, f.network);
    login_refused(r, lang, shown, wait);
    return;
  }
  db_staff_t u;
  int known = e == SYNC_OK && shown[0] && db_staff_get(c, shown, &u) == SYNC_OK;
  db_pool_release(s->pool, c);   /* Argon2 takes a while: do not hold the connection */
  int ok = have_pw && staff_verify_password(known ? u.pwhash : NULL, password, strlen(password));
  ok = ok && known;
  sodium_memzero(password, sizeof password);
  sodium_memzero(&u, sizeof u);

  c = db_pool_acquire(s->pool);
  if (!c) {
    resp_simple(r, 503, lang, "database unavailable");
    return;
  }
  if (!ok) {
    const char *why = !known ? "unknown user" : "wrong password";
    db_login_done(c, attempt, 0, why, now);
    db_pool_release(s->pool, c);
    log_event(LOG_WARN, "staff_login_failed", "name=%s peer=%s reason=\"%s\"", qn, qp, why);
    login_form(r, 401, lang, dash_t(lang, T_BAD_LOGIN), 1, shown);
    snprintf(r->code, sizeof r->code, "bad_login");
    return;
  }
  char token[STAFF_TOKEN_TEXT];
  unsigned char hash[32];
  int64_t ttl = (int64_t)s->session_hours * 3600 * 1000;
  if (staff_new_token(token, hash) != 0 ||
      (e = db_session_add(c, hash, shown, now, now + ttl, host)) != SYNC_OK) {
    db_pool_release(s->pool, c);
    resp_simple(r, 500, lang, "cannot start a session");
    return;
  }
  db_login_done(c, attempt, 1, "", now);
  db_pool_release(s->pool, c);
  log_event(LOG_INFO, "staff_login", "name=%s peer=%s", qn, qp);
  char loc[64];
  snprintf(loc, sizeof loc, "/dashboard/?lang=%s", lang);
  resp_redirect(r, loc);
  set_session_cookie(s, r, token, s->session_hours * 3600);
  sodium_memzero(token, sizeof token);
  snprintf(r->detail, sizeof r->detail, "staff=%s login", shown);
}

static void do_logout(srv_t *s, const srv_request_t *req, srv_response_t *r)
{
  char lang_v[8] = "", user[DB_STAFF_NAME_MAX + 1];
  form_field(req->body, req->body_len, "lang", lang_v, sizeof lang_v);
  const char *lang = lang_of(lang_v);
  unsigned char hash[32];
  if (session_user(s, req, user, hash)) {
    db_conn_t *c = db_pool_acquire(s->pool);
    if (c) {
      db_session_delete(c, hash);
      db_pool_release(s->pool, c);
    }
    char qn[160];
    log_event(LOG_INFO, "staff_logout", "name=%s", log_quote(user, qn, sizeof qn));
  }
  char loc[64];
  snprintf(loc, sizeof loc, "/dashboard/login?lang=%s&msg=out", lang);
  resp_redirect(r, loc);
  set_session_cookie(s, r, "", 0);
}

/* ---- entry points --------------------------------------------------------------------------- */

/* A POST must come from our own page: when the browser says where it comes from (Origin,
 * Sec-Fetch-Site), that must be this host. (The session cookie is SameSite=Strict as well.) */
static int same_origin(const srv_request_t *req)
{
  const char *site = srv_header(req, "Sec-Fetch-Site");
  if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
    return 0;
  const char *origin = srv_header(req, "Origin"), *host = srv_header(req, "Host");
  if (!origin || strcmp(origin, "null") == 0)
    return origin == NULL;
  const char *p = strstr(origin, "://");
  return p && host && strcasecmp(p + 3, host) == 0;
}

int dash_begin(srv_t *s, const srv_request_t *req, srv_response_t *r)
{
  const char *path = req->path, *method = req->method ? req->method : "";
  const char *lang = lang_of(query_arg(req, "lang"));
  if (strcmp(method, "GET") == 0) {
    char user[DB_STAFF_NAME_MAX + 1];
    unsigned char hash[32];
    if (strcmp(path, "/dashboard") == 0) {
      resp_redirect(r, "/dashboard/");
    } else if (strcmp(path, "/dashboard/") == 0) {
      if (session_user(s, req, user, hash)) {
        main_page(s, req, r, lang, user);
      } else {
        char loc[64];
        snprintf(loc, sizeof loc, "/dashboard/login?lang=%s", lang);
        resp_redirect(r, loc);
      }
    } else if (strcmp(path, "/dashboard/login") == 0) {
      const char *msg = query_arg(req, "msg");
      if (session_user(s, req, user, hash)) {
        char loc[64];
        snprintf(loc, sizeof loc, "/dashboard/?lang=%s", lang);
        resp_redirect(r, loc);
      } else {
        login_form(r, 200, lang, msg && strcmp(msg, "out") == 0 ? dash_t(lang, T_LOGGED_OUT)
                                 : NULL, 0, NULL);
      }
    } else {
      resp_simple(r, 404, lang, "Halaman tidak ada / Page not found");
    }
    return 1;
  }
  if (strcmp(method, "POST") == 0) {
    if (strcmp(path, "/dashboard/login") != 0 && strcmp(path, "/dashboard/logout") != 0) {
      resp_simple(r, 404, lang, "Halaman tidak ada / Page not found");
      return 1;
    }
    if (!same_origin(req)) {
      resp_simple(r, 403, lang, "Cross-site request refused");
      return 1;
    }
    const char *ct = srv_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
      resp_simple(r, 415, lang, "Expected a form (application/x-www-form-urlencoded)");
      return 1;
    }
    const char *cl = srv_header(req, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > FORM_BODY_MAX) {
      resp_simple(r, 413, lang, "Form too large");
      r->close = 1;
      return 1;
    }
    return 0;
  }
  resp_simple(r, 405, lang, "Method not allowed");
  r->allow = "GET, POST";
  return 1;
}

void dash_finish(srv_t *s, const srv_request_t *req, srv_response_t *r)
{
  if (req->body_len > FORM_BODY_MAX) {
    resp_simple(r, 413, "id", "Form too large");
    return;
  }
  if (strcmp(req->path, "/dashboard/login") == 0)
    do_login(s, req, r);
  else
    do_logout(s, req, r);
}
