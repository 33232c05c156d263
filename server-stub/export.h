/* Exports of records for central staff: CSV (RFC 4180, one row per record, one column per field,
 * select_multiple expanded into one 0/1 column per choice) or JSON lines, across the published
 * versions of a form (columns merged by name, catalog.h). Streamed: each row is written as it is
 * read from one sqlite3_step() loop over a read snapshot, so memory does not grow with the number
 * of records.
 *
 * Every export is audited (export_audited): a row in the export_audit table before the first
 * record is read, completed afterwards, and one JSON line appended to the file
 * <db>.export-audit.log next to the database.
 *
 * Sealed records (SECURITY.md 4): a record as stored (clear answers, and for encrypted forms the
 * sealed text) becomes its answers through `open_payload`. Without the central key
 * (export_open_plain) a sealed record exports its clear part and `sealed` = 1; with it
 * (export_open_sealed) the envelope is opened and checked against the record. A record the opener
 * cannot read is reported on stderr with its uuid and left out, the others are written, and the
 * result counts it (never silently).
 */
#ifndef SRV_EXPORT_H
#define SRV_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "catalog.h"
#include "db.h"
#include "query.h"

struct cJSON;

typedef enum exp_format { EXP_CSV = 0, EXP_JSONL } exp_format_t;

/* A record as stored (borrowed for the call). */
typedef struct exp_stored {
  const char *uuid, *form_id;
  int form_version;
  const char *payload;       /* the clear answers (all answers of a form without encryption) */
  size_t payload_len;
  const char *sealed;        /* base64 sealed text, NULL when the record has none */
} exp_stored_t;

/* What an opener says about a record besides its answers. */
typedef struct exp_opened {
  int sealed_left;           /* 1: sealed answers stayed closed (only the clear part is given) */
  const char *integrity;     /* a static word (export_verify.h: ok, unsigned, consent_violation),
                              * NULL when the opener does not check */
} exp_opened_t;

/* Turns a stored record into its answers (a JSON object the caller deletes) and fills `st` (set
 * to zero first). NULL with the reason in `why` when the record cannot be read. */
typedef struct cJSON *(*exp_open_fn)(void *ctx, const exp_stored_t *rec, exp_opened_t *st,
                                     char *why, size_t whylen);

typedef struct exp_options {
  exp_format_t format;
  const char *lang;          /* "id" / "en": choice labels; NULL: choice names (codes) */
  int bom;                   /* CSV: UTF-8 byte order mark first (for Excel) */
  int raw_text;              /* CSV: no formula guard on free-text answers (see export.c) */
  rq_filter_t filter;        /* form_id "" = the only published form */
  const char *const *omit;   /* field names left out (NULL-terminated; may be NULL) */
  exp_open_fn open_payload;  /* NULL: stored answers are plain JSON (export_open_plain) */
  void *open_ctx;
} exp_options_t;

typedef struct exp_result {
  int64_t records;
  int64_t unreadable;        /* records left out because the opener refused them */
  char form_id[PROTO_FORM_ID_MAX + 1];
} exp_result_t;

/* The default opener (export_open.c): the clear answers; sealed texts stay closed. */
struct cJSON *export_open_plain(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                                size_t whylen);
/* The central key's opener: ctx is a sync_seal_opener_t (sync/seal.h) made from the central
 * secret key. The envelope must name the record's uuid, form and version; its payload overlaid
 * with the clear answers (central fields are newer) is returned. */
struct cJSON *export_open_sealed(void *ctx, const exp_stored_t *rec, exp_opened_t *st, char *why,
                                 size_t whylen);

/* Writes the export to `out`. SYNC_ERR_NOT_FOUND (no such form), SYNC_ERR_INVALID_ARG (several
 * forms and none chosen), SYNC_ERR_IO (write failed), storage errors; err tells. Records the
 * opener refuses are reported on stderr, counted in res->unreadable and noted in err (first
 * uuids) while the result stays SYNC_OK. */
sync_err_t export_run(db_conn_t *c, const exp_options_t *o, FILE *out, exp_result_t *res,
                      char *err, size_t errlen);

/* export_run wrapped in the audit: refuses to export when the audit cannot be written. `by` is
 * the staff member, `output` where the data goes (a path or "-"). The audit file is
 * `audit_path` (NULL: no file; the command passes <db>.export-audit.log). */
sync_err_t export_audited(db_conn_t *c, const exp_options_t *o, FILE *out, const char *by,
                          const char *output, const char *audit_path, exp_result_t *res,
                          char *err, size_t errlen);

/* "<db>.export-audit.log" (malloc'd). */
char *export_audit_path(const char *db_path);

#endif
