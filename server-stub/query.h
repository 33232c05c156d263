/* Record filters shared by the admin listing, the exports and the dashboard: form, region
 * (province code "35" or a regency code prefix "35.02"), period (of the interview date or of the
 * time the server first received the record), record status, case status set by central staff,
 * and the screening result (the officer's judgement when they disagreed with the computed one).
 *
 * The filter becomes a WHERE clause over the `records` view aliased `r` with named parameters;
 * rq_bind() binds them on the prepared statement. Answers are read with SQLite's json_extract
 * from the stored payload, so filtering needs no copy of the answers in other tables.
 */
#ifndef SRV_QUERY_H
#define SRV_QUERY_H

#include <sqlite3.h>
#include <stddef.h>

#include "codec.h"
#include "sbuf.h"

#define RQ_MAX_REGIONS 16
#define RQ_VALUE_MAX 64

typedef enum rq_date { RQ_DATE_INTERVIEW = 0, RQ_DATE_RECEIVED } rq_date_t;
typedef enum rq_status { RQ_STATUS_FINAL = 0, RQ_STATUS_DELETED, RQ_STATUS_ALL } rq_status_t;

typedef struct rq_filter {
  char form_id[PROTO_FORM_ID_MAX + 1];       /* "" = every form */
  char regions[RQ_MAX_REGIONS][8];           /* "35", "35.02", "35.0" ... (OR) */
  int n_regions;
  char from[11], to[11];                     /* "YYYY-MM-DD", inclusive; "" = open */
  rq_date_t date_of;
  rq_status_t status;                        /* default: final (not deleted) */
  char case_status[RQ_VALUE_MAX + 1];        /* "" = any; "new" also matches no status yet */
  char result[RQ_VALUE_MAX + 1];             /* "" = any; "none" = no result (consent refused) */
} rq_filter_t;

void rq_filter_init(rq_filter_t *f);

/* Sets one criterion from its command-line / query-string name: "form", "region" (comma list),
 * "from", "to", "date" (interview|received), "status" (final|deleted|all), "case-status",
 * "result". 0 on success; -1 with a message in err for a bad value (the filter is left as it
 * was); 1 for an unknown key. */
int rq_filter_set(rq_filter_t *f, const char *key, const char *value, char *err, size_t errlen);
/* The names rq_filter_set() knows, NULL-terminated. */
extern const char *const RQ_KEYS[];

/* Appends " WHERE ..." (always at least the status condition) for the `records` view as `r`. */
void rq_where(const rq_filter_t *f, sbuf_t *sql);
/* Binds the parameters rq_where() used. */
void rq_bind(const rq_filter_t *f, sqlite3_stmt *st);
/* The criteria that are set, as a compact JSON object (for the export audit). */
void rq_describe(const rq_filter_t *f, sbuf_t *out);

/* The SQL expression of a record's screening result (officer's judgement if they disagreed,
 * else the computed category; NULL when neither: consent refused). */
#define RQ_RESULT_SQL                                                                              \
  "(CASE WHEN json_extract(r.payload, '$.officer_agrees') = 0"                                     \
  " THEN coalesce(json_extract(r.payload, '$.officer_result'),"                                    \
  " json_extract(r.payload, '$.result_category'))"                                                 \
  " ELSE json_extract(r.payload, '$.result_category') END)"

/* When the record first reached the server (its first revision), ms since the epoch. */
#define RQ_FIRST_RECEIVED_SQL                                                                      \
  "(SELECT fr.received_at FROM record_keys fk JOIN record_revisions fr"                            \
  " ON fr.server_seq = fk.server_seq WHERE fk.uuid = r.uuid ORDER BY fk.server_seq LIMIT 1)"

/* "YYYY-MM-DD" → ms since the epoch at 00:00 UTC; -1 if it is not a real date. */
long long rq_date_ms(const char *date);

#endif
