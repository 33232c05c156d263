/* Record filters (query.h). */
#include "query.h"

#include <stdio.h>
#include <string.h>

const char *const RQ_KEYS[] = {"form", "region", "from", "to", "date", "status",
                               "case-status", "result", NULL};

void rq_filter_init(rq_filter_t *f)
{
  memset(f, 0, sizeof *f);
}

static int days_in_month(int y, int m)
{
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return d[m - 1];
}

long long rq_date_ms(const char *s)
{
  int y, m, d;
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return -1;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
      return -1;
  if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1970 || m < 1 || m > 12 || d < 1 ||
      d > days_in_month(y, m))
    return -1;
  /* days from civil (Howard Hinnant) */
  y -= m <= 2;
  long long era = y / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  long long days = era * 146097 + doe - 719468;
  return days * 86400000LL;
}

/* "35" or "35.02" (or a prefix of a regency code such as "35.0"). */
static int region_ok(const char *s, size_t n)
{
  if (n < 2 || n > 5 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
    return 0;
  if (n == 2)
    return 1;
  if (s[2] != '.' || n == 3)
    return 0;
  for (size_t i = 3; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

static int value_ok(const char *v)
{
  size_t n = strlen(v);
  if (n == 0 || n > RQ_VALUE_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

int rq_filter_set(rq_filter_t *f, const char *key, const char *value, char *err, size_t errlen)
{
  if (!value)
    value = "";
  if (strcmp(key, "form") == 0) {
    size_t n = strlen(value);
    if (n == 0 || n > PROTO_FORM_ID_MAX || !value_ok(value)) {
      snprintf(err, errlen, "--form: not a form id");
      return -1;
    }
    memcpy(f->form_id, value, n + 1);
    return 0;
  }
  if (strcmp(key, "region") == 0) {   /* the filter changes only when all of it is valid */
    char regions[RQ_MAX_REGIONS][8];
    int count = 0;
    const char *p = value;
    while (*p) {
      const char *end = strchr(p, ',');
      size_t n = end ? (size_t)(end - p) : strlen(p);
      if (!region_ok(p, n) || count == RQ_MAX_REGIONS) {
        snprintf(err, errlen, "--region: expected province codes like 35 or regency codes like"
                 " 35.02, comma-separated (at most %d)", RQ_MAX_REGIONS);
        return -1;
      }
      memcpy(regions[count], p, n);
      regions[count++][n] = '\0';
      p += n + (end ? 1 : 0);
    }
    if (count == 0) {
      snprintf(err, errlen, "--region: empty");
      return -1;
    }
    memcpy(f->regions, regions, sizeof regions);
    f->n_regions = count;
    return 0;
  }
  if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
    if (rq_date_ms(value) < 0) {
      snprintf(err, errlen, "--%s: expected a date YYYY-MM-DD", key);
      return -1;
    }
    memcpy(key[0] == 'f' ? f->from : f->to, value, 11);
    return 0;
  }
  if (strcmp(key, "date") == 0) {
    if (strcmp(value, "interview") == 0)
      f->date_of = RQ_DATE_INTERVIEW;
    else if (strcmp(value, "received") == 0)
      f->date_of = RQ_DATE_RECEIVED;
    else {
      snprintf(err, errlen, "--date: interview or received");
      return -1;
    }
    return 0;
  }
  if (strcmp(key, "status") == 0) {
    if (strcmp(value, "final") == 0)
      f->status = RQ_STATUS_FINAL;
    else if (strcmp(value, "deleted") == 0)
      f->status = RQ_STATUS_DELETED;
    else if (strcmp(value, "all") == 0)
      f->status = RQ_STATUS_ALL;
    else {
      snprintf(err, errlen, "--status: final, deleted or all");
      return -1;
    }
    return 0;
  }
  if (strcmp(key, "case-status") == 0 || strcmp(key, "result") == 0) {
    if (!value_ok(value)) {
      snprintf(err, errlen, "--%s: expected a choice name", key);
      return -1;
    }
    snprintf(key[0] == 'c' ? f->case_status : f->result, RQ_VALUE_MAX + 1, "%s", value);
    return 0;
  }
  return 1;
}

void rq_where(const rq_filter_t *f, sbuf_t *sql)
{
  switch (f->status) {
  case RQ_STATUS_FINAL: sbuf_puts(sql, " WHERE r.deleted = 0"); break;
  case RQ_STATUS_DELETED: sbuf_puts(sql, " WHERE r.deleted = 1"); break;
  default: sbuf_puts(sql, " WHERE 1"); break;
  }
  if (f->form_id[0])
    sbuf_puts(sql, " AND r.form_id = :form");
  if (f->n_regions) {
    sbuf_puts(sql, " AND (");
    for (int i = 0; i < f->n_regions; i++) {
      if (i)
        sbuf_puts(sql, " OR ");
      if (strlen(f->regions[i]) == 2)
        sbuf_printf(sql, "json_extract(r.payload, '$.province') = :region%d", i);
      else
        sbuf_printf(sql, "substr(json_extract(r.payload, '$.regency_code'), 1, %zu) = :region%d",
                    strlen(f->regions[i]), i);
    }
    sbuf_puts(sql, ")");
  }
  if (f->date_of == RQ_DATE_INTERVIEW) {
    if (f->from[0])
      sbuf_puts(sql, " AND json_extract(r.payload, '$.interview_date') >= :from");
    if (f->to[0])
      sbuf_puts(sql, " AND json_extract(r.payload, '$.interview_date') <= :to");
  } else if (f->from[0] || f->to[0]) {
    sbuf_puts(sql, " AND " RQ_FIRST_RECEIVED_SQL " BETWEEN :from_ms AND :to_ms");
  }
  if (f->case_status[0])
    sbuf_puts(sql, strcmp(f->case_status, "new") == 0
                     ? " AND coalesce(json_extract(r.payload, '$.case_status'), 'new') = :case_status"
                     : " AND json_extract(r.payload, '$.case_status') = :case_status");
  if (f->result[0])
    sbuf_puts(sql, strcmp(f->result, "none") == 0 ? " AND " RQ_RESULT_SQL " IS NULL"
                                                   : " AND " RQ_RESULT_SQL " = :result");
}

static void bind_text(sqlite3_stmt *st, const char *name, const char *value)
{
  int i = sqlite3_bind_parameter_index(st, name);
  if (i > 0)
    sqlite3_bind_text(st, i, value, -1, SQLITE_TRANSIENT);
}

void rq_bind(const rq_filter_t *f, sqlite3_stmt *st)
{
  bind_text(st, ":form", f->form_id);
  for (int i = 0; i < f->n_regions; i++) {
    char name[32];
    snprintf(name, sizeof name, ":region%d", i);
    bind_text(st, name, f->regions[i]);
  }
  bind_text(st, ":from", f->from);
  bind_text(st, ":to", f->to);
  int i = sqlite3_bind_parameter_index(st, ":from_ms");
  if (i > 0)
    sqlite3_bind_int64(st, i, f->from[0] ? rq_date_ms(f->from) : 0);
  if ((i = sqlite3_bind_parameter_index(st, ":to_ms")) > 0)
    sqlite3_bind_int64(st, i, f->to[0] ? rq_date_ms(f->to) + 86400000LL - 1 : (1LL << 62));
  bind_text(st, ":case_status", f->case_status);
  bind_text(st, ":result", f->result);
}

void rq_describe(const rq_filter_t *f, sbuf_t *out)
{
  int n = 0;
  sbuf_putc(out, '{');
#define KEY(k) (sbuf_puts(out, n++ ? ",\"" k "\":" : "\"" k "\":"))
  if (f->form_id[0]) {
    KEY("form");
    sbuf_json_str(out, f->form_id);
  }
  if (f->n_regions) {
    KEY("region");
    sbuf_putc(out, '[');
    for (int i = 0; i < f->n_regions; i++) {
      if (i)
        sbuf_putc(out, ',');
      sbuf_json_str(out, f->regions[i]);
    }
    sbuf_putc(out, ']');
  }
  if (f->from[0] || f->to[0]) {
    KEY("date");
    sbuf_json_str(out, f->date_of == RQ_DATE_RECEIVED ? "received" : "interview");
  }
  if (f->from[0]) {
    KEY("from");
    sbuf_json_str(out, f->from);
  }
  if (f->to[0]) {
    KEY("to");
    sbuf_json_str(out, f->to);
  }
  KEY("status");
  sbuf_json_str(out, f->status == RQ_STATUS_FINAL ? "final"
                     : f->status == RQ_STATUS_DELETED ? "deleted" : "all");
  if (f->case_status[0]) {
    KEY("case_status");
    sbuf_json_str(out, f->case_status);
  }
  if (f->result[0]) {
    KEY("result");
    sbuf_json_str(out, f->result);
  }
#undef KEY
  sbuf_putc(out, '}');
}
