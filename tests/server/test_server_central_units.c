/* In-process tests of the central-staff modules of syncserver_core: the merged form catalog,
 * record filters, HTML/JSON escaping, the dashboard routes of the request handler (from memory),
 * the schema upgrade to version 2, and the export's seam for sealed records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "db_internal.h"
#include "export.h"
#include "query.h"
#include "ratelimit.h"
#include "sbuf.h"
#include "server.h"
#include "test_support.h"
#include "tppo_fixture.h"

/* ---- escaping ------------------------------------------------------------------------------ */

static char *html(const char *s)
{
  sbuf_t b;
  sbuf_init(&b);
  sbuf_html(&b, s);
  return sbuf_take(&b, NULL);
}

static void test_html_escaping_covers_markup_quotes_and_bad_bytes(void **state)
{
  (void)state;
  char *t = html("<img src=x onerror='a(1)'> & \"q\"");
  assert_string_equal(t, "&lt;img src=x onerror=&#39;a(1)&#39;&gt; &amp; &quot;q&quot;");
  free(t);
  t = html("Jawa\x01Timur \xc3\xa9\xff\xc0\xaf ok");   /* control, é, invalid, overlong */
  assert_string_equal(t, "JawaTimur \xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd ok");
  free(t);
  sbuf_t b;
  sbuf_init(&b);
  sbuf_json_str(&b, "a\"b\\c\n\x02\xe2\x82\xac");
  t = sbuf_take(&b, NULL);
  assert_string_equal(t, "\"a\\\"b\\\\c\\n\\u0002\xe2\x82\xac\"");
  free(t);
  assert_int_equal(utf8_valid_prefix("ab\xed\xa0\x80", 5), 2);   /* a surrogate is invalid */
}

/* ---- catalog ------------------------------------------------------------------------------- */

static void test_catalog_merges_versions_in_a_stable_order(void **state)
{
  (void)state;
  char *v1 = ts_source_file(TPPO_V1, NULL), *v2 = ts_source_file(TPPO_V2, NULL);
  const char *defs[] = {v2, v1};   /* any order in, ascending versions out */
  catalog_t *cat = NULL;
  char err[256];
  assert_int_equal(catalog_from_texts(defs, 2, &cat, err, sizeof err), SYNC_OK);
  assert_int_equal(cat->n_versions, 2);
  assert_int_equal(cat->versions[0].version, 1);
  int notes = catalog_col(cat, "officer_notes", 13), rp = catalog_col(cat, "recruitment_platform", 20);
  int status = catalog_col(cat, "case_status", 11);
  assert_true(notes >= 0 && rp > notes && status >= 0);
  assert_int_equal(catalog_col(cat, "consent_note", 12), -1);       /* a note: no column */
  assert_int_equal(catalog_col(cat, "recruitment_platform_other", 26), rp + 1);
  assert_int_equal(cat->cols[rp].first_version, 2);
  assert_int_equal(cat->cols[rp].type, FIELD_SELECT_MULTIPLE);
  assert_int_equal(cat->cols[rp].n_choices, 8);
  assert_true(cat->cols[status].central);
  assert_false(cat->cols[notes].central);
  /* Labels: per language, from the record's version; v1 has no such field. */
  const cat_version_t *c1 = catalog_version(cat, 1), *c2 = catalog_version(cat, 2);
  assert_null(c1->field[rp]);
  assert_non_null(c2->field[rp]);
  assert_string_equal(catalog_choice_label(cat, c2, (size_t)rp, 0, "en"),
                      "Facebook (incl. groups and Messenger)");
  int sector = catalog_col(cat, "sector", 6);
  int fishing = catalog_choice(&cat->cols[sector], "fishing");
  assert_string_equal(catalog_choice_label(cat, c1, (size_t)sector, (size_t)fishing, "id"),
                      "Anak buah kapal (ABK) perikanan");
  assert_string_equal(catalog_choice_label(cat, c1, (size_t)sector, (size_t)fishing, "fr"),
                      "Anak buah kapal (ABK) perikanan");   /* default language */
  assert_string_equal(catalog_list_label(cat, "result_categories", "strong_indication", "en"),
                      "Strong indication of trafficking (TPPO)");
  assert_string_equal(catalog_field_label(cat, (size_t)sector, "en"), "Work sector");
  assert_string_equal(catalog_title(cat, "en"), "TPPO Victim Screening");
  catalog_free(cat);
  /* Two different forms do not merge. */
  char *mini = ts_read_file(SYNC_SERVER_TEST_DATA "/mini_form.v1.json", NULL);
  const char *mixed[] = {v1, mini};
  assert_int_equal(catalog_from_texts(mixed, 2, &cat, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_null(cat);
  free(mini);
  free(v1);
  free(v2);
}

/* ---- filters ------------------------------------------------------------------------------- */

static void test_filters_accept_only_well_formed_values(void **state)
{
  (void)state;
  rq_filter_t f;
  rq_filter_init(&f);
  char err[200];
  assert_int_equal(rq_filter_set(&f, "region", "35,74.04,35.0", err, sizeof err), 0);
  assert_int_equal(f.n_regions, 3);
  assert_string_equal(f.regions[1], "74.04");
  assert_int_equal(rq_filter_set(&f, "region", "35'--", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "region", "3502", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "region", "", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "from", "2024-02-29", err, sizeof err), 0);
  assert_int_equal(rq_filter_set(&f, "from", "2023-02-29", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "to", "2024-13-01", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "status", "drafts", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "case-status", "x' OR 1=1", err, sizeof err), -1);
  assert_int_equal(rq_filter_set(&f, "colour", "red", err, sizeof err), 1);
  assert_int_equal(rq_date_ms("1970-01-02"), 86400000LL);
  assert_int_equal(rq_date_ms("2025-11-01"), 1761955200000LL);
  sbuf_t b;
  sbuf_init(&b);
  rq_describe(&f, &b);
  char *d = sbuf_take(&b, NULL);
  cJSON *j = cJSON_Parse(d);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "from")->valuestring, "2024-02-29");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "region")), 3);
  cJSON_Delete(j);
  free(d);
}

/* ---- an in-process server ------------------------------------------------------------------ */

typedef struct world {
  inproc_t in;
  srv_t *srv;     /* in.srv */
  char device[40], auth[128];
} world_t;

static int world_setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  *state = w;
  char err[256];
  if (inproc_open(&w->in, 2) != 0)
    return -1;
  w->srv = w->in.srv;
  /* the reference form and a device, straight into the database */
  db_conn_t *c;
  if (db_open(w->in.db, DB_OPEN_FAST, &c, err, sizeof err) != SYNC_OK)
    return -1;
  char *text = ts_source_file(TPPO_V1, NULL);
  cJSON *doc = cJSON_Parse(text);
  char *compact = cJSON_PrintUnformatted(doc);
  unsigned char h[32];
  char sha[65];
  crypto_hash_sha256(h, (const unsigned char *)compact, strlen(compact));
  sodium_bin2hex(sha, sizeof sha, h, sizeof h);
  int added;
  int64_t seq;
  int rc = db_form_publish(c, "tppo_screening", 1, compact, sha, "{}", &added, &seq) == SYNC_OK ? 0 : -1;
  char secret[PROTO_SECRET_LEN + 1];
  unsigned char sh[32], code[32] = {1};
  db_device_t dev;
  make_uuid(w->device);
  int64_t now = db_now_ms();
  if (rc == 0 && (auth_new_secret(secret, sh) != 0 ||
                  db_enroll_code_add(c, code, "unit test device", "", now, now + 60000, 30) ||
                  db_enroll_redeem(c, code, w->device, sh, "127.0.0.1", now, &dev) != SYNC_OK))
    rc = -1;
  snprintf(w->auth, sizeof w->auth, "Device %s:%s", w->device, secret);
  db_close(c);
  cJSON_Delete(doc);
  free(compact);
  free(text);
  return rc;
}

static int world_teardown(void **state)
{
  world_t *w = *state;
  inproc_close(&w->in);
  free(w);
  return 0;
}

static void call(world_t *w, const char *method, const char *path, const srv_kv_t *headers,
                 size_t nh, const char *body, srv_response_t *r)
{
  srv_request_t req = {.method = method, .path = path, .headers = headers, .n_headers = nh,
                       .body = body, .body_len = body ? strlen(body) : 0, .peer = "127.0.0.1:1"};
  srv_handle(w->srv, &req, r);
}

static void test_dashboard_routes_answer_from_memory(void **state)
{
  world_t *w = *state;
  srv_response_t r;
  call(w, "GET", "/dashboard/", NULL, 0, NULL, &r);
  assert_int_equal(r.status, 303);
  assert_string_equal(r.location, "/dashboard/login?lang=id");
  assert_true(r.html);
  srv_response_clear(&r);
  call(w, "PUT", "/dashboard/", NULL, 0, NULL, &r);
  assert_int_equal(r.status, 405);
  assert_string_equal(r.allow, "GET, POST");
  srv_response_clear(&r);
  srv_kv_t json[] = {{"Content-Type", "application/json"}};
  call(w, "POST", "/dashboard/login", json, 1, "{}", &r);
  assert_int_equal(r.status, 415);
  srv_response_clear(&r);
  srv_kv_t big[] = {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Content-Length", "100000"}};
  call(w, "POST", "/dashboard/login", big, 2, "name=a", &r);
  assert_int_equal(r.status, 413);
  srv_response_clear(&r);
  srv_kv_t cross[] = {{"Content-Type", "application/x-www-form-urlencoded"},
                      {"Sec-Fetch-Site", "cross-site"}};
  call(w, "POST", "/dashboard/login", cross, 2, "name=a&password=b", &r);
  assert_int_equal(r.status, 403);
  srv_response_clear(&r);
  srv_kv_t form[] = {{"Content-Type", "application/x-www-form-urlencoded"}};
  call(w, "POST", "/dashboard/login", form, 1, "name=nobody&password=%41%42%00x&lang=en", &r);
  assert_int_equal(r.status, 401);
  assert_string_equal(r.content_type, "text/html; charset=utf-8");
  assert_non_null(strstr(r.body, "Wrong user name or password."));
  srv_response_clear(&r);
  call(w, "GET", "/dashboardx", NULL, 0, NULL, &r);   /* not ours: the protocol's 404 */
  assert_int_equal(r.status, 404);
  assert_false(r.html);
  srv_response_clear(&r);
}

/* An opener that cannot read anything (a wrong central key, say). */
static cJSON *refuse(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                     size_t whylen)
{
  st->sealed_left = 0;
  (*(int *)ctx)++;
  snprintf(why, whylen, "sealed to another key (%s)", rec->uuid);
  return NULL;
}

static void test_export_goes_through_the_payload_opener(void **state)
{
  world_t *w = *state;
  /* one record, pushed through the handler */
  tppo_gen_t *g = tppo_gen_new(5, 1);
  char *payload = tppo_gen_next(g, NULL, NULL);
  tppo_gen_free(g);
  char uuid[40], hlc[64], batch[40];
  make_uuid(uuid);
  make_uuid(batch);
  make_hlc(hlc, 1761955200000LL, 0, w->device);
  char *ch = make_change(uuid, 1, 0, NULL, hlc, "upsert", payload);
  char *body = make_push(w->device, batch, &ch, 1);
  srv_kv_t h[] = {{"Authorization", w->auth}, {"Content-Type", "application/json"}};
  srv_response_t r;
  call(w, "POST", "/v1/push", h, 2, body, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"stored\""));
  srv_response_clear(&r);
  free(body);
  free(ch);
  free(payload);

  db_conn_t *c;
  char err[512];
  assert_int_equal(db_open(w->in.db, 0, &c, err, sizeof err), SYNC_OK);
  exp_options_t o;
  memset(&o, 0, sizeof o);
  rq_filter_init(&o.filter);
  o.format = EXP_JSONL;
  char *buf = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&buf, &len);
  exp_result_t res;
  assert_int_equal(export_run(c, &o, mem, &res, err, sizeof err), SYNC_OK);
  fclose(mem);
  assert_int_equal(res.records, 1);
  assert_non_null(strstr(buf, uuid));
  free(buf);
  /* A record the opener cannot read is left out, counted and named; never silently. */
  int calls = 0;
  o.open_payload = refuse;
  o.open_ctx = &calls;
  mem = open_memstream(&buf, &len);
  assert_int_equal(export_run(c, &o, mem, &res, err, sizeof err), SYNC_OK);
  fclose(mem);
  assert_int_equal(calls, 1);
  assert_int_equal(res.records, 0);
  assert_int_equal(res.unreadable, 1);
  assert_non_null(strstr(err, uuid));
  assert_null(strstr(buf, uuid));
  free(buf);
  db_close(c);
}

/* ---- schema upgrade ------------------------------------------------------------------------ */

/* ---- failed-authentication limit ------------------------------------------------------------ */

static void test_rate_limit_blocks_an_address_for_the_rest_of_its_window(void **state)
{
  (void)state;
  ratelimit_cfg_t cfg = {.per_addr = 3, .per_prefix = 5, .overflow = 5, .window_ms = 1000,
                         .max_entries = 8};
  ratelimit_t *r = ratelimit_new(&cfg);
  assert_non_null(r);
  ratelimit_count_t n;
  for (int i = 1; i <= 3; i++) {
    assert_int_equal(ratelimit_blocked(r, "10.0.0.1", 100), 0);
    ratelimit_fail(r, "10.0.0.1", 100, &n);
    assert_int_equal(n.addr, i);
    assert_int_equal(n.prefix, i);
  }
  assert_int_equal(n.blocked, RATELIMIT_ADDR);
  assert_int_equal(ratelimit_blocked(r, "10.0.0.1", 100), 1);   /* 900 ms left: 1 s */
  assert_int_equal(ratelimit_blocked(r, "::1", 100), 0);        /* other networks go on */
  assert_int_equal(ratelimit_blocked(r, "10.0.0.2", 100), 0);   /* its neighbours too, so far */
  assert_int_equal(ratelimit_blocked(r, "10.0.0.1", 1100), 0);  /* the window has passed */
  ratelimit_fail(r, "10.0.0.1", 1100, &n);                      /* a new window */
  assert_int_equal(n.addr, 1);
  ratelimit_free(r);
}

static void test_rate_limit_counts_each_network_as_a_whole(void **state)
{
  (void)state;
  ratelimit_cfg_t cfg = {.per_addr = 3, .per_prefix = 5, .overflow = 5, .window_ms = 1000,
                         .max_entries = 64};
  ratelimit_t *r = ratelimit_new(&cfg);
  assert_non_null(r);
  /* five addresses of one /24, one failure each: none reaches its own limit, the network does */
  ratelimit_count_t n;
  char addr[32];
  for (int i = 1; i <= 5; i++) {
    snprintf(addr, sizeof addr, "198.51.100.%d", i);
    ratelimit_fail(r, addr, 100, &n);
    assert_int_equal(n.addr, 1);
    assert_int_equal(n.prefix, i);
  }
  assert_int_equal(n.blocked, RATELIMIT_PREFIX);
  assert_true(ratelimit_blocked(r, "198.51.100.200", 200) > 0);   /* a sixth address too */
  assert_int_equal(ratelimit_blocked(r, "198.51.101.1", 200), 0); /* the next /24 is not */
  /* IPv6: one /64 */
  for (int i = 1; i <= 5; i++) {
    snprintf(addr, sizeof addr, "2001:db8:1:2::%d", i);
    ratelimit_fail(r, addr, 100, NULL);
  }
  assert_true(ratelimit_blocked(r, "2001:db8:1:2:ffff::1", 200) > 0);
  assert_int_equal(ratelimit_blocked(r, "2001:db8:1:3::1", 200), 0);
  ratelimit_free(r);
}

static void test_a_version_1_database_is_upgraded(void **state)
{
  (void)state;
  char *dir = ts_tempdir(), *path = ts_path(dir, "old.db");
  db_conn_t *c;
  char err[512];
  assert_int_equal(db_open(path, DB_OPEN_CREATE | DB_OPEN_FAST, &c, err, sizeof err), SYNC_OK);
  /* back to what version 1 had, with one device enrolled the old way */
  assert_int_equal(sqlite3_exec(c->h, "DROP TABLE enroll_codes; DROP TABLE security_events;"
                                      " DROP INDEX revisions_by_dedup; DROP VIEW records;"
                                      " ALTER TABLE record_revisions DROP COLUMN sealed;"
                                      " ALTER TABLE record_revisions DROP COLUMN dedup;"
                                      " ALTER TABLE devices DROP COLUMN credential_expires_at;"
                                      " CREATE VIEW records AS SELECT k.uuid, r.form_id,"
                                      " r.form_version, k.revision, k.hlc, k.source AS head_source,"
                                      " r.op = 'delete' AS deleted, r.payload, k.server_seq,"
                                      " r.received_at, r.created_at, r.updated_at, r.author,"
                                      " NULL AS creator_device FROM record_keys k JOIN"
                                      " record_revisions r ON r.server_seq = k.server_seq"
                                      " WHERE k.is_head = 1;"
                                      " DELETE FROM meta WHERE key IN ('receipt_public_key',"
                                      " 'receipt_secret_key', 'dedup_key');"
                                      " INSERT INTO devices(device_id, name, secret_sha256,"
                                      " created_at) VALUES ('" GOLDEN_DEVICE "', 'old',"
                                      " zeroblob(32), 1);"
                                      " DROP TABLE staff_users; DROP TABLE staff_sessions;"
                                      " DROP TABLE staff_logins; DROP TABLE export_audit;"
                                      " DROP INDEX push_batches_by_device;"
                                      " DROP TABLE device_keys;"
                                      " ALTER TABLE devices DROP COLUMN signing_key;"
                                      " ALTER TABLE record_revisions DROP COLUMN device_sig;"
                                      " ALTER TABLE record_revisions DROP COLUMN sig_key;"
                                      " PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
  db_close(c);
  assert_int_equal(db_open(path, DB_OPEN_READONLY, &c, err, sizeof err), SYNC_ERR_NOT_FOUND);
  assert_non_null(strstr(err, "schema version 1"));
  assert_non_null(strstr(err, "syncserver init"));
  assert_int_equal(db_open(path, 0, &c, err, sizeof err), SYNC_OK);
  int64_t id;
  assert_int_equal(db_audit_begin(c, "a", "csv/id", "{}", "-", 1, &id), SYNC_OK);
  assert_int_equal(db_staff_add(c, "siti", "$argon2id$x", 0), SYNC_OK);
  /* version 3: keys made, the old device's credential runs for a year from the upgrade */
  db_keys_t k;
  assert_int_equal(db_keys_get(c, &k), SYNC_OK);
  assert_int_equal(strlen(k.receipt_pk), 44);
  db_keys_wipe(&k);
  db_device_t d;
  assert_int_equal(db_device_get(c, GOLDEN_DEVICE, &d), SYNC_OK);
  assert_true(d.credential_expires_at > db_now_ms() + 364LL * 86400000);
  assert_int_equal(db_security_event(c, "auth_failure", "::1", "", "test", 1), SYNC_OK);
  db_close(c);
  ts_rmtree(dir);
  free(dir);
  free(path);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_html_escaping_covers_markup_quotes_and_bad_bytes),
    cmocka_unit_test(test_catalog_merges_versions_in_a_stable_order),
    cmocka_unit_test(test_filters_accept_only_well_formed_values),
    cmocka_unit_test_setup_teardown(test_dashboard_routes_answer_from_memory, world_setup,
                                    world_teardown),
    cmocka_unit_test_setup_teardown(test_export_goes_through_the_payload_opener, world_setup,
                                    world_teardown),
    cmocka_unit_test(test_rate_limit_blocks_an_address_for_the_rest_of_its_window),
    cmocka_unit_test(test_rate_limit_counts_each_network_as_a_whole),
    cmocka_unit_test(test_a_version_1_database_is_upgraded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
