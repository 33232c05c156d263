/* The published versions of one form, merged for central staff (exports, listings, the
 * dashboard). Records keep the version they were made with, so a report over several versions
 * needs one set of columns: every field that holds an answer or a calculated value (notes have
 * none), by name, in a stable order — version 1's order, then the fields each later version adds,
 * in that version's order. Choice lists are merged the same way (a select_multiple column expands
 * into one column per choice ever offered). Labels are read from the version a record was made
 * with, falling back to the newest version that has the choice.
 *
 * Ownership: catalog_load() returns a catalog the caller frees with catalog_free(); every
 * pointer it hands out lives as long as the catalog. Threads: immutable once loaded.
 */
#ifndef SRV_CATALOG_H
#define SRV_CATALOG_H

#include <stddef.h>

#include "db.h"
#include "form_def.h"

struct cJSON;

typedef struct cat_col {
  const char *name;
  field_type_t type;          /* as in the first version that has the field */
  int central;                /* appearance "central": set by central staff (case_status, ...) */
  int first_version;
  size_t n_choices;           /* select fields: merged choice names */
  const char **choices;
} cat_col_t;

typedef struct cat_version {
  int version;
  form_t *form;
  struct cJSON *root;                 /* the definition, for labels */
  const struct cJSON **field;         /* per column: the field's definition here (NULL: absent) */
  const struct cJSON ***choice_label; /* per column, per merged choice: its label object here */
} cat_version_t;

typedef struct catalog catalog_t;
struct catalog {
  char form_id[PROTO_FORM_ID_MAX + 1];
  char default_lang[16];
  cat_version_t *versions;    /* ascending */
  size_t n_versions;
  cat_col_t *cols;
  size_t n_cols;
  int *slots;                 /* name hash: column index + 1, 0 = empty */
  size_t mask;
};

/* Every published version of form_id. SYNC_ERR_NOT_FOUND when none is published; SYNC_ERR_FORM
 * when a stored definition does not parse (err tells). */
sync_err_t catalog_load(db_conn_t *c, const char *form_id, catalog_t **out, char *err,
                        size_t errlen);
/* A catalog from definition texts (ascending versions), for tests and tools. */
sync_err_t catalog_from_texts(const char *const *defs, size_t n, catalog_t **out, char *err,
                              size_t errlen);
void catalog_free(catalog_t *cat);

/* Column index of a field name, -1 if no version has it. */
int catalog_col(const catalog_t *cat, const char *name, size_t len);
/* The version entry, NULL if that version is not published. */
const cat_version_t *catalog_version(const catalog_t *cat, int version);
const cat_version_t *catalog_latest(const catalog_t *cat);
/* Index of a choice name in a column's merged list, -1 if unknown. */
int catalog_choice(const cat_col_t *col, const char *name);

/* Text of a label object in `lang`, else in the form's default language; NULL if neither. */
const char *catalog_text(const catalog_t *cat, const struct cJSON *label, const char *lang);
/* Label of choice `ci` of column `col` as version `v` (NULL: the newest) words it, else as the
 * newest version that has it; the choice name itself when no version labels it. */
const char *catalog_choice_label(const catalog_t *cat, const cat_version_t *v, size_t col,
                                 size_t ci, const char *lang);
/* A field's label (newest version that has it), else its name. */
const char *catalog_field_label(const catalog_t *cat, size_t col, const char *lang);
/* Label of a choice of a named choice list in the newest version that has it, else `choice`. */
const char *catalog_list_label(const catalog_t *cat, const char *list, const char *choice,
                               const char *lang);
const char *catalog_title(const catalog_t *cat, const char *lang);
/* "Ya"/"Yes" and "Tidak"/"No" for yes_no answers. */
const char *catalog_yes_no(int value, const char *lang);

#endif
