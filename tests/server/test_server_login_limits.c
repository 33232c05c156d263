/* The limits on guessing (SECURITY.md 2.4), in process: the staff login is slowed per name and
 * network and never locks a user out from elsewhere; the device failure table never forgets a
 * blocked client when it is full; security events aggregate, age and stay capped. Logins go
 * through the real request handler (srv_handle) with the client address each test chooses. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"
#include "ratelimit.h"
#include "server.h"
#include "server_fixture.h"
#include "staff.h"
#include "test_support.h"

#define DEWI_PW "kata-sandi-dewi-1"
#define BUDI_PW "kata-sandi-budi-1"

typedef struct world {
  inproc_t in;
  srv_t *srv;     /* in.srv */
  db_conn_t *c;   /* the test's own connection, to read and age rows */
} world_t;

static int world_setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  *state = w;
  char err[256], hash[DB_PWHASH_MAX];
  if (inproc_open(&w->in, 4) != 0 ||
      db_open(w->in.db, DB_OPEN_FAST, &w->c, err, sizeof err) != SYNC_OK)
    return -1;
  w->srv = w->in.srv;
  if (staff_hash_password(DEWI_PW, strlen(DEWI_PW), hash) != 0 ||
      db_staff_add(w->c, "dewi", hash, 0) != SYNC_OK ||
      staff_hash_password(BUDI_PW, strlen(BUDI_PW), hash) != 0 ||
      db_staff_add(w->c, "budi", hash, 0) != SYNC_OK)
    return -1;
  return 0;
}

static int world_teardown(void **state)
{
  world_t *w = *state;
  db_close(w->c);
  inproc_close(&w->in);
  free(w);
  return 0;
}

/* POST /dashboard/login from `addr` (IPv4 or IPv6 text); the response into r. */
static void login_from(world_t *w, const char *addr, const char *name, const char *password,
                       srv_response_t *r)
{
  char peer[80], body[256];
  snprintf(peer, sizeof peer, strchr(addr, ':') ? "[%s]:40000" : "%s:40000", addr);
  snprintf(body, sizeof body, "name=%s&password=%s&lang=id", name, password);
  srv_kv_t form[] = {{"Content-Type", "application/x-www-form-urlencoded"}};
  srv_request_t req = {.method = "POST", .path = "/dashboard/login", .headers = form,
                       .n_headers = 1, .body = body, .body_len = strlen(body), .peer = peer,
                       .addr = addr};
  memset(r, 0, sizeof *r);
  srv_handle(w->srv, &req, r);
}

static int login_status(world_t *w, const char *addr, const char *name, const char *password)
{
  srv_response_t r;
  login_from(w, addr, name, password, &r);
  int status = r.status;
  srv_response_clear(&r);
  return status;
}

/* Moves every login attempt `ms` into the past, as if that much time went by. */
static void time_passes(world_t *w, int64_t ms)
{
  char sql[128];
  snprintf(sql, sizeof sql, "UPDATE staff_logins SET at = at - %lld", (long long)ms);
  assert_int_equal(sqlite3_exec(w->c->h, sql, NULL, NULL, NULL), SQLITE_OK);
}

static long long scalar(world_t *w, const char *sql)
{
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(w->c->h, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  long long v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* A 429 of the login limit asking for `expect` seconds (one less when the clock moved on since
 * the failure that set it), saying so in both languages. */
static void expect_wait(srv_response_t *r, int expect)
{
  assert_int_equal(r->status, 429);
  assert_string_equal(r->code, "rate_limited");
  assert_string_equal(r->set_cookie, "");
  assert_true(r->retry_after == expect || r->retry_after == expect - 1);
  char id[64], en[64];
  if (r->retry_after < 60) {
    snprintf(id, sizeof id, "Coba lagi dalam %d detik", r->retry_after);
    snprintf(en, sizeof en, "Try again in %d seconds", r->retry_after);
  } else {
    snprintf(id, sizeof id, "Coba lagi dalam %d menit", (r->retry_after + 59) / 60);
    snprintf(en, sizeof en, "Try again in %d minutes", (r->retry_after + 59) / 60);
  }
  assert_non_null(strstr(r->body, id));
  assert_non_null(strstr(r->body, en));
}

/* ---- staff login ----------------------------------------------------------------------------- */

static void test_wrong_passwords_from_elsewhere_do_not_lock_out_staff(void **state)
{
  world_t *w = *state;
  char addr[32];
  /* An attacker guesses dewi's password from 50 networks, far beyond the old lock of 5. */
  for (int i = 0; i < 50; i++) {
    snprintf(addr, sizeof addr, "10.%d.%d.7", i / 10, i % 10 * 10);
    assert_int_equal(login_status(w, addr, "dewi", "tebakan-salah"), 401);
  }
  /* The real user, from her own address, signs in at once. */
  srv_response_t r;
  login_from(w, "192.0.2.10", "dewi", DEWI_PW, &r);
  assert_int_equal(r.status, 303);
  assert_non_null(strstr(r.set_cookie, "syncdash="));
  srv_response_clear(&r);
  /* The attacker is slowed: each guessing network now waits after each of its failures... */
  login_from(w, "10.0.0.7", "dewi", DEWI_PW, &r);
  assert_int_equal(r.status, 429);
  assert_true(r.retry_after > 60 && r.retry_after <= 300);
  assert_string_equal(r.set_cookie, "");
  assert_non_null(strstr(r.body, "Coba lagi dalam"));
  srv_response_clear(&r);
  /* ...and a network new to the name still gets its one answer (a wrong password is a 401). */
  assert_int_equal(login_status(w, "10.200.0.7", "dewi", "tebakan-salah"), 401);
  assert_int_equal(login_status(w, "10.200.0.7", "dewi", "tebakan-lagi"), 429);
  /* The real user typing a wrong password once keeps her network: it signed in from there. */
  assert_int_equal(login_status(w, "192.0.2.10", "dewi", "salah-ketik"), 401);
  assert_int_equal(login_status(w, "192.0.2.10", "dewi", DEWI_PW), 303);
  /* Nothing of this touched another user. */
  assert_int_equal(login_status(w, "10.0.0.7", "budi", BUDI_PW), 303);
}

static void test_login_guessing_is_slowed_per_name_and_address(void **state)
{
  world_t *w = *state;
  srv_response_t r;
  /* Three free failures for one name from one network... */
  for (int i = 0; i < 3; i++)
    assert_int_equal(login_status(w, "203.0.113.5", "dewi", "tebakan-salah"), 401);
  /* ...then a delay, for the right password too (the status must not tell a guess was right),
   * and from any address of the same /24. The refusal says when, in both languages. */
  login_from(w, "203.0.113.5", "dewi", DEWI_PW, &r);
  expect_wait(&r, 5);
  srv_response_clear(&r);
  assert_int_equal(login_status(w, "203.0.113.99", "dewi", DEWI_PW), 429);
  /* a refusal is not a failure: it does not make the wait longer */
  assert_int_equal(scalar(w, "SELECT count(*) FROM staff_logins WHERE name = 'dewi'"), 3);
  /* Another name from the same network, and the same name from another network, go on. */
  assert_int_equal(login_status(w, "203.0.113.5", "budi", BUDI_PW), 303);
  assert_int_equal(login_status(w, "198.51.100.1", "dewi", DEWI_PW), 303);

  /* The delay doubles with each further failure, up to a cap of a few minutes. */
  int expect = 5;
  for (int i = 0; i < 8; i++) {
    time_passes(w, (int64_t)expect * 1000);
    assert_int_equal(login_status(w, "203.0.113.5", "dewi", "tebakan-salah"), 401);
    expect = expect * 2 > 300 ? 300 : expect * 2;
    login_from(w, "203.0.113.5", "dewi", DEWI_PW, &r);
    expect_wait(&r, expect);
    srv_response_clear(&r);
  }
  assert_int_equal(expect, 300);
  login_from(w, "203.0.113.5", "dewi", DEWI_PW, &r);
  expect_wait(&r, 300);
  assert_non_null(strstr(r.body, "Coba lagi dalam 5 menit"));
  srv_response_clear(&r);

  /* A name that does not exist is slowed the same way and answered the same way. */
  for (int i = 0; i < 3; i++)
    assert_int_equal(login_status(w, "203.0.113.5", "nobody", "tebakan-salah"), 401);
  login_from(w, "203.0.113.5", "nobody", DEWI_PW, &r);
  expect_wait(&r, 5);
  srv_response_clear(&r);

  /* Once the wait is over the right password works, and it clears that name and network. */
  time_passes(w, 300 * 1000);
  assert_int_equal(login_status(w, "203.0.113.5", "dewi", DEWI_PW), 303);
  for (int i = 0; i < 3; i++)
    assert_int_equal(login_status(w, "203.0.113.5", "dewi", "salah-ketik"), 401);

  /* One network trying many names is slowed for every name after 20 failures. */
  char name[32];
  for (int i = 0; i < 20; i++) {
    snprintf(name, sizeof name, "tebak%d", i);
    assert_int_equal(login_status(w, "2001:db8:7:7::1", name, "tebakan-salah"), 401);
  }
  assert_int_equal(login_status(w, "2001:db8:7:7::99", "budi", BUDI_PW), 429);
  assert_int_equal(login_status(w, "2001:db8:7:8::1", "budi", BUDI_PW), 303);
  /* every refusal is one aggregated security event per network and name */
  assert_true(scalar(w, "SELECT count(*) FROM security_events WHERE kind = 'login_limited'"
                        " AND device_id = 'dewi' AND prefix = '203.0.113.0/24'") == 1);
  assert_true(scalar(w, "SELECT count FROM security_events WHERE kind = 'login_limited'"
                        " AND device_id = 'dewi' AND prefix = '203.0.113.0/24'") >= 10);
}

typedef struct racer {
  world_t *w;
  int status;
} racer_t;

static void *race(void *arg)
{
  racer_t *r = arg;
  r->status = login_status(r->w, "203.0.113.77", "dewi", "tebakan-paralel");
  return NULL;
}

static void test_parallel_login_guesses_count_each_other(void **state)
{
  world_t *w = *state;
  /* Eight guesses at once: each is counted before its password is checked, so only the three
   * free ones are checked and the others wait, as if they had come one after another. */
  racer_t r[8];
  pthread_t t[8];
  for (int i = 0; i < 8; i++) {
    r[i] = (racer_t){w, 0};
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  int failed = 0, limited = 0;
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    failed += r[i].status == 401;
    limited += r[i].status == 429;
  }
  assert_int_equal(failed, 3);
  assert_int_equal(limited, 5);
}

static void test_login_delay_doubles_up_to_a_cap(void **state)
{
  (void)state;
  const int64_t now = 1000000000;
  db_login_failures_t f = {0};
  assert_int_equal(staff_login_wait(&f, now), 0);
  f.pair = 2;
  f.pair_last = now;
  assert_int_equal(staff_login_wait(&f, now), 0);
  static const int waits[] = {5, 10, 20, 40, 80, 160, 300, 300, 300};
  for (int i = 0; i < 9; i++) {
    f.pair = 3 + i;
    assert_int_equal(staff_login_wait(&f, now), waits[i]);
    assert_int_equal(staff_login_wait(&f, now + 4000), waits[i] - 4);
  }
  assert_int_equal(staff_login_wait(&f, now + 300000), 0);
  /* many failures of the name elsewhere: a network with none of its own is not slowed */
  db_login_failures_t g = {.name = 500};
  assert_int_equal(staff_login_wait(&g, now), 0);
  g.pair = 1;
  g.pair_last = now;
  assert_int_equal(staff_login_wait(&g, now), 300);
  g.familiar = 1;   /* ...nor one where the name has signed in before */
  assert_int_equal(staff_login_wait(&g, now), 0);
  db_login_failures_t n = {.network = 20, .network_last = now};
  assert_int_equal(staff_login_wait(&n, now), 5);
}

/* ---- device failure table ------------------------------------------------------------------ */

static void test_full_failure_table_does_not_unblock(void **state)
{
  (void)state;
  ratelimit_cfg_t cfg = {.per_addr = 2, .per_prefix = 6, .overflow = 3, .window_ms = 1000,
                         .max_entries = 4};
  ratelimit_t *r = ratelimit_new(&cfg);
  assert_non_null(r);
  ratelimit_count_t n;
  /* 10.0.0.1 is blocked (an entry for it and one for its network) */
  ratelimit_fail(r, "10.0.0.1", 0, NULL);
  ratelimit_fail(r, "10.0.0.1", 0, &n);
  assert_int_equal(n.blocked, RATELIMIT_ADDR);
  /* a client of another network fills the table */
  ratelimit_fail(r, "10.0.1.1", 10, &n);
  assert_int_equal(n.addr, 1);
  assert_int_equal(ratelimit_blocked(r, "10.0.1.1", 20), 0);
  /* a flood of new networks finds no room: nothing is evicted, they share the overflow bucket */
  char addr[32];
  for (int i = 2; i <= 4; i++) {
    snprintf(addr, sizeof addr, "10.0.%d.1", i);
    ratelimit_fail(r, addr, 20, &n);
    assert_int_equal(n.addr, 0);
    assert_int_equal(n.overflow, i - 1);
    assert_true(ratelimit_blocked(r, "10.0.0.1", 30) > 0);   /* still blocked */
  }
  assert_int_equal(n.blocked, RATELIMIT_OVERFLOW);
  /* the bucket is full: networks the table does not know are refused (fail closed)... */
  assert_true(ratelimit_blocked(r, "10.0.99.1", 30) > 0);
  assert_true(ratelimit_blocked(r, "2001:db8::1", 30) > 0);
  /* ...a known network that is not blocked goes on... */
  assert_int_equal(ratelimit_blocked(r, "10.0.1.1", 30), 0);
  /* ...and once the windows have passed everything is as new, with room again */
  assert_int_equal(ratelimit_blocked(r, "10.0.0.1", 1020), 0);
  assert_int_equal(ratelimit_blocked(r, "10.0.99.1", 1020), 0);
  ratelimit_fail(r, "10.0.99.1", 1020, &n);
  assert_int_equal(n.addr, 1);
  assert_int_equal(n.prefix, 1);
  ratelimit_free(r);
}

/* ---- security events ------------------------------------------------------------------------- */

static void test_security_events_are_aggregated_and_aged(void **state)
{
  world_t *w = *state;
  db_conn_t *c = w->c;
  const int64_t t0 = db_now_ms();
  const char *dev = "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30";
  char addr[32], target[40];
  /* 100 wrong secrets for one device from 100 addresses of one /24: one row */
  for (int i = 0; i < 100; i++) {
    snprintf(addr, sizeof addr, "198.51.100.%d", i + 1);
    assert_int_equal(db_security_event(c, "auth_failure", addr, dev, "wrong secret", t0 + i),
                     SYNC_OK);
  }
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events"), 1);
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM security_events WHERE count = 100 AND at = %lld"
           " AND last_at = %lld AND addr = '198.51.100.100' AND prefix = '198.51.100.0/24'",
           (long long)t0, (long long)(t0 + 99));
  assert_int_equal(scalar(w, sql), 1);
  /* another reason, another network: rows of their own */
  assert_int_equal(db_security_event(c, "auth_failure", "198.51.100.1", dev, "revoked", t0),
                   SYNC_OK);
  assert_int_equal(db_security_event(c, "auth_failure", "2001:db8::1", dev, "wrong secret", t0),
                   SYNC_OK);
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events"), 3);
  /* a client naming a new device each time: at most 20 rows of a network in the hour, the rest
   * counted in one row for "*" */
  for (int i = 0; i < 500; i++) {
    snprintf(target, sizeof target, "00000000-0000-4000-8000-%012d", i);
    assert_int_equal(db_security_event(c, "auth_failure", "203.0.113.9", target, "unknown device",
                                       t0 + i), SYNC_OK);
  }
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events WHERE prefix ="
                             " '203.0.113.0/24'"), 21);
  assert_int_equal(scalar(w, "SELECT sum(count) FROM security_events WHERE prefix ="
                             " '203.0.113.0/24'"), 500);
  assert_int_equal(scalar(w, "SELECT count FROM security_events WHERE device_id = '*'"), 480);
  /* an hour later the same event starts a new row */
  assert_int_equal(db_security_event(c, "auth_failure", "198.51.100.1", dev, "wrong secret",
                                     t0 + 3600 * 1000 + 1), SYNC_OK);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM security_events WHERE device_id = '%s' AND"
           " reason = 'wrong secret'", dev);
  assert_int_equal(scalar(w, sql), 3);
  /* enrollments are one row each */
  assert_int_equal(db_security_event(c, "enrolled", "198.51.100.1", dev, "Laptop", t0), SYNC_OK);
  assert_int_equal(db_security_event(c, "enrolled", "198.51.100.1", dev, "Laptop", t0), SYNC_OK);
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events WHERE kind = 'enrolled'"), 2);
  /* 91 days on, the next event ages out every row whose last event is older than 90 days */
  const int64_t later = t0 + 91LL * 86400 * 1000;
  assert_int_equal(db_security_event(c, "auth_failure", "192.0.2.1", dev, "wrong secret", later),
                   SYNC_OK);
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events"), 1);
  /* the rows anyone can cause are capped: 150,000 old-style rows shrink to 100,000 */
  assert_int_equal(sqlite3_exec(c->h, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1"
                                      " FROM n WHERE i < 150000) INSERT INTO security_events(at,"
                                      " kind, addr, device_id, reason, prefix, count, last_at)"
                                      " SELECT strftime('%s', 'now') * 1000 + 91 * 86400000,"
                                      " 'auth_failure', 'x', 'y' || i, 'z', 'x', 1,"
                                      " strftime('%s', 'now') * 1000 + 91 * 86400000 FROM n",
                                      NULL, NULL, NULL), SQLITE_OK);
  assert_int_equal(db_security_event(c, "auth_failure", "203.0.113.50", dev, "wrong secret",
                                     later), SYNC_OK);
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events"), 100000);
  /* the newest survive */
  assert_int_equal(scalar(w, "SELECT count(*) FROM security_events WHERE addr = '203.0.113.50'"),
                   1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_wrong_passwords_from_elsewhere_do_not_lock_out_staff,
                                    world_setup, world_teardown),
    cmocka_unit_test_setup_teardown(test_login_guessing_is_slowed_per_name_and_address,
                                    world_setup, world_teardown),
    cmocka_unit_test_setup_teardown(test_parallel_login_guesses_count_each_other, world_setup,
                                    world_teardown),
    cmocka_unit_test(test_login_delay_doubles_up_to_a_cap),
    cmocka_unit_test(test_full_failure_table_does_not_unblock),
    cmocka_unit_test_setup_teardown(test_security_events_are_aggregated_and_aged, world_setup,
                                    world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
