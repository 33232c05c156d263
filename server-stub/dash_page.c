/* Dashboard HTML (dash_page.h). */
#include "dash_page.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dash_text.h"

#define DAY_MS (86400LL * 1000)

static const char CSS[] =
  "*{box-sizing:border-box}"
  "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;"
  "color:#1f2933;background:#f3f5f7}"
  "header{background:#fff;border-bottom:1px solid #dde3e9;padding:14px 28px;display:flex;"
  "align-items:center;gap:18px;flex-wrap:wrap}"
  "header h1{font-size:20px;margin:0;font-weight:600;color:#1d3b5a}"
  "header p{margin:2px 0 0;color:#52606d;font-size:13px}"
  ".spacer{flex:1}.who{font-size:13px;color:#52606d}"
  "header form{margin:0}"
  "a{color:#2f6690}"
  "main{max-width:1260px;margin:0 auto;padding:20px 28px 40px}"
  "form.filter{display:flex;gap:14px;align-items:flex-end;flex-wrap:wrap;background:#fff;"
  "border:1px solid #dde3e9;border-radius:8px;padding:12px 16px}"
  "form.filter .note{margin:0 0 6px}"
  "label{display:flex;flex-direction:column;font-size:12px;color:#52606d;gap:4px}"
  "input,select{font:inherit;padding:6px 8px;border:1px solid #b8c4ce;border-radius:6px;"
  "background:#fff;color:#1f2933}"
  "button{font:inherit;padding:7px 16px;border-radius:6px;border:1px solid #2f6690;"
  "background:#2f6690;color:#fff;cursor:pointer}"
  "button.plain{background:#fff;color:#2f6690}"
  ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;"
  "margin:16px 0}"
  ".card{background:#fff;border:1px solid #dde3e9;border-radius:8px;padding:12px 16px}"
  ".card strong{display:block;font-size:28px;font-weight:600;color:#1d3b5a;"
  "font-variant-numeric:tabular-nums}"
  ".card span{font-size:13px;color:#52606d}"
  ".card.warn{border-color:#e8c58a;background:#fffaf0}.card.warn strong{color:#8a5300}"
  ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(500px,1fr));gap:16px}"
  "section.panel{background:#fff;border:1px solid #dde3e9;border-radius:8px;padding:14px 18px}"
  "section.wide{margin-top:16px}"
  "section h2{font-size:15px;margin:0 0 10px;font-weight:600;color:#1d3b5a}"
  ".note{font-size:12px;color:#52606d;margin:8px 0 0}"
  "svg{display:block;width:100%;height:auto}"
  "svg text{font:12px system-ui,sans-serif;fill:#1f2933}"
  "svg text.n{fill:#52606d}svg text.ax{fill:#7b8794;font-size:11px}"
  ".bar{fill:#5b8db8}.strong{fill:#b4533c}.needs{fill:#d9a441}.noind{fill:#6f9f83}"
  ".grey{fill:#a7b1bb}"
  "table{border-collapse:collapse;width:100%;font-size:13px}"
  "th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e6ebf0;vertical-align:top}"
  "th{color:#52606d;font-weight:600}"
  "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}"
  "tr.silent td{background:#fff4e0}"
  ".tag{display:inline-block;margin-left:6px;padding:0 8px;border-radius:10px;font-size:12px;"
  "background:#fde7c2;color:#7a4a00}"
  ".muted{color:#7b8794}.small{font-size:12px}"
  ".msg{padding:8px 12px;border-radius:6px;background:#e8f1f8;color:#1d3b5a;font-size:14px}"
  ".msg.err{background:#fbe9e7;color:#8c2f1b}"
  ".login{max-width:380px;margin:70px auto;background:#fff;border:1px solid #dde3e9;"
  "border-radius:10px;padding:26px 28px}"
  ".login h1{font-size:20px;margin:0 0 6px;color:#1d3b5a}"
  ".login form{display:flex;flex-direction:column;gap:14px;margin-top:16px}"
  "footer{color:#7b8794;font-size:12px;margin-top:22px}";

/* ---- helpers ------------------------------------------------------------------------------ */

static const char *other_lang(const char *lang)
{
  return strcmp(lang, "en") == 0 ? "id" : "en";
}

static void head(sbuf_t *b, const char *lang, const char *title)
{
  sbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>", strcmp(lang, "en") == 0 ? "en" : "id");
  sbuf_html(b, title);
  sbuf_printf(b, "</title><style>%s</style></head><body>", CSS);
}

/* Percent-encodes a query value. */
static void url_value(sbuf_t *b, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.')
      sbuf_putc(b, (char)c);
    else
      sbuf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
  }
}

/* "/dashboard/?lang=..&from=..": the current filter with another language (for links). */
static void page_url(sbuf_t *b, const dash_view_t *v, const char *lang)
{
  sbuf_puts(b, "/dashboard/?lang=");
  sbuf_puts(b, lang);
  const char *keys[] = {"from", "to", "province"};
  const char *vals[] = {v->from, v->to, v->province};
  for (int i = 0; i < 3; i++) {
    if (vals[i] && *vals[i]) {
      sbuf_printf(b, "&amp;%s=", keys[i]);
      url_value(b, vals[i]);
    }
  }
}

/* A label cut to `max` code points with an ellipsis. */
static void short_label(sbuf_t *b, const char *s, size_t max)
{
  size_t cps = 0, i = 0, n = strlen(s);
  while (i < n && cps < max) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
      i++;
    cps++;
  }
  if (i >= n) {
    sbuf_html(b, s);
    return;
  }
  char *cut = malloc(i + 1);
  if (!cut)
    return;
  memcpy(cut, s, i);
  cut[i] = '\0';
  sbuf_html(b, cut);
  sbuf_puts(b, "\xe2\x80\xa6");
  free(cut);
}

/* Label of choice `key` of a field (from the form), else the key. */
static const char *choice_label(const catalog_t *cat, const char *field, const char *key,
                                const char *lang)
{
  int col = catalog_col(cat, field, strlen(field));
  if (col < 0)
    return key;
  int ci = catalog_choice(&cat->cols[col], key);
  return ci < 0 ? key : catalog_choice_label(cat, NULL, (size_t)col, (size_t)ci, lang);
}

typedef struct bar {
  const char *key;
  const char *label;
  int64_t n;
  const char *cls;
} bar_t;

#define CHART_W 600
#define LABEL_W 240
#define ROW_H 24

static void hbar_chart(sbuf_t *b, const char *id, const char *lang, const bar_t *bars, size_t n,
                       const char *aria)
{
  if (n == 0) {
    sbuf_printf(b, "<p class=\"muted\" id=\"chart-%s\">%s</p>", id, dash_t(lang, T_NOTHING));
    return;
  }
  int64_t max = 1;
  for (size_t i = 0; i < n; i++)
    if (bars[i].n > max)
      max = bars[i].n;
  int h = (int)n * ROW_H + 4;
  sbuf_printf(b, "<svg id=\"chart-%s\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", id,
              CHART_W, h);
  sbuf_html(b, aria);
  sbuf_puts(b, "\">");
  char num[32];
  const double span = CHART_W - LABEL_W - 70;
  for (size_t i = 0; i < n; i++) {
    double w = bars[i].n > 0 ? span * (double)bars[i].n / (double)max : 0;
    if (bars[i].n > 0 && w < 2)
      w = 2;
    sbuf_puts(b, "<g data-key=\"");
    sbuf_html(b, bars[i].key);
    sbuf_printf(b, "\" data-count=\"%lld\" transform=\"translate(0,%d)\"><title>",
                (long long)bars[i].n, (int)i * ROW_H);
    sbuf_html(b, bars[i].label);
    sbuf_printf(b, ": %s</title><text x=\"%d\" y=\"16\" text-anchor=\"end\">",
                dash_int(lang, bars[i].n, num, sizeof num), LABEL_W - 10);
    short_label(b, bars[i].label, 29);
    sbuf_printf(b, "</text><rect class=\"%s\" x=\"%d\" y=\"4\" width=\"%.1f\" height=\"16\""
                   " rx=\"2\"/><text class=\"n\" x=\"%.1f\" y=\"16\">%s</text></g>",
                bars[i].cls ? bars[i].cls : "bar", LABEL_W, w, LABEL_W + w + 6, num);
  }
  sbuf_puts(b, "</svg>");
}

/* Bars for a dimension, labelled through the form field's choices, largest first. */
static void dim_chart(sbuf_t *b, const dash_view_t *v, const char *id, dash_dim_t *d,
                      const char *field, const char *aria, size_t limit)
{
  dim_sort_by_count(d);
  size_t n = d->n < limit ? d->n : limit;
  bar_t *bars = calloc(n ? n : 1, sizeof *bars);
  if (!bars)
    return;
  for (size_t i = 0; i < n; i++) {
    bars[i].key = d->kv[i].key;
    bars[i].label = field ? choice_label(v->cat, field, d->kv[i].key, v->lang) : d->kv[i].key;
    bars[i].n = d->kv[i].n;
  }
  hbar_chart(b, id, v->lang, bars, n, aria);
  free(bars);
}

static void month_chart(sbuf_t *b, const dash_view_t *v, dash_dim_t *d)
{
  const char *lang = v->lang;
  if (d->n == 0) {
    sbuf_printf(b, "<p class=\"muted\" id=\"chart-month\">%s</p>", dash_t(lang, T_NOTHING));
    return;
  }
  dim_sort_by_key(d);
  int y0, m0, y1, m1;
  if (sscanf(d->kv[0].key, "%4d-%2d", &y0, &m0) != 2 ||
      sscanf(d->kv[d->n - 1].key, "%4d-%2d", &y1, &m1) != 2)
    return;
  int months = (y1 - y0) * 12 + (m1 - m0) + 1;
  if (months > 36) {          /* the last three years */
    int skip = months - 36;
    y0 += (m0 - 1 + skip) / 12;
    m0 = (m0 - 1 + skip) % 12 + 1;
    months = 36;
  }
  int64_t counts[36], max = 1;
  for (int i = 0; i < months; i++) {
    char key[16];
    int y = y0 + (m0 - 1 + i) / 12, m = (m0 - 1 + i) % 12 + 1;
    snprintf(key, sizeof key, "%04d-%02d", y, m);
    counts[i] = dim_get(d, key);
    if (counts[i] > max)
      max = counts[i];
  }
  const int W = CHART_W, H = 210, top = 18, base = 168;
  double slot = (double)(W - 20) / months, bw = slot * 0.68;
  sbuf_printf(b, "<svg id=\"chart-month\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", W, H);
  sbuf_html(b, dash_t(lang, T_BY_MONTH));
  sbuf_printf(b, "\"><line x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#c9d2da\"/>", base,
              W - 10, base);
  char num[32];
  for (int i = 0; i < months; i++) {
    int y = y0 + (m0 - 1 + i) / 12, m = (m0 - 1 + i) % 12 + 1;
    double hgt = (double)(base - top) * (double)counts[i] / (double)max;
    double x = 10 + slot * i + (slot - bw) / 2;
    sbuf_printf(b, "<g data-key=\"%04d-%02d\" data-count=\"%lld\"><title>%s %d: %s</title>"
                   "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                   " rx=\"2\"/>", y, m, (long long)counts[i], dash_month(lang, m), y,
                dash_int(lang, counts[i], num, sizeof num), x, base - hgt, bw, hgt);
    if (months <= 24 && counts[i] > 0)
      sbuf_printf(b, "<text class=\"n\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                  x + bw / 2, base - hgt - 4, num);
    if (months <= 18 || m % 3 == 1)
      sbuf_printf(b, "<text class=\"ax\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
                  x + bw / 2, base + 15, dash_month(lang, m));
    if (i == 0 || m == 1)
      sbuf_printf(b, "<text class=\"ax\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>",
                  x + bw / 2, base + 30, y);
    sbuf_puts(b, "</g>");
  }
  sbuf_puts(b, "</svg>");
}

static void result_chart(sbuf_t *b, const dash_view_t *v)
{
  static const char *const keys[] = {"strong_indication", "needs_assessment", "no_indication",
                                     DASH_NO_CONSENT, DASH_NOT_ASSESSED};
  static const char *const cls[] = {"strong", "needs", "noind", "grey", "grey"};
  bar_t bars[5];
  size_t n = 0;
  for (size_t i = 0; i < 5; i++) {
    int64_t c = dim_get(&v->st->result, keys[i]);
    if (c == 0 && i >= 3)
      continue;
    const char *label = i == 3   ? dash_t(v->lang, T_NO_CONSENT)
                        : i == 4 ? dash_t(v->lang, T_NOT_ASSESSED)
                                 : catalog_list_label(v->cat, "result_categories", keys[i], v->lang);
    bars[n++] = (bar_t){keys[i], label, c, cls[i]};
  }
  if (v->st->total == 0)
    n = 0;
  hbar_chart(b, "result", v->lang, bars, n, dash_t(v->lang, T_RESULT));
}

static void age_chart(sbuf_t *b, const dash_view_t *v)
{
  bar_t bars[3] = {
    {"child", dash_t(v->lang, T_CHILD), dim_get(&v->st->age, "child"), NULL},
    {"adult", dash_t(v->lang, T_ADULT), dim_get(&v->st->age, "adult"), NULL},
    {"unknown", dash_t(v->lang, T_AGE_UNKNOWN), dim_get(&v->st->age, "unknown"), "grey"}};
  hbar_chart(b, "age", v->lang, bars, v->st->total ? (bars[2].n ? 3 : 2) : 0,
             dash_t(v->lang, T_CHILD_ADULT));
}

/* Case status in the order of the form's choices (new first). */
static void case_chart(sbuf_t *b, const dash_view_t *v)
{
  dash_dim_t *d = &v->st->case_status;
  int col = catalog_col(v->cat, "case_status", 11);
  size_t nc = col >= 0 ? v->cat->cols[col].n_choices : 0;
  bar_t *bars = calloc(nc + d->n + 1, sizeof *bars);
  if (!bars)
    return;
  size_t n = 0;
  for (size_t i = 0; i < nc; i++) {
    const char *key = v->cat->cols[col].choices[i];
    bars[n++] = (bar_t){key, catalog_choice_label(v->cat, NULL, (size_t)col, i, v->lang),
                        dim_get(d, key), NULL};
  }
  for (size_t i = 0; i < d->n; i++)   /* values the form does not list (should not happen) */
    if (col < 0 || catalog_choice(&v->cat->cols[col], d->kv[i].key) < 0)
      bars[n++] = (bar_t){d->kv[i].key, d->kv[i].key, d->kv[i].n, "grey"};
  hbar_chart(b, "case-status", v->lang, bars, v->st->total ? n : 0, dash_t(v->lang, T_CASE_STATUS));
  free(bars);
}

static void card(sbuf_t *b, const char *id, const char *lang, int64_t n, dash_text_t label,
                 int warn)
{
  char num[32];
  sbuf_printf(b, "<div class=\"card%s\"><strong id=\"%s\" data-count=\"%lld\">%s</strong>"
                 "<span>%s</span></div>", warn ? " warn" : "", id, (long long)n,
              dash_int(lang, n, num, sizeof num), dash_t(lang, label));
}

static void panel_open(sbuf_t *b, const char *lang, dash_text_t title, const char *extra)
{
  sbuf_puts(b, "<section class=\"panel\"><h2>");
  sbuf_puts(b, dash_t(lang, title));
  if (extra)
    sbuf_printf(b, " <span class=\"muted small\">(%s)</span>", extra);
  sbuf_puts(b, "</h2>");
}

static void panel_close(sbuf_t *b, const char *note)
{
  if (note)
    sbuf_printf(b, "<p class=\"note\">%s</p>", note);
  sbuf_puts(b, "</section>");
}

int dash_device_silent(const db_device_activity_t *a, int64_t now, int days)
{
  if (a->d.revoked)
    return 0;
  int64_t last = a->d.last_seen_at ? a->d.last_seen_at : a->d.created_at;
  return now - last > (int64_t)days * DAY_MS;
}

int dash_credential_days_left(const db_device_t *d, int64_t now)
{
  if (d->revoked || d->credential_expires_at <= 0)
    return INT_MAX;
  int64_t left = d->credential_expires_at - now;
  return left <= 0 ? 0 : (int)((left + DAY_MS - 1) / DAY_MS);
}

static int silent_first(const void *x, const void *y)
{
  const db_device_activity_t *a = *(const db_device_activity_t *const *)x;
  const db_device_activity_t *b = *(const db_device_activity_t *const *)y;
  int64_t la = a->d.last_seen_at, lb = b->d.last_seen_at;
  if (a->d.revoked != b->d.revoked)
    return a->d.revoked - b->d.revoked;
  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp(a->d.name, b->d.name);
}

static void devices_table(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  if (v->n_devices == 0) {
    sbuf_printf(b, "<p class=\"muted\">%s</p>", dash_t(lang, T_NOTHING));
    return;
  }
  const db_device_activity_t **order = calloc(v->n_devices, sizeof *order);
  if (!order)
    return;
  for (size_t i = 0; i < v->n_devices; i++)
    order[i] = &v->devices[i];
  qsort(order, v->n_devices, sizeof *order, silent_first);
  sbuf_printf(b, "<table id=\"devices\"><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
                 "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>",
              dash_t(lang, T_DEVICE), dash_t(lang, T_LAST_SEEN), dash_t(lang, T_LAST_PUSH),
              dash_t(lang, T_RECEIVED), dash_t(lang, T_CONFLICTS), dash_t(lang, T_STATUS));
  char t1[48], num[32];
  for (size_t i = 0; i < v->n_devices; i++) {
    const db_device_activity_t *a = order[i];
    int silent = dash_device_silent(a, v->now, v->silent_days);
    sbuf_printf(b, "<tr%s data-device=\"", silent ? " class=\"silent\"" : "");
    sbuf_html(b, a->d.device_id);
    sbuf_puts(b, "\"><td>");
    sbuf_html(b, a->d.name);
    if (a->d.unit[0]) {
      sbuf_puts(b, "<br><span class=\"muted small\">");
      sbuf_html(b, a->d.unit);
      sbuf_puts(b, "</span>");
    }
    sbuf_puts(b, "</td><td>");
    sbuf_puts(b, a->d.last_seen_at ? dash_time(lang, a->d.last_seen_at, t1, sizeof t1)
                                   : dash_t(lang, T_NEVER));
    if (silent) {
      int64_t since = a->d.last_seen_at ? a->d.last_seen_at : a->d.created_at;
      sbuf_printf(b, "<span class=\"tag\">%s %lld %s</span>", dash_t(lang, T_SILENT_FOR),
                  (long long)((v->now - since) / DAY_MS), dash_t(lang, T_DAYS));
    }
    int days = dash_credential_days_left(&a->d, v->now);
    sbuf_printf(b, "</td><td>%s</td><td class=\"num\">%s</td><td class=\"num\">%lld</td>"
                   "<td>%s",
                a->last_push_at ? dash_time(lang, a->last_push_at, t1, sizeof t1)
                                : dash_t(lang, T_NEVER),
                dash_int(lang, a->d.records_received, num, sizeof num),
                (long long)a->pending_conflicts,
                dash_t(lang, a->d.revoked ? T_REVOKED : days == 0 ? T_EXPIRED : T_ACTIVE));
    /* a new code needs central staff: name the devices whose credential ends soon */
    if (days > 0 && days <= DASH_EXPIRY_WARNING_DAYS)
      sbuf_printf(b, "<span class=\"tag\">%s %d %s</span>", dash_t(lang, T_EXPIRES_IN), days,
                  dash_t(lang, T_DAYS));
    sbuf_puts(b, "</td></tr>");
  }
  sbuf_puts(b, "</tbody></table>");
  free(order);
}

static void regency_table(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  dash_dim_t *d = &v->st->regency;
  dim_sort_by_count(d);
  if (d->n == 0) {
    sbuf_printf(b, "<p class=\"muted\">%s</p>", dash_t(lang, T_NOTHING));
    return;
  }
  sbuf_printf(b, "<table id=\"regencies\"><thead><tr><th>%s</th><th>%s</th><th class=\"num\">"
                 "%s</th></tr></thead><tbody>", dash_t(lang, T_REGENCY), dash_t(lang, T_PROVINCE),
              dash_t(lang, T_COUNT));
  char num[32];
  for (size_t i = 0; i < d->n && i < 15; i++) {
    const char *code = d->kv[i].key;
    char prov[3] = {code[0], code[0] ? code[1] : '\0', '\0'};
    sbuf_puts(b, "<tr><td>");
    sbuf_html(b, code);
    sbuf_puts(b, "</td><td>");
    sbuf_html(b, choice_label(v->cat, "province", prov, lang));
    sbuf_printf(b, "</td><td class=\"num\">%s</td></tr>",
                dash_int(lang, d->kv[i].n, num, sizeof num));
  }
  sbuf_puts(b, "</tbody></table>");
}

/* Likely duplicates (SECURITY.md 9): uuid prefixes, units and dates only, never a name. */
static void dupes_section(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  char num[32], t1[48];
  sbuf_printf(b, "<section class=\"panel wide\" id=\"duplicates\"><h2>%s</h2>"
                 "<p><strong id=\"dupe-groups\">%s</strong> %s</p>",
              dash_t(lang, T_DUPES), dash_int(lang, v->dupe_groups, num, sizeof num),
              dash_t(lang, T_DUPE_GROUPS));
  if (v->n_dupes) {
    sbuf_printf(b, "<table id=\"dupes\"><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th><th>%s</th></tr></thead><tbody>", dash_t(lang, T_GROUP),
                dash_t(lang, T_RECORD), dash_t(lang, T_UNIT), dash_t(lang, T_PROVINCE),
                dash_t(lang, T_INTERVIEW_DATE), dash_t(lang, T_FIRST_RECEIVED));
    for (size_t i = 0; i < v->n_dupes; i++) {
      const db_dupe_t *d = &v->dupes[i];
      sbuf_printf(b, "<tr%s><td>%.8s</td><td>%.8s</td><td>", d->first_of_group ? " class=\"grp\""
                                                                                : "",
                  d->first_of_group ? d->dedup : "", d->uuid);
      sbuf_html(b, d->device_unit[0] ? d->device_unit : "-");
      sbuf_puts(b, "</td><td>");
      sbuf_html(b, !d->province[0] ? "-"
                   : v->cat ? choice_label(v->cat, "province", d->province, lang) : d->province);
      sbuf_puts(b, "</td><td>");
      sbuf_html(b, d->interview_date[0] ? d->interview_date : "-");
      sbuf_printf(b, "</td><td>%s</td></tr>", dash_time(lang, d->received_at, t1, sizeof t1));
    }
    sbuf_puts(b, "</tbody></table>");
  }
  sbuf_printf(b, "<p class=\"note\">%s</p></section>", dash_t(lang, T_DUPES_NOTE));
}

static void filter_form(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  sbuf_printf(b, "<form class=\"filter\" method=\"get\" action=\"/dashboard/\">"
                 "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
                 "<label>%s<input type=\"date\" name=\"from\" value=\"", lang,
              dash_t(lang, T_FROM));
  sbuf_html(b, v->from);
  sbuf_printf(b, "\"></label><label>%s<input type=\"date\" name=\"to\" value=\"",
              dash_t(lang, T_TO));
  sbuf_html(b, v->to);
  sbuf_printf(b, "\"></label><label>%s<select name=\"province\"><option value=\"\">%s</option>",
              dash_t(lang, T_PROVINCE), dash_t(lang, T_ALL_PROVINCES));
  int col = v->cat ? catalog_col(v->cat, "province", 8) : -1;
  for (size_t i = 0; col >= 0 && i < v->cat->cols[col].n_choices; i++) {
    const char *code = v->cat->cols[col].choices[i];
    sbuf_puts(b, "<option value=\"");
    sbuf_html(b, code);
    sbuf_printf(b, "\"%s>", strcmp(code, v->province) == 0 ? " selected" : "");
    sbuf_html(b, code);
    sbuf_puts(b, " \xc2\xb7 ");
    sbuf_html(b, catalog_choice_label(v->cat, NULL, (size_t)col, i, lang));
    sbuf_puts(b, "</option>");
  }
  sbuf_printf(b, "</select></label><button type=\"submit\">%s</button>"
                 "<a href=\"/dashboard/?lang=%s\">%s</a><span class=\"spacer\"></span>"
                 "<p class=\"note\">%s %s</p></form>",
              dash_t(lang, T_APPLY), lang, dash_t(lang, T_RESET), dash_t(lang, T_PERIOD_NOTE),
              dash_t(lang, T_MONTH_NOTE));
}

static void top_bar(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  sbuf_printf(b, "<header><div><h1>%s</h1><p>%s</p></div><span class=\"spacer\"></span>"
                 "<span class=\"who\">%s <strong>", dash_t(lang, T_TITLE),
              dash_t(lang, T_SUBTITLE), dash_t(lang, T_SIGNED_IN_AS));
  sbuf_html(b, v->user);
  sbuf_puts(b, "</strong></span><a id=\"switch-lang\" href=\"");
  page_url(b, v, other_lang(lang));
  sbuf_printf(b, "\" hreflang=\"%s\">%s</a>"
                 "<form method=\"post\" action=\"/dashboard/logout\">"
                 "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
                 "<button class=\"plain\" type=\"submit\">%s</button></form></header>",
              other_lang(lang), dash_t(lang, T_SWITCH_LANG), lang, dash_t(lang, T_LOGOUT));
}

void dash_page(sbuf_t *b, const dash_view_t *v)
{
  const char *lang = v->lang;
  head(b, lang, dash_t(lang, T_TITLE));
  top_bar(b, v);
  sbuf_puts(b, "<main>");
  if (v->bad_filter)
    sbuf_printf(b, "<p class=\"msg err\">%s</p>", dash_t(lang, T_BAD_FILTER));
  filter_form(b, v);
  size_t silent = 0;
  for (size_t i = 0; i < v->n_devices; i++)
    silent += (size_t)dash_device_silent(&v->devices[i], v->now, v->silent_days);
  if (!v->cat) {
    sbuf_printf(b, "<p class=\"msg\">%s</p>", dash_t(lang, T_NO_FORM));
  } else {
    const dash_stats_t *st = v->st;
    sbuf_puts(b, "<div class=\"cards\">");
    card(b, "total-records", lang, st->total, T_RECORDS, 0);
    card(b, "total-strong", lang, st->strong, T_STRONG, 0);
    card(b, "total-needs", lang, st->needs, T_NEEDS, 0);
    card(b, "total-children", lang, st->children, T_CHILDREN, 0);
    card(b, "total-referred", lang, st->referred, T_REFERRED, 0);
    card(b, "silent-devices", lang, (int64_t)silent, T_SILENT_DEVICES, silent > 0);
    sbuf_puts(b, "</div><div class=\"grid\">");

    panel_open(b, lang, T_BY_PROVINCE, NULL);
    dim_chart(b, v, "province", &v->st->province, "province", dash_t(lang, T_BY_PROVINCE), 40);
    panel_close(b, NULL);

    panel_open(b, lang, T_BY_MONTH, NULL);
    month_chart(b, v, &v->st->month);
    panel_close(b, NULL);
    panel_open(b, lang, T_RESULT, NULL);
    result_chart(b, v);
    panel_close(b, dash_t(lang, T_RESULT_NOTE));
    panel_open(b, lang, T_CHILD_ADULT, NULL);
    age_chart(b, v);
    panel_close(b, NULL);
    panel_open(b, lang, T_CASE_STATUS, NULL);
    case_chart(b, v);
    panel_close(b, dash_t(lang, T_CASE_NOTE));
    panel_open(b, lang, T_SECTOR, NULL);
    dim_chart(b, v, "sector", &v->st->sector, "sector", dash_t(lang, T_SECTOR), 20);
    panel_close(b, NULL);
    panel_open(b, lang, T_DESTINATION, NULL);
    dim_chart(b, v, "destination", &v->st->destination, "destination_country",
              dash_t(lang, T_DESTINATION), 20);
    panel_close(b, NULL);
    panel_open(b, lang, T_REFERRALS, NULL);
    dim_chart(b, v, "referral", &v->st->referral, "referral_outcome", dash_t(lang, T_REFERRALS),
              20);
    panel_close(b, dash_t(lang, T_REFERRAL_NOTE));
    panel_open(b, lang, T_PLATFORM, NULL);
    dim_chart(b, v, "platform", &v->st->platform, "recruitment_platform",
              dash_t(lang, T_PLATFORM), 20);
    panel_close(b, dash_t(lang, T_PLATFORM_NOTE));
    panel_open(b, lang, T_BY_REGENCY, dash_t(lang, T_SHOWN_TOP));
    regency_table(b, v);
    panel_close(b, NULL);
    sbuf_puts(b, "</div>");
  }
  dupes_section(b, v);
  sbuf_puts(b, "<section class=\"panel wide\"><h2>");
  sbuf_puts(b, dash_t(lang, T_DEVICES));
  sbuf_puts(b, "</h2>");
  devices_table(b, v);
  sbuf_printf(b, "<p class=\"note\">%s %d %s.</p></section>", dash_t(lang, T_DEVICES_NOTE),
              v->silent_days, dash_t(lang, T_DAYS));
  char t1[48];
  sbuf_printf(b, "<footer>%s %s", dash_t(lang, T_GENERATED), dash_time(lang, v->now, t1, sizeof t1));
  if (v->st)
    sbuf_printf(b, " \xc2\xb7 %.0f ms", v->st->ms);
  sbuf_puts(b, "</footer></main></body></html>\n");
}

void dash_login_page(sbuf_t *b, const char *lang, const char *msg, int error, const char *name)
{
  head(b, lang, dash_t(lang, T_LOGIN_TITLE));
  sbuf_printf(b, "<div class=\"login\"><h1>%s</h1><p class=\"muted small\">%s</p>",
              dash_t(lang, T_TITLE), dash_t(lang, T_LOGIN_INTRO));
  if (msg) {
    sbuf_printf(b, "<p class=\"msg%s\" id=\"login-message\">", error ? " err" : "");
    sbuf_html(b, msg);
    sbuf_puts(b, "</p>");
  }
  sbuf_printf(b, "<form method=\"post\" action=\"/dashboard/login\">"
                 "<input type=\"hidden\" name=\"lang\" value=\"%s\">"
                 "<label>%s<input id=\"name\" name=\"name\" autocomplete=\"username\" required"
                 " maxlength=\"64\" autofocus value=\"", lang, dash_t(lang, T_NAME));
  sbuf_html(b, name ? name : "");
  sbuf_printf(b, "\"></label><label>%s<input id=\"password\" name=\"password\" type=\"password\""
                 " autocomplete=\"current-password\" required maxlength=\"1024\"></label>"
                 "<button id=\"login\" type=\"submit\">%s</button></form>"
                 "<p class=\"small\"><a href=\"/dashboard/login?lang=%s\" hreflang=\"%s\">%s</a>"
                 "</p></div></body></html>\n",
              dash_t(lang, T_PASSWORD), dash_t(lang, T_LOGIN), other_lang(lang), other_lang(lang),
              dash_t(lang, T_SWITCH_LANG));
}
