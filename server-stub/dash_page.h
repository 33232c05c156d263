/* The dashboard's HTML: the login page and the main page with inline SVG bar charts. No script,
 * no external resource (the page works offline on an intranet); every text that comes from
 * records, devices or form definitions is HTML-escaped. */
#ifndef SRV_DASH_PAGE_H
#define SRV_DASH_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "dash_stats.h"
#include "db.h"
#include "sbuf.h"

typedef struct dash_view {
  const char *lang;                   /* "id" or "en" */
  const char *user;
  const char *from, *to, *province;   /* the filter as given ("" = none) */
  const catalog_t *cat;               /* NULL: the screening form is not published */
  dash_stats_t *st;                   /* NULL when cat is NULL */
  const db_device_activity_t *devices;
  size_t n_devices;
  int silent_days;
  int64_t now;
  int bad_filter;
  const db_dupe_t *dupes;             /* likely duplicates, group by group (first rows only) */
  size_t n_dupes;
  int64_t dupe_groups;                /* every group, also those not in `dupes` */
} dash_view_t;

#define DASH_MAX_DUPE_ROWS 200

#define DASH_FORM_ID "tppo_screening"

void dash_page(sbuf_t *b, const dash_view_t *v);
/* msg may be NULL; `error` styles it as a problem. `name` pre-fills the user name. */
void dash_login_page(sbuf_t *b, const char *lang, const char *msg, int error, const char *name);
/* 1 if the device counts as silent: active and not connected for more than `days` days. */
int dash_device_silent(const db_device_activity_t *a, int64_t now, int days);

/* A device whose credential ends within this many days is named (it needs a new code). */
#define DASH_EXPIRY_WARNING_DAYS 30
/* Whole days, rounded up, until the device's credential ends: 0 when it has ended, INT_MAX when
 * it has no expiry or the device is revoked. */
int dash_credential_days_left(const db_device_t *d, int64_t now);

#endif
