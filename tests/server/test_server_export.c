/* Central staff on the real server with the reference form: publishing version 2, records of v1
 * and v2 pushed over HTTP as devices send them, exports (CSV and JSON lines) across both
 * versions, filters, the export audit, and a case status set centrally that reaches the device
 * through pull. Expected values are computed here from the pushed payloads and the form files,
 * not through the server's code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "csv_oracle.h"
#include "server_fixture.h"
#include "test_support.h"
#include "tppo_fixture.h"

#define N_A 30   /* v1 records of device A */
#define N_B 20   /* v2 records of device B */
#define N_ALL (N_A + N_B)

static server_t S;
static device_t DEV_A, DEV_B;
static char UUIDS[N_ALL][40];
static cJSON *PAYLOADS[N_ALL];      /* what was pushed, by index */
static int VERSION_OF[N_ALL];
static int EXPORTS;                 /* exports that reached the audit */
static char AFTER_V1[32];           /* pull cursor after the v1 pushes */

static const char *TRICKY_UNIT = "=1+2, \"kutip\"\nbaris dua";

/* Device A's records: 0-9 in Kab. Ponorogo (35.02), 10-19 in Kab. Kolaka (74.04). */
static void edit_a(void *ctx, cJSON *doc, size_t i)
{
  (void)ctx;
  const char *prov = i < 10 ? "35" : i < 20 ? "74" : NULL;
  const char *reg = i < 10 ? "35.02" : "74.04";
  if (prov) {
    cJSON_ReplaceItemInObject(doc, "province", cJSON_CreateString(prov));
    cJSON_ReplaceItemInObject(doc, "regency_code", cJSON_CreateString(reg));
  }
  if (i == 5)
    cJSON_ReplaceItemInObject(doc, "unit_name", cJSON_CreateString(TRICKY_UNIT));
}

static int push_set(const device_t *dev, int version, size_t first, size_t n, tppo_edit_fn edit,
                    unsigned long long seed)
{
  tppo_gen_t *g = tppo_gen_new(seed, version);
  if (!g)
    return -1;
  char **texts = calloc(n, sizeof *texts);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!(texts[i] = tppo_gen_next(g, edit, NULL)))
      rc = -1;
    else
      PAYLOADS[first + i] = cJSON_Parse(texts[i]);
    VERSION_OF[first + i] = version;
  }
  if (rc == 0)
    rc = tppo_push(&S, dev, version, texts, n, UUIDS + first);
  for (size_t i = 0; i < n; i++)
    free(texts[i]);
  free(texts);
  tppo_gen_free(g);
  return rc;
}

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (tppo_prepare(&S) != 0 || add_device(&S, "Laptop PPA Ponorogo 02", NULL, &DEV_A) != 0 ||
      add_device(&S, "Tablet Polres Kolaka", NULL, &DEV_B) != 0 || server_start(&S, NULL) != 0)
    return -1;
  if (push_set(&DEV_A, 1, 0, N_A, edit_a, 7) != 0)
    return -1;
  snprintf(AFTER_V1, sizeof AFTER_V1, "%lld",
           db_scalar(&S, "SELECT value FROM meta WHERE key = 'last_seq'"));
  if (tppo_publish(&S, TPPO_V2) != 0)
    return -1;
  return push_set(&DEV_B, 2, N_A, N_B, NULL, 8);
}

static int group_teardown(void **state)
{
  (void)state;
  for (size_t i = 0; i < N_ALL; i++)
    cJSON_Delete(PAYLOADS[i]);
  assert_int_equal(server_stop(&S, SIGTERM), 0);   /* also: no leak in the server */
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *pstr(const cJSON *doc, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int index_of(const char *uuid)
{
  for (int i = 0; i < N_ALL; i++)
    if (strcmp(UUIDS[i], uuid) == 0)
      return i;
  return -1;
}

/* Runs `syncserver export --db DB --by tester --out FILE ARGS...` and returns the file. */
static char *export_with(int *rc, const char *a1, ...)
{
  const char *args[40] = {"export", "--db", S.db, "--by", "tester.pusat", "--out", NULL};
  char *path = ts_path(S.dir, "export.out");
  args[6] = path;
  int n = 7;
  va_list ap;
  va_start(ap, a1);
  for (const char *a = a1; a && n < 38; a = va_arg(ap, const char *))
    args[n++] = a;
  va_end(ap);
  args[n] = NULL;
  *rc = run_syncserver_argv(NULL, args, NULL);
  char *text = *rc == 0 ? ts_read_file(path, NULL) : NULL;
  remove(path);
  free(path);
  return text;
}

static int has_choice(const cJSON *doc, const char *field, const char *choice)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, field))
    if (strcmp(it->valuestring, choice) == 0)
      return 1;
  return 0;
}

static const char *const PLATFORMS[] = {"facebook", "tiktok", "instagram", "whatsapp",
                                        "telegram", "job_site", "other", "none"};

/* ---- tests --------------------------------------------------------------------------------- */

static void test_published_v2_reaches_devices_through_pull(void **state)
{
  (void)state;
  proto_pull_resp_t *p = tppo_pull(&S, &DEV_A, AFTER_V1);
  assert_non_null(p);
  int found = 0;
  for (size_t i = 0; i < p->n_items; i++)
    if (p->items[i].kind == PROTO_ITEM_FORM && p->items[i].form.version == 2 &&
        strcmp(p->items[i].form.form_id, "tppo_screening") == 0) {
      found = 1;
      assert_non_null(strstr(p->items[i].form.definition, "recruitment_platform"));
    }
  assert_true(found);
  proto_pull_resp_free(p);
  /* Publishing the same file again changes nothing; the records keep their versions. */
  assert_int_equal(tppo_publish(&S, TPPO_V2), 0);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM forms"), 2);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM records WHERE form_version = 1"), N_A);
  assert_int_equal(db_scalar(&S, "SELECT count(*) FROM records WHERE form_version = 2"), N_B);
}

static void test_csv_merges_versions_with_english_labels(void **state)
{
  (void)state;
  int rc;
  char *text = export_with(&rc, "--lang", "en", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  assert_non_null(text);
  csv_t c = csv_parse(text);
  free(text);
  assert_int_equal(c.n_rows, N_ALL + 1);
  static const char *const meta[] = {"uuid", "form_id", "form_version", "revision", "status",
                                     "device_id", "device_name", "device_unit", "received_at",
                                     "last_change_at", "last_change_by", "case_status",
                                     "referral_outcome"};
  for (size_t k = 0; k < sizeof meta / sizeof meta[0]; k++)
    assert_string_equal(c.rows[0][k], meta[k]);
  /* v1's fields in v1's order, then what v2 added. */
  assert_true(csv_col(&c, "interview_date") < csv_col(&c, "sector"));
  assert_true(csv_col(&c, "sector") < csv_col(&c, "officer_notes"));
  assert_true(csv_col(&c, "officer_notes") < csv_col(&c, "recruitment_platform/facebook"));
  assert_int_equal(csv_col(&c, "recruitment_platform/none") + 1,
                   csv_col(&c, "recruitment_platform_other"));
  assert_int_equal(csv_col(&c, "recruitment_platform"), -1);   /* expanded, not one column */
  assert_int_equal(csv_col(&c, "consent_note"), -1);           /* notes hold no answer */
  assert_true(csv_col(&c, "referral_to/uptd_ppa") > 0 && csv_col(&c, "referral_to/none") > 0);
  for (size_t r = 1; r < c.n_rows; r++)
    assert_int_equal(c.n_cells[r], c.n_cells[0]);

  int seen[N_ALL] = {0}, v2_with_platform = 0;
  for (size_t r = 1; r < c.n_rows; r++) {
    int i = index_of(csv_cell(&c, r, "uuid"));
    assert_true(i >= 0);
    seen[i]++;
    const cJSON *p = PAYLOADS[i];
    char version[8];
    snprintf(version, sizeof version, "%d", VERSION_OF[i]);
    assert_string_equal(csv_cell(&c, r, "form_version"), version);
    assert_string_equal(csv_cell(&c, r, "status"), "final");
    assert_string_equal(csv_cell(&c, r, "device_name"),
                        i < N_A ? "Laptop PPA Ponorogo 02" : "Tablet Polres Kolaka");
    assert_string_equal(csv_cell(&c, r, "interview_date"), pstr(p, "interview_date"));
    assert_string_equal(csv_cell(&c, r, "province"),
                        tppo_choice_label(TPPO_V1, "province", pstr(p, "province"), "en"));
    assert_string_equal(csv_cell(&c, r, "consent"),
                        tppo_choice_label(TPPO_V1, "consent", pstr(p, "consent"), "en"));
    assert_string_equal(csv_cell(&c, r, "safe_to_talk"),
                        cJSON_IsTrue(cJSON_GetObjectItem(p, "safe_to_talk")) ? "Yes" : "No");
    const char *sector = pstr(p, "sector");
    assert_string_equal(csv_cell(&c, r, "sector"),
                        sector ? tppo_choice_label(TPPO_V1, "sector", sector, "en") : "");
    const cJSON *child = cJSON_GetObjectItem(p, "is_child");
    assert_string_equal(csv_cell(&c, r, "is_child"),
                        child ? (child->valuedouble != 0 ? "1" : "0") : "");
    assert_string_equal(csv_cell(&c, r, "result_category"),
                        pstr(p, "result_category") ? pstr(p, "result_category") : "");
    const char *refs[] = {"uptd_ppa", "dinsos", "police_investigation", "none"};
    for (int k = 0; k < 4; k++) {
      char col[64];
      snprintf(col, sizeof col, "referral_to/%s", refs[k]);
      const char *want = !cJSON_GetObjectItem(p, "referral_to") ? ""
                         : has_choice(p, "referral_to", refs[k]) ? "1" : "0";
      assert_string_equal(csv_cell(&c, r, col), want);
    }
    for (int k = 0; k < 8; k++) {
      char col[64];
      snprintf(col, sizeof col, "recruitment_platform/%s", PLATFORMS[k]);
      const char *want = !cJSON_GetObjectItem(p, "recruitment_platform") ? ""
                         : has_choice(p, "recruitment_platform", PLATFORMS[k]) ? "1" : "0";
      if (VERSION_OF[i] == 1)
        assert_string_equal(csv_cell(&c, r, col), "");   /* v2's question: empty for v1 rows */
      assert_string_equal(csv_cell(&c, r, col), want);
    }
    v2_with_platform += cJSON_GetObjectItem(p, "recruitment_platform") != NULL;
  }
  for (int i = 0; i < N_ALL; i++)
    assert_int_equal(seen[i], 1);
  assert_true(v2_with_platform >= 10);   /* the sample's consent rate is about 90% */
  csv_free(&c);
}

static void test_csv_indonesian_labels_codes_and_bom(void **state)
{
  (void)state;
  int rc;
  char *id = export_with(&rc, "--bom", NULL);   /* default: Indonesian labels */
  EXPORTS++;
  assert_int_equal(rc, 0);
  assert_memory_equal(id, "\xef\xbb\xbfuuid,", 8);
  csv_t c = csv_parse(id + 3);
  char *codes = export_with(&rc, "--codes", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  assert_int_equal(codes[0], 'u');
  csv_t k = csv_parse(codes);
  assert_int_equal(c.n_rows, k.n_rows);
  for (size_t r = 1; r < c.n_rows; r++) {
    const cJSON *p = PAYLOADS[index_of(csv_cell(&c, r, "uuid"))];
    assert_string_equal(csv_cell(&k, r, "uuid"), csv_cell(&c, r, "uuid"));   /* same order */
    const char *sector = pstr(p, "sector");
    if (sector) {
      assert_string_equal(csv_cell(&c, r, "sector"), tppo_choice_label(TPPO_V1, "sector", sector, "id"));
      assert_string_equal(csv_cell(&k, r, "sector"), sector);
    }
    assert_string_equal(csv_cell(&k, r, "province"), pstr(p, "province"));
    assert_string_equal(csv_cell(&c, r, "safe_to_talk"),
                        cJSON_IsTrue(cJSON_GetObjectItem(p, "safe_to_talk")) ? "Ya" : "Tidak");
    assert_string_equal(csv_cell(&k, r, "safe_to_talk"),
                        cJSON_IsTrue(cJSON_GetObjectItem(p, "safe_to_talk")) ? "true" : "false");
  }
  csv_free(&c);
  csv_free(&k);
  free(id);
  free(codes);
  /* A value no version of the form knows is refused before anything is written. */
  char *bad = export_with(&rc, "--lang", "fr", NULL);
  assert_int_equal(rc, 2);
  assert_null(bad);
}

static void test_csv_quotes_and_guards_free_text(void **state)
{
  (void)state;
  int rc;
  char *text = export_with(&rc, "--codes", "--region", "35.02", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  csv_t c = csv_parse(text);
  free(text);
  int found = 0;
  for (size_t r = 1; r < c.n_rows; r++) {
    if (strcmp(csv_cell(&c, r, "uuid"), UUIDS[5]) != 0)
      continue;
    found = 1;
    /* Quoted (comma, quote, newline), and an apostrophe stops spreadsheets running it. */
    char want[128];
    snprintf(want, sizeof want, "'%s", TRICKY_UNIT);
    assert_string_equal(csv_cell(&c, r, "unit_name"), want);
  }
  assert_true(found);
  csv_free(&c);
  text = export_with(&rc, "--codes", "--region", "35.02", "--raw-text", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  c = csv_parse(text);
  free(text);
  for (size_t r = 1; r < c.n_rows; r++)
    if (strcmp(csv_cell(&c, r, "uuid"), UUIDS[5]) == 0)
      assert_string_equal(csv_cell(&c, r, "unit_name"), TRICKY_UNIT);
  csv_free(&c);
}

static void test_jsonl_has_one_typed_object_per_record(void **state)
{
  (void)state;
  int rc;
  char *text = export_with(&rc, "--format", "jsonl", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  char *labels = export_with(&rc, "--format", "jsonl", "--lang", "en", NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  int lines = 0;
  char *save1 = NULL, *save2 = NULL;
  char *l2 = strtok_r(labels, "\n", &save2);
  for (char *line = strtok_r(text, "\n", &save1); line; line = strtok_r(NULL, "\n", &save1)) {
    lines++;
    cJSON *o = cJSON_Parse(line), *e = cJSON_Parse(l2);
    assert_non_null(o);
    assert_non_null(e);
    int i = index_of(pstr(o, "uuid"));
    assert_true(i >= 0);
    const cJSON *p = PAYLOADS[i];
    assert_int_equal(cJSON_GetObjectItem(o, "form_version")->valueint, VERSION_OF[i]);
    assert_int_equal(cJSON_GetObjectItem(o, "revision")->valueint, 1);
    /* codes by default, typed values, select_multiple as arrays, null for no answer */
    assert_string_equal(pstr(o, "province"), pstr(p, "province"));
    assert_true(cJSON_Compare(cJSON_GetObjectItem(o, "safe_to_talk"),
                              cJSON_GetObjectItem(p, "safe_to_talk"), 1));
    const cJSON *rp = cJSON_GetObjectItem(o, "recruitment_platform");
    if (cJSON_GetObjectItem(p, "recruitment_platform"))
      assert_true(cJSON_Compare(rp, cJSON_GetObjectItem(p, "recruitment_platform"), 1));
    else
      assert_true(cJSON_IsNull(rp));
    if (cJSON_GetObjectItem(p, "age_years"))
      assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "age_years")));
    /* with --lang: labels, same order of records */
    assert_string_equal(pstr(e, "uuid"), pstr(o, "uuid"));
    assert_string_equal(pstr(e, "province"),
                        tppo_choice_label(TPPO_V1, "province", pstr(p, "province"), "en"));
    cJSON_Delete(o);
    cJSON_Delete(e);
    l2 = strtok_r(NULL, "\n", &save2);
  }
  assert_null(l2);
  assert_int_equal(lines, N_ALL);
  free(text);
  free(labels);
}

/* Number of data rows of a CSV export with the given filter arguments. */
static int rows_with(const char *a, const char *b, const char *c, const char *d)
{
  int rc;
  char *text = export_with(&rc, "--codes", a, b, c, d, NULL);
  EXPORTS++;
  assert_int_equal(rc, 0);
  int n = -1;
  for (char *p = text; p && *p; p++)
    n += *p == '\n';   /* no embedded newline outside record 5's unit name */
  if (strstr(text, "baris dua"))
    n--;
  free(text);
  return n;
}

static const char *effective_result(const cJSON *p)
{
  const cJSON *agrees = cJSON_GetObjectItem(p, "officer_agrees");
  if (cJSON_IsFalse(agrees) && pstr(p, "officer_result"))
    return pstr(p, "officer_result");
  return pstr(p, "result_category");
}

static void test_filters_select_the_expected_records(void **state)
{
  (void)state;
  int p35 = 0, r3502 = 0, p74 = 0, in_period = 0, strong = 0;
  for (int i = 0; i < N_ALL; i++) {
    const cJSON *p = PAYLOADS[i];
    p35 += strcmp(pstr(p, "province"), "35") == 0;
    p74 += strcmp(pstr(p, "province"), "74") == 0;
    r3502 += strncmp(pstr(p, "regency_code"), "35.02", 5) == 0;
    const char *d = pstr(p, "interview_date");
    in_period += strcmp(d, "2026-01-01") >= 0 && strcmp(d, "2026-06-30") <= 0;
    const char *res = effective_result(p);
    strong += res && strcmp(res, "strong_indication") == 0;
  }
  assert_true(p35 >= 10 && p74 >= 10 && r3502 >= 10);
  assert_int_equal(rows_with("--region", "35", NULL, NULL), p35);
  assert_int_equal(rows_with("--region", "35.02", NULL, NULL), r3502);
  assert_int_equal(rows_with("--region", "35,74", NULL, NULL), p35 + p74);
  assert_int_equal(rows_with("--from", "2026-01-01", "--to", "2026-06-30"), in_period);
  assert_int_equal(rows_with("--result", "strong_indication", NULL, NULL), strong);
  assert_int_equal(rows_with("--form", "tppo_screening", NULL, NULL), N_ALL);
  /* Received today (UTC): all of them; from tomorrow: none. */
  time_t now = time(NULL);
  char today[16], tomorrow[16];
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(today, sizeof today, "%Y-%m-%d", &tm);
  now += 86400;
  gmtime_r(&now, &tm);
  strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
  assert_int_equal(rows_with("--date", "received", "--from", today), N_ALL);
  assert_int_equal(rows_with("--date", "received", "--from", tomorrow), 0);
  /* Bad filters are usage errors (exit 2) and never reach the audit. */
  int rc;
  assert_null(export_with(&rc, "--region", "Jawa", NULL));
  assert_int_equal(rc, 2);
  assert_null(export_with(&rc, "--from", "2026-02-30", NULL));
  assert_int_equal(rc, 2);
  /* An unknown form is found out once the export started: audited as failed. */
  assert_null(export_with(&rc, "--form", "no_such_form", NULL));
  assert_int_equal(rc, 1);
  EXPORTS++;
  /* records lists with the same filters */
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "records", "--db", S.db, "--region", "74", "--json", NULL), 0);
  cJSON *arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), p74);
  cJSON_Delete(arr);
}

static long long revisions(void)
{
  return db_scalar(&S, "SELECT count(*) FROM record_revisions");
}

static void test_set_status_is_checked_and_reaches_the_creator_through_pull(void **state)
{
  (void)state;
  const char *uuid = UUIDS[0];
  long long before = revisions();
  /* Values must be choices of the record's own form version. */
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "closedd", "--by", "siti.rahma", NULL), 1);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--referral", "somewhere", "--by", "siti.rahma",
                                  NULL), 1);
  assert_int_equal(revisions(), before);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--referral", "accepted_by_uptd_ppa", "--by",
                                  "siti.rahma", NULL), 0);
  assert_int_equal(revisions(), before + 1);
  /* A v2 record takes the same choices, checked against v2. */
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, UUIDS[N_A],
                                  "--status", "in_review", "--by", "siti.rahma", NULL), 0);

  /* The device that made the record gets the central revision through pull... */
  proto_pull_resp_t *p = tppo_pull(&S, &DEV_A, AFTER_V1);
  assert_non_null(p);
  int found = 0;
  for (size_t i = 0; i < p->n_items; i++) {
    const proto_pull_item_t *it = &p->items[i];
    if (it->kind != PROTO_ITEM_RECORD || strcmp(it->record.uuid, uuid) != 0)
      continue;
    found++;
    assert_int_equal(it->record.origin, PROTO_ORIGIN_CENTRAL);
    assert_string_equal(it->record.author, "siti.rahma");
    assert_int_equal(it->record.revision, 2);
    assert_int_equal(it->record.base_revision, 1);
    cJSON *payload = cJSON_Parse(it->record.payload);
    assert_string_equal(pstr(payload, "case_status"), "referred");
    assert_string_equal(pstr(payload, "referral_outcome"), "accepted_by_uptd_ppa");
    assert_string_equal(pstr(payload, "interview_date"), pstr(PAYLOADS[0], "interview_date"));
    cJSON_Delete(payload);
  }
  assert_int_equal(found, 1);
  proto_pull_resp_free(p);
  /* ...and no other device does. */
  p = tppo_pull(&S, &DEV_B, NULL);
  assert_non_null(p);
  for (size_t i = 0; i < p->n_items; i++)
    if (p->items[i].kind == PROTO_ITEM_RECORD)
      assert_string_not_equal(p->items[i].record.uuid, uuid);
  proto_pull_resp_free(p);

  /* The case status filter and the export see it. */
  assert_int_equal(rows_with("--case-status", "referred", NULL, NULL), 1);
  assert_int_equal(rows_with("--case-status", "new", NULL, NULL), N_ALL - 2);
  int rc;
  char *text = export_with(&rc, "--codes", "--case-status", "referred", NULL);
  EXPORTS++;
  csv_t c = csv_parse(text);
  free(text);
  assert_string_equal(csv_cell(&c, 1, "uuid"), uuid);
  assert_string_equal(csv_cell(&c, 1, "revision"), "2");
  assert_string_equal(csv_cell(&c, 1, "last_change_by"), "siti.rahma");
  assert_string_equal(csv_cell(&c, 1, "case_status"), "referred");
  assert_string_equal(csv_cell(&c, 1, "referral_outcome"), "accepted_by_uptd_ppa");
  csv_free(&c);
}

static char *first_hlc(const char *uuid)
{
  sqlite3 *h;
  sqlite3_stmt *st;
  char *out = NULL;
  assert_int_equal(sqlite3_open_v2(S.db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_prepare_v2(h, "SELECT hlc FROM record_revisions WHERE uuid = ?1 AND revision = 1", -1,
                     &st, NULL);
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    out = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

static void test_device_list_shows_last_sync_and_pending_conflicts(void **state)
{
  (void)state;
  /* Offline, device A also changed record 0 (its own notes, and a status it should not set). */
  char *base = first_hlc(UUIDS[0]), hlc[64];
  assert_non_null(base);
  make_hlc(hlc, 1790000000000LL, 0, DEV_A.id);
  cJSON *p = cJSON_Duplicate(PAYLOADS[0], 1);
  cJSON_DeleteItemFromObject(p, "case_status");
  cJSON_AddStringToObject(p, "case_status", "closed");
  char *payload = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  char *ch = make_change(UUIDS[0], 2, 1, base, hlc, "upsert", payload);
  char batch[40];
  make_uuid(batch);
  char *body = make_push(DEV_A.id, batch, &ch, 1);
  reply_t r;
  assert_int_equal(http_call(&S, "POST", "/v1/push", &DEV_A, NULL, body, strlen(body), 0, &r), 0);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.body, "\"outcome\":\"conflict\""));
  reply_free(&r);
  free(body);
  free(ch);
  free(payload);
  free(base);

  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "device", "list", "--db", S.db, "--json", NULL), 0);
  cJSON *arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), 2);
  const cJSON *d;
  cJSON_ArrayForEach(d, arr) {
    int is_a = strcmp(pstr(d, "device_id"), DEV_A.id) == 0;
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "last_push_at")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(d, "last_seen_at")));
    assert_int_equal(cJSON_GetObjectItem(d, "pending_conflicts")->valueint, is_a ? 1 : 0);
    assert_int_equal(cJSON_GetObjectItem(d, "records_received")->valueint, is_a ? N_A + 1 : N_B);
  }
  cJSON_Delete(arr);
  /* The human listing has the same columns. */
  assert_int_equal(run_syncserver(&out, "device", "list", "--db", S.db, NULL), 0);
  assert_non_null(strstr(out, "LAST PUSH"));
  assert_non_null(strstr(out, "CONFLICTS"));
  free(out);
}

static void test_deleted_records_leave_the_default_export(void **state)
{
  (void)state;
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, UUIDS[N_ALL - 1],
                                  "--by", "admin.pusat", NULL), 0);
  assert_int_equal(rows_with(NULL, NULL, NULL, NULL), N_ALL - 1);
  assert_int_equal(rows_with("--status", "deleted", NULL, NULL), 1);
  assert_int_equal(rows_with("--status", "all", NULL, NULL), N_ALL);
}

static void test_audit_has_exactly_one_line_per_export(void **state)
{
  (void)state;
  /* An export that fails after it started is audited too (outcome failed). */
  int rc;
  assert_null(export_with(&rc, "--omit", "no_such_field", NULL));
  assert_int_equal(rc, 2);
  EXPORTS++;
  /* Without --by nothing is exported and nothing is audited. */
  const char *args[] = {"export", "--db", S.db, NULL};
  char *out = NULL;
  assert_int_equal(run_syncserver_argv(&out, args, NULL), 2);
  assert_string_equal(out, "");
  free(out);

  char path[1024];
  snprintf(path, sizeof path, "%s.export-audit.log", S.db);
  char *log = ts_read_file(path, NULL);
  assert_non_null(log);
  int lines = 0, failed = 0;
  char *save = NULL;
  for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lines++;
    cJSON *o = cJSON_Parse(line);
    assert_non_null(o);
    assert_string_equal(pstr(o, "by"), "tester.pusat");
    assert_non_null(pstr(o, "format"));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(o, "filter")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "records")));
    failed += strcmp(pstr(o, "outcome"), "failed") == 0;
    cJSON_Delete(o);
  }
  free(log);
  assert_int_equal(lines, EXPORTS);
  assert_int_equal(failed, 2);

  assert_int_equal(run_syncserver(&out, "audit", "--db", S.db, "--json", NULL), 0);
  cJSON *doc = cJSON_Parse(out);
  free(out);
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "exports");
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "security")));
  assert_int_equal(cJSON_GetArraySize(arr), EXPORTS);
  const cJSON *first = cJSON_GetArrayItem(arr, EXPORTS - 1);   /* newest first */
  assert_string_equal(pstr(first, "format"), "csv/en");
  assert_int_equal(cJSON_GetObjectItem(first, "records")->valueint, N_ALL);
  assert_string_equal(pstr(first, "outcome"), "ok");
  cJSON_Delete(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_published_v2_reaches_devices_through_pull),
    cmocka_unit_test(test_csv_merges_versions_with_english_labels),
    cmocka_unit_test(test_csv_indonesian_labels_codes_and_bom),
    cmocka_unit_test(test_csv_quotes_and_guards_free_text),
    cmocka_unit_test(test_jsonl_has_one_typed_object_per_record),
    cmocka_unit_test(test_filters_select_the_expected_records),
    cmocka_unit_test(test_set_status_is_checked_and_reaches_the_creator_through_pull),
    cmocka_unit_test(test_device_list_shows_last_sync_and_pending_conflicts),
    cmocka_unit_test(test_deleted_records_leave_the_default_export),
    cmocka_unit_test(test_audit_has_exactly_one_line_per_export),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
