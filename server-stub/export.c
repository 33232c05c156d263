/* Streamed CSV / JSON-lines exports and their audit (export.h).
 *
 * CSV cells: RFC 4180 (a cell with a comma, quote, CR or LF is quoted, quotes doubled; rows end
 * with CRLF), UTF-8 (invalid sequences replaced by U+FFFD).
 *
 * The formula guard (SECURITY.md "Exports and clear values"): every cell, header and metadata
 * included, that starts with = + - @ TAB or CR (or the full-width = + - @, which spreadsheet
 * programs also read as operators) is written quoted with a leading apostrophe, so that a
 * spreadsheet shows it as text instead of running it. Every answer and most metadata come from a
 * device, and sealed answers were never checked by the server. The one exception is a number in a
 * numeric column (integer, decimal, calculated; form version, revision): a JSON number, or a text
 * that is only an optional minus, digits and an optional fraction, is written as it is so that
 * -3 stays a number. raw_text (--raw-text) turns the guard off for free-text answers only.
 * JSON lines are for programs and carry every value as JSON, unguarded.
 */
#include "export.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"
#include "form_seal.h"
#include "pfor.h"
#include "sbuf.h"

/* M_SEALED and M_INTEGRITY are columns only for forms with an encrypted version. */
enum meta {
  M_UUID, M_FORM_ID, M_FORM_VERSION, M_REVISION, M_STATUS, M_SEALED, M_INTEGRITY, M_DEVICE_ID,
  M_DEVICE_NAME, M_DEVICE_UNIT, M_RECEIVED_AT, M_LAST_CHANGE_AT, M_LAST_CHANGE_BY, M_COUNT
};
static const char *const META_NAMES[M_COUNT] = {
  "uuid", "form_id", "form_version", "revision", "status", "sealed", "integrity", "device_id",
  "device_name", "device_unit", "received_at", "last_change_at", "last_change_by"};

/* One output column: metadata, a field, or one choice of a select_multiple field (CSV). */
typedef struct out_col {
  int meta;     /* enum meta, or -1 */
  int col;      /* catalog column, or -1 */
  int choice;   /* choice index for an expanded select_multiple, else -1 */
} out_col_t;

typedef struct row {
  const char *uuid, *form_id, *device_id, *device_name, *device_unit, *head_source, *author;
  int version, deleted;
  exp_opened_t opened;         /* what the opener said: sealed answers left closed, integrity */
  int64_t revision, first_received, last_change;
  const cat_version_t *v;
  const cJSON **vals;          /* per catalog column */
} row_t;

typedef struct exporter {
  const exp_options_t *o;
  const catalog_t *cat;
  out_col_t *cols;
  size_t n_cols;
  sbuf_t line;
} exporter_t;

static const char *iso_time(int64_t ms, char *buf, size_t len)
{
  if (ms <= 0) {
    buf[0] = '\0';
    return buf;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

static void fmt_number(char *buf, size_t n, double d)
{
  if (!isfinite(d)) {
    buf[0] = '\0';
  } else if (d == floor(d) && fabs(d) < 9007199254740992.0) {
    snprintf(buf, n, "%lld", (long long)d);
  } else {
    snprintf(buf, n, "%.15g", d);
    if (strtod(buf, NULL) != d)
      snprintf(buf, n, "%.17g", d);
  }
}

/* ---- plan --------------------------------------------------------------------------------- */

static int omitted(const exp_options_t *o, const char *name)
{
  for (size_t i = 0; o->omit && o->omit[i]; i++)
    if (strcmp(o->omit[i], name) == 0)
      return 1;
  return 0;
}

static int plan_add(exporter_t *x, size_t *cap, int meta, int col, int choice)
{
  if (x->n_cols == *cap) {
    size_t ncap = *cap ? *cap * 2 : 256;
    out_col_t *n = realloc(x->cols, ncap * sizeof *n);
    if (!n)
      return -1;
    x->cols = n;
    *cap = ncap;
  }
  x->cols[x->n_cols++] = (out_col_t){meta, col, choice};
  return 0;
}

/* Metadata, then the fields central staff set (case status, referral outcome), then every other
 * field in catalog order. */
static int plan(exporter_t *x)
{
  size_t cap = 0;
  const catalog_t *cat = x->cat;
  int encrypted = 0;
  for (size_t v = 0; v < cat->n_versions; v++)
    encrypted |= form_is_encrypted(cat->versions[v].form);
  for (int m = 0; m < M_COUNT; m++)
    if (((m != M_SEALED && m != M_INTEGRITY) || encrypted) && plan_add(x, &cap, m, -1, -1) != 0)
      return -1;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t c = 0; c < cat->n_cols; c++) {
      const cat_col_t *col = &cat->cols[c];
      if ((pass == 0) != (col->central != 0) || omitted(x->o, col->name))
        continue;
      if (x->o->format == EXP_CSV && col->type == FIELD_SELECT_MULTIPLE) {
        for (size_t ci = 0; ci < col->n_choices; ci++)
          if (plan_add(x, &cap, -1, (int)c, (int)ci) != 0)
            return -1;
      } else if (plan_add(x, &cap, -1, (int)c, -1) != 0) {
        return -1;
      }
    }
  }
  return 0;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

/* "-12", "3.5": what a numeric column may hold as it is (no exponent, no plus, no spaces). */
static int plain_number(const char *s)
{
  const char *p = s + (s[0] == '-');
  if (!(*p >= '0' && *p <= '9'))
    return 0;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == '.') {
    if (!(p[1] >= '0' && p[1] <= '9'))
      return 0;
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  }
  return *p == '\0';
}

/* 1 when a spreadsheet would read the cell as a formula: = + - @ TAB CR, or full-width = + - @
 * (U+FF1D, U+FF0B, U+FF0D, U+FF20). */
static int formula_start(const char *s)
{
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] == '=' || u[0] == '+' || u[0] == '-' || u[0] == '@' || u[0] == '\t' || u[0] == '\r')
    return 1;
  return u[0] == 0xEF && u[1] == 0xBC &&
         (u[2] == 0x9D || u[2] == 0x8B || u[2] == 0x8D || u[2] == 0xA0);
}

/* Cell kinds: text is always guarded, a number cell only when it is not a plain number, raw
 * text (--raw-text on a free-text answer) never. */
enum cell_kind { CELL_TEXT, CELL_NUMBER, CELL_RAW };

static void csv_cell(sbuf_t *b, const char *s, enum cell_kind kind)
{
  size_t n = strlen(s);
  int formula = kind != CELL_RAW && formula_start(s) && !(kind == CELL_NUMBER && plain_number(s));
  int quote = formula;
  for (size_t i = 0; i < n && !quote; i++)
    quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
  if (quote)
    sbuf_putc(b, '"');
  if (formula)
    sbuf_putc(b, '\'');
  for (size_t i = 0; i < n;) {
    size_t start = i, end = i + utf8_valid_prefix(s + i, n - i);
    for (size_t k = start; k < end; k++)
      if (s[k] == '"') {
        sbuf_add(b, s + start, k + 1 - start);
        sbuf_putc(b, '"');
        start = k + 1;
      }
    sbuf_add(b, s + start, end - start);
    i = end;
    if (i < n) {
      sbuf_puts(b, "\xef\xbf\xbd");   /* U+FFFD for an invalid byte */
      i++;
    }
  }
  if (quote)
    sbuf_putc(b, '"');
}

static int numeric_column(const cat_col_t *col)
{
  return col->type == FIELD_INTEGER || col->type == FIELD_DECIMAL || col->type == FIELD_CALCULATE;
}

static const char *choice_text(const exporter_t *x, const row_t *r, int col, const char *name)
{
  if (!x->o->lang)
    return name;
  int ci = catalog_choice(&x->cat->cols[col], name);
  return ci < 0 ? name : catalog_choice_label(x->cat, r->v, (size_t)col, (size_t)ci, x->o->lang);
}

static int array_has(const cJSON *arr, const char *name)
{
  const cJSON *it;
  cJSON_ArrayForEach(it, arr)
    if (cJSON_IsString(it) && strcmp(it->valuestring, name) == 0)
      return 1;
  return 0;
}

/* A field's value as CSV text: every cell through csv_cell, numbers as numbers only in numeric
 * columns. */
static void csv_value(const exporter_t *x, const row_t *r, const out_col_t *oc, sbuf_t *b)
{
  const cat_col_t *col = &x->cat->cols[oc->col];
  const cJSON *v = r->vals[oc->col];
  char num[64];
  if (!v || cJSON_IsNull(v))
    return;
  if (oc->choice >= 0) {
    if (cJSON_IsArray(v))
      sbuf_putc(b, array_has(v, col->choices[oc->choice]) ? '1' : '0');
    return;
  }
  enum cell_kind kind = numeric_column(col) ? CELL_NUMBER : CELL_TEXT;
  if (cJSON_IsString(v)) {
    if (col->type == FIELD_SELECT_ONE)
      csv_cell(b, choice_text(x, r, oc->col, v->valuestring), CELL_TEXT);
    else
      csv_cell(b, v->valuestring, x->o->raw_text && col->type == FIELD_TEXT ? CELL_RAW : kind);
  } else if (cJSON_IsBool(v)) {
    int t = cJSON_IsTrue(v);
    csv_cell(b, x->o->lang ? catalog_yes_no(t, x->o->lang) : t ? "true" : "false", CELL_TEXT);
  } else if (cJSON_IsNumber(v)) {
    fmt_number(num, sizeof num, v->valuedouble);
    csv_cell(b, num, kind);
  } else if (cJSON_IsArray(v)) {
    sbuf_t tmp;
    sbuf_init(&tmp);
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
      if (tmp.len)
        sbuf_putc(&tmp, ' ');
      if (cJSON_IsString(it))
        sbuf_puts(&tmp, it->valuestring);
    }
    csv_cell(b, tmp.data ? tmp.data : "", CELL_TEXT);
    sbuf_free(&tmp);
  } else {
    char *t = cJSON_PrintUnformatted(v);
    csv_cell(b, t ? t : "", CELL_TEXT);
    free(t);
  }
}

static void meta_text(const row_t *r, int m, char *buf, size_t len, const char **out)
{
  switch (m) {
  case M_UUID: *out = r->uuid; break;
  case M_FORM_ID: *out = r->form_id; break;
  case M_FORM_VERSION: snprintf(buf, len, "%d", r->version); *out = buf; break;
  case M_REVISION: snprintf(buf, len, "%lld", (long long)r->revision); *out = buf; break;
  case M_STATUS: *out = r->deleted ? "deleted" : "final"; break;
  case M_SEALED: *out = r->opened.sealed_left ? "1" : "0"; break;
  case M_INTEGRITY: *out = r->opened.integrity ? r->opened.integrity : ""; break;
  case M_DEVICE_ID: *out = r->device_id; break;
  case M_DEVICE_NAME: *out = r->device_name; break;
  case M_DEVICE_UNIT: *out = r->device_unit; break;
  case M_RECEIVED_AT: *out = iso_time(r->first_received, buf, len); break;
  case M_LAST_CHANGE_AT: *out = iso_time(r->last_change, buf, len); break;
  default:
    *out = strcmp(r->head_source, "central") == 0 ? (r->author[0] ? r->author : "central")
                                                  : "device";
    break;
  }
}

static void csv_header(exporter_t *x)
{
  sbuf_t *b = &x->line;
  sbuf_reset(b);
  if (x->o->bom)
    sbuf_puts(b, "\xef\xbb\xbf");
  for (size_t i = 0; i < x->n_cols; i++) {
    const out_col_t *oc = &x->cols[i];
    if (i)
      sbuf_putc(b, ',');
    if (oc->meta >= 0) {
      csv_cell(b, META_NAMES[oc->meta], CELL_TEXT);
    } else {
      const cat_col_t *col = &x->cat->cols[oc->col];
      if (oc->choice >= 0) {
        sbuf_t name;
        sbuf_init(&name);
        sbuf_printf(&name, "%s/%s", col->name, col->choices[oc->choice]);
        csv_cell(b, name.data ? name.data : "", CELL_TEXT);
        sbuf_free(&name);
      } else {
        csv_cell(b, col->name, CELL_TEXT);
      }
    }
  }
  sbuf_puts(b, "\r\n");
}

static void csv_row(exporter_t *x, const row_t *r)
{
  sbuf_t *b = &x->line;
  sbuf_reset(b);
  char buf[64];
  for (size_t i = 0; i < x->n_cols; i++) {
    const out_col_t *oc = &x->cols[i];
    if (i)
      sbuf_putc(b, ',');
    if (oc->meta >= 0) {
      const char *t;
      meta_text(r, oc->meta, buf, sizeof buf, &t);
      csv_cell(b, t ? t : "", oc->meta == M_FORM_VERSION || oc->meta == M_REVISION
                                  ? CELL_NUMBER : CELL_TEXT);
    } else {
      csv_value(x, r, oc, b);
    }
  }
  sbuf_puts(b, "\r\n");
}

/* ---- JSON lines --------------------------------------------------------------------------- */

static void json_value(const exporter_t *x, const row_t *r, int c, sbuf_t *b)
{
  const cat_col_t *col = &x->cat->cols[c];
  const cJSON *v = r->vals[c];
  char num[64];
  if (!v || cJSON_IsNull(v)) {
    sbuf_puts(b, "null");
  } else if (cJSON_IsString(v)) {
    sbuf_json_str(b, col->type == FIELD_SELECT_ONE ? choice_text(x, r, c, v->valuestring)
                                                   : v->valuestring);
  } else if (cJSON_IsBool(v)) {
    sbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsNumber(v)) {
    fmt_number(num, sizeof num, v->valuedouble);
    sbuf_puts(b, num[0] ? num : "null");
  } else if (cJSON_IsArray(v) && col->type == FIELD_SELECT_MULTIPLE) {
    sbuf_putc(b, '[');
    const cJSON *it;
    int n = 0;
    cJSON_ArrayForEach(it, v) {
      if (!cJSON_IsString(it))
        continue;
      if (n++)
        sbuf_putc(b, ',');
      sbuf_json_str(b, choice_text(x, r, c, it->valuestring));
    }
    sbuf_putc(b, ']');
  } else {
    char *t = cJSON_PrintUnformatted(v);
    sbuf_puts(b, t ? t : "null");
    free(t);
  }
}

static void json_row(exporter_t *x, const row_t *r)
{
  sbuf_t *b = &x->line;
  sbuf_reset(b);
  char buf[64];
  sbuf_putc(b, '{');
  for (size_t i = 0; i < x->n_cols; i++) {
    const out_col_t *oc = &x->cols[i];
    if (i)
      sbuf_putc(b, ',');
    if (oc->meta >= 0) {
      sbuf_json_str(b, META_NAMES[oc->meta]);
      sbuf_putc(b, ':');
      if (oc->meta == M_FORM_VERSION || oc->meta == M_REVISION || oc->meta == M_SEALED) {
        sbuf_printf(b, "%lld", oc->meta == M_REVISION ? (long long)r->revision
                               : oc->meta == M_SEALED ? (long long)r->opened.sealed_left
                                                      : (long long)r->version);
      } else {
        const char *t;
        meta_text(r, oc->meta, buf, sizeof buf, &t);
        sbuf_json_str(b, t ? t : "");
      }
    } else {
      sbuf_json_str(b, x->cat->cols[oc->col].name);
      sbuf_putc(b, ':');
      json_value(x, r, oc->col, b);
    }
  }
  sbuf_puts(b, "}\n");
}

/* ---- the run ------------------------------------------------------------------------------- */

/* The form to export: the filter's, else the only published one. */
static sync_err_t resolve_form(db_conn_t *c, rq_filter_t *f, char *err, size_t errlen)
{
  if (f->form_id[0])
    return SYNC_OK;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT DISTINCT form_id FROM forms ORDER BY form_id", -1, &st,
                         NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  int n = 0;
  sbuf_t names;
  sbuf_init(&names);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (n++ == 0)
      snprintf(f->form_id, sizeof f->form_id, "%s", id ? id : "");
    sbuf_printf(&names, "%s%s", n > 1 ? ", " : "", id ? id : "");
  }
  sqlite3_finalize(st);
  sync_err_t e = SYNC_OK;
  if (n == 0) {
    snprintf(err, errlen, "no form is published");
    e = SYNC_ERR_NOT_FOUND;
  } else if (n > 1) {
    snprintf(err, errlen, "several forms are published (%s): choose one with --form",
             names.data ? names.data : "");
    f->form_id[0] = '\0';
    e = SYNC_ERR_INVALID_ARG;
  }
  sbuf_free(&names);
  return e;
}

/* ---- rows read ahead and opened together ------------------------------------------------- */

/* Rows read ahead of the opening: enough to keep the threads busy, few enough (a few MiB) to
 * keep memory flat. */
#define BATCH_ROWS 256

/* A row copied out of the statement (its texts live in `block`), then opened and formatted. */
typedef struct pending {
  row_t r;
  exp_stored_t rec;
  char *block;
  int refused;      /* the opener could not read the record: why */
  char why[200];
  char *out;        /* the formatted line (NULL when refused or out of memory) */
  size_t out_len;
} pending_t;

/* What the threads of one batch share; each thread t formats with its own exporter x[t] (its own
 * line buffer, same plan) and its own answer slots vals[t * n_cols ...]. */
typedef struct batch {
  exp_open_fn open;
  void *open_ctx;
  pending_t *rows;
  exporter_t *x;
  const cJSON **vals;
  size_t n_cols;
} batch_t;

/* Threads for a batch: one per processor (pfor_run caps it). */
static size_t batch_threads(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : (size_t)n;
}

/* The current row of export_run's query into p, its texts copied into p->block. -1 when out of
 * memory. */
static int pending_take(sqlite3_stmt *st, pending_t *p)
{
  /* uuid, form_id, creator_device, device name, unit, head_source, author, payload, sealed */
  enum { N_TEXT = 9, PAYLOAD = 7, SEALED = 8 };
  static const int cols[N_TEXT] = {0, 1, 5, 6, 7, 10, 11, 12, 13};
  const char *src[N_TEXT];
  char *dst[N_TEXT];
  size_t len[N_TEXT], total = 0;
  for (int k = 0; k < N_TEXT; k++) {
    src[k] = k == PAYLOAD ? (const char *)sqlite3_column_blob(st, cols[k])
                          : (const char *)sqlite3_column_text(st, cols[k]);
    len[k] = (size_t)sqlite3_column_bytes(st, cols[k]);
    total += len[k] + 1;
  }
  memset(p, 0, sizeof *p);
  if (!(p->block = malloc(total)))
    return -1;
  char *w = p->block;
  for (int k = 0; k < N_TEXT; k++) {
    dst[k] = w;
    if (len[k])
      memcpy(w, src[k], len[k]);
    w[len[k]] = '\0';
    w += len[k] + 1;
  }
  p->r = (row_t){
    .uuid = dst[0], .form_id = dst[1], .version = sqlite3_column_int(st, 2),
    .revision = sqlite3_column_int64(st, 3), .deleted = sqlite3_column_int(st, 4),
    .device_id = dst[2], .device_name = dst[3], .device_unit = dst[4],
    .first_received = sqlite3_column_int64(st, 8), .last_change = sqlite3_column_int64(st, 9),
    .head_source = dst[5], .author = dst[6]};
  p->rec = (exp_stored_t){.uuid = dst[0], .form_id = dst[1], .form_version = p->r.version,
                          .payload = dst[PAYLOAD], .payload_len = len[PAYLOAD],
                          .sealed = src[SEALED] ? dst[SEALED] : NULL};
  return 0;
}

/* Row i on thread t: opened (an X25519 for a sealed record) and formatted, both in parallel with
 * the other rows; the answers are freed by the thread that made them. */
static void open_and_format(void *ctx, size_t t, size_t i)
{
  batch_t *b = ctx;
  pending_t *p = &b->rows[i];
  exporter_t *x = &b->x[t];
  const cJSON **vals = b->vals + t * b->n_cols;
  memset(&p->r.opened, 0, sizeof p->r.opened);
  cJSON *answers = b->open(b->open_ctx, &p->rec, &p->r.opened, p->why, sizeof p->why);
  if (!answers) {
    p->refused = 1;
    return;
  }
  p->r.v = catalog_version(x->cat, p->r.version);
  p->r.vals = vals;
  memset(vals, 0, b->n_cols * sizeof *vals);
  const cJSON *it;
  cJSON_ArrayForEach(it, answers) {
    int col = it->string ? catalog_col(x->cat, it->string, strlen(it->string)) : -1;
    if (col >= 0)
      vals[col] = it;
  }
  if (x->o->format == EXP_CSV)
    csv_row(x, &p->r);
  else
    json_row(x, &p->r);
  if (!sbuf_failed(&x->line) && (p->out = malloc(x->line.len ? x->line.len : 1))) {
    memcpy(p->out, x->line.data, x->line.len);
    p->out_len = x->line.len;
  }
  cJSON_Delete(answers);
}

/* Writes a formatted row, or names it on stderr (and in err) when the opener refused it. */
static sync_err_t emit(const pending_t *p, FILE *out, exp_result_t *res, char *err, size_t errlen)
{
  if (p->refused) {
    fprintf(stderr, "syncserver: record %s not exported: %s\n", p->r.uuid, p->why);
    if (res->unreadable++ == 0)
      snprintf(err, errlen, "record(s) not exported because they cannot be read: %s", p->r.uuid);
    else if (res->unreadable <= 5 && strlen(err) + PROTO_UUID_LEN + 3 < errlen)
      snprintf(err + strlen(err), errlen - strlen(err), ", %s", p->r.uuid);
    return SYNC_OK;
  }
  if (!p->out)
    return SYNC_ERR_NOMEM;
  if (fwrite(p->out, 1, p->out_len, out) != p->out_len) {
    snprintf(err, errlen, "write failed: %s", strerror(errno));
    return SYNC_ERR_IO;
  }
  res->records++;
  return SYNC_OK;
}

sync_err_t export_run(db_conn_t *c, const exp_options_t *o, FILE *out, exp_result_t *res,
                      char *err, size_t errlen)
{
  memset(res, 0, sizeof *res);
  if (errlen)
    err[0] = '\0';
  rq_filter_t f = o->filter;
  sync_err_t e = resolve_form(c, &f, err, errlen);
  if (e != SYNC_OK)
    return e;
  snprintf(res->form_id, sizeof res->form_id, "%s", f.form_id);

  catalog_t *cat = NULL;
  sqlite3_stmt *st = NULL;
  const cJSON **vals = NULL;
  pending_t *rows = NULL;
  exporter_t *xs = NULL;   /* one per thread */
  size_t threads = batch_threads();
  exporter_t x = {.o = o};
  sbuf_init(&x.line);
  sbuf_t sql;
  sbuf_init(&sql);
  int in_txn = 0;

  if ((e = catalog_load(c, f.form_id, &cat, err, errlen)) != SYNC_OK)
    goto done;
  x.cat = cat;
  for (size_t i = 0; o->omit && o->omit[i]; i++)
    if (catalog_col(cat, o->omit[i], strlen(o->omit[i])) < 0) {
      snprintf(err, errlen, "--omit: form %s has no field %s", f.form_id, o->omit[i]);
      e = SYNC_ERR_INVALID_ARG;
      goto done;
    }
  if (threads > PFOR_MAX_THREADS)
    threads = PFOR_MAX_THREADS;
  if (plan(&x) != 0 || !(vals = calloc(threads * (cat->n_cols ? cat->n_cols : 1), sizeof *vals)) ||
      !(rows = calloc(BATCH_ROWS, sizeof *rows)) || !(xs = calloc(threads, sizeof *xs))) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  for (size_t t = 0; t < threads; t++) {
    xs[t] = x;
    sbuf_init(&xs[t].line);
  }

  sbuf_puts(&sql, "SELECT r.uuid, r.form_id, r.form_version, r.revision, r.deleted,"
                  " r.creator_device, d.name, d.unit, " RQ_FIRST_RECEIVED_SQL ", r.received_at,"
                  " r.head_source, r.author, r.payload, r.sealed"
                  " FROM records r LEFT JOIN devices d ON d.device_id = r.creator_device");
  rq_where(&f, &sql);
  sbuf_puts(&sql, " ORDER BY r.server_seq");
  if (sbuf_failed(&sql)) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  if ((e = db_begin_read(c)) != SYNC_OK) {
    snprintf(err, errlen, "cannot read the database: %s", db_errmsg(c));
    goto done;
  }
  in_txn = 1;
  if (sqlite3_prepare_v2(c->h, sql.data, -1, &st, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "query: %s", db_errmsg(c));
    e = SYNC_ERR_DB;
    goto done;
  }
  rq_bind(&f, st);

  batch_t batch = {o->open_payload ? o->open_payload : export_open_plain, o->open_ctx, rows, xs,
                   vals, cat->n_cols};
  if (o->format == EXP_CSV) {
    csv_header(&x);
    fwrite(x.line.data, 1, x.line.len, out);
  }
  int rc = SQLITE_ROW;
  while (e == SYNC_OK && rc == SQLITE_ROW) {
    size_t n = 0;
    while (n < BATCH_ROWS && (rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (pending_take(st, &rows[n]) != 0) {
        e = SYNC_ERR_NOMEM;
        break;
      }
      n++;
    }
    if (e == SYNC_OK)
      pfor_run(open_and_format, &batch, n, threads);
    for (size_t i = 0; i < n; i++) {
      if (e == SYNC_OK)
        e = emit(&rows[i], out, res, err, errlen);
      free(rows[i].out);
      free(rows[i].block);
    }
  }
  if (e != SYNC_OK)
    goto done;
  if (rc != SQLITE_DONE) {
    snprintf(err, errlen, "query: %s", db_errmsg(c));
    e = db_err(rc);
    goto done;
  }
  if (fflush(out) != 0 || ferror(out)) {
    snprintf(err, errlen, "write failed: %s", strerror(errno));
    e = SYNC_ERR_IO;
  }
done:
  sqlite3_finalize(st);
  if (in_txn)
    db_rollback(c);   /* a read snapshot: nothing to keep */
  sbuf_free(&sql);
  sbuf_free(&x.line);
  for (size_t t = 0; xs && t < threads; t++)
    sbuf_free(&xs[t].line);
  free(xs);
  free(x.cols);
  free(vals);
  free(rows);
  catalog_free(cat);
  return e;
}

/* ---- audit -------------------------------------------------------------------------------- */

char *export_audit_path(const char *db_path)
{
  sbuf_t b;
  sbuf_init(&b);
  sbuf_printf(&b, "%s.export-audit.log", db_path);
  return sbuf_take(&b, NULL);
}

static void audit_line(sbuf_t *b, int64_t id, int64_t started, int64_t finished, const char *by,
                       const char *format, const char *filter, const char *output,
                       int64_t records, int ok, const char *detail)
{
  char t1[32], t2[32];
  sbuf_printf(b, "{\"id\":%lld,\"started_at\":\"%s\",\"finished_at\":\"%s\",\"by\":",
              (long long)id, iso_time(started, t1, sizeof t1), iso_time(finished, t2, sizeof t2));
  sbuf_json_str(b, by);
  sbuf_puts(b, ",\"format\":");
  sbuf_json_str(b, format);
  sbuf_printf(b, ",\"filter\":%s,\"output\":", filter);
  sbuf_json_str(b, output);
  sbuf_printf(b, ",\"records\":%lld,\"outcome\":\"%s\",\"detail\":", (long long)records,
              ok ? "ok" : "failed");
  sbuf_json_str(b, detail);
  sbuf_puts(b, "}\n");
}

sync_err_t export_audited(db_conn_t *c, const exp_options_t *o, FILE *out, const char *by,
                          const char *output, const char *audit_path, exp_result_t *res,
                          char *err, size_t errlen)
{
  memset(res, 0, sizeof *res);
  exp_options_t opts = *o;
  sync_err_t e = resolve_form(c, &opts.filter, err, errlen);
  if (e != SYNC_OK)
    return e;
  char format[32];
  snprintf(format, sizeof format, "%s/%s", o->format == EXP_CSV ? "csv" : "jsonl",
           o->lang ? o->lang : "codes");
  sbuf_t filter;
  sbuf_init(&filter);
  rq_describe(&opts.filter, &filter);
  if (sbuf_failed(&filter))
    return SYNC_ERR_NOMEM;

  int fd = -1;
  if (audit_path &&
      (fd = open(audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
    snprintf(err, errlen, "cannot open the audit log %s: %s; nothing exported", audit_path,
             strerror(errno));
    sbuf_free(&filter);
    return SYNC_ERR_IO;
  }
  int64_t id = 0, started = db_now_ms();
  if ((e = db_audit_begin(c, by, format, filter.data, output, started, &id)) != SYNC_OK) {
    snprintf(err, errlen, "cannot write the export audit (%s); nothing exported", db_errmsg(c));
    goto done;
  }
  char run_err[512] = "";
  sync_err_t run = export_run(c, &opts, out, res, run_err, sizeof run_err);
  int64_t finished = db_now_ms();
  if (run == SYNC_OK && res->unreadable) {
    char note[sizeof run_err];
    snprintf(note, sizeof note, "%lld %.480s", (long long)res->unreadable, run_err);
    snprintf(run_err, sizeof run_err, "%s", note);
  }
  sync_err_t fin = db_audit_finish(c, id, run == SYNC_OK, res->records, run_err, finished);
  if (fd >= 0) {
    sbuf_t line;
    sbuf_init(&line);
    audit_line(&line, id, started, finished, by, format, filter.data, output, res->records,
               run == SYNC_OK, run_err);
    if (sbuf_failed(&line) || write(fd, line.data, line.len) != (ssize_t)line.len ||
        fsync(fd) != 0) {
      if (fin == SYNC_OK)
        fin = SYNC_ERR_IO;
    }
    sbuf_free(&line);
  }
  if (run != SYNC_OK || res->unreadable) {
    snprintf(err, errlen, "%s", run_err);
    e = run;
  } else if (fin != SYNC_OK) {
    snprintf(err, errlen, "the export was written but its audit could not be completed");
    e = fin;
  }
done:
  if (fd >= 0)
    close(fd);
  sbuf_free(&filter);
  return e;
}
