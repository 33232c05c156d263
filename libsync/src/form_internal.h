/* Internal to the form module (form_*.c): the layout of a parsed form, size limits and the
 * helpers the parse, validate and output files share. Nothing here is used outside form_*.c
 * (and the form fuzz targets), except form_field_needs_clear, which syncserver's form publish
 * calls.
 *
 * Definitions are read with cJSON (form_parse*.c, form_order.c); record payloads with the strict,
 * allocation-free reader of form_json.c, because validation runs on every record write.
 *
 * Ownership: a form owns the cJSON tree of its definition; names and label objects are borrowed
 * from that tree, so they live exactly as long as the form. A validation run (form_run_t) lives
 * on the caller's stack and borrows everything from the form and the payload text.
 */
#ifndef SYNC_FORM_INTERNAL_H
#define SYNC_FORM_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "expr.h"
#include "form_def.h"

/* ---- limits -------------------------------------------------------------------------------- */
#define FORM_MAX_DEF_BYTES     (4u << 20)  /* a definition, bytes */
#define FORM_MAX_LANGS         16
#define FORM_MAX_SECTIONS      500
#define FORM_MAX_FIELDS        2000        /* whole form */
#define FORM_MAX_LISTS         1000
#define FORM_MAX_CHOICES       10000       /* one list */
#define FORM_MAX_ALL_CHOICES   100000      /* all lists together */
#define FORM_MAX_EXPR_BYTES    10000       /* one expression's source */
#define FORM_MAX_LABEL_BYTES   100000      /* one label text */
#define FORM_MAX_TEXT_BYTES    10000       /* a text answer */
#define FORM_MAX_UNKNOWN_SHOWN 100         /* unknown keys named one by one in issues */
#define FORM_MAX_INT           9007199254740992.0 /* 2^53 */
#define FORM_NAME_RE           "^[a-z][a-z0-9_]{0,63}$"
#define FORM_CHOICE_RE         "^[A-Za-z0-9_.-]{1,64}$"
#define FORM_KEY_BYTES         32          /* encryption.public_key, duplicate_key.key */
#define FORM_MAX_DEDUP_FIELDS  8           /* duplicate_key.fields */

/* ---- layout ------------------------------------------------------------------------------- */
typedef struct form_section {
  const cJSON *obj;            /* its definition, for messages */
  const char *name;
  const cJSON *label;
  expr_t *relevant;            /* NULL: always relevant */
  uint32_t first, count;       /* its fields: fields[first .. first+count) */
} form_section_t;

/* A name -> index hash table over an array of names (open addressing, linear probing). */
typedef struct form_slot {
  uint32_t hash;
  uint32_t len;                /* of the name */
  uint32_t index1;             /* index + 1; 0 = empty slot */
} form_slot_t;

typedef struct form_names {
  const char *const *names;
  form_slot_t *slots;
  size_t mask;
} form_names_t;

typedef struct form_list {
  const char *name;
  uint32_t count;
  const char **names;          /* choice names in list order */
  form_names_t index;
} form_list_t;

typedef enum form_attr {
  ATTR_RELEVANT, ATTR_REQUIRED, ATTR_CONSTRAINT, ATTR_CALCULATION, ATTR_COUNT_
} form_attr_t;

typedef struct form_field {
  const cJSON *obj;            /* its definition, for messages */
  const char *name;
  char *json_key;              /* "name": ready to write */
  size_t json_key_len;
  field_type_t type;
  uint32_t section;
  int32_t list;                /* choice list index, -1 for non-select types */
  const cJSON *label, *hint, *required_message, *constraint_message;
  const char *appearance;
  int required;                /* constant `required: true` */
  int without_consent;
  int clear;                   /* listed in encryption.clear_fields */
  expr_t *expr[ATTR_COUNT_];   /* compiled expressions, NULL when absent */
  uint32_t dep_first, dep_count;  /* evaluation dependencies: form.deps[dep_first ..] */
} form_field_t;

typedef struct form_ref_slot {
  const char *ptr;             /* a reference name string owned by an expression tree */
  uint32_t field;
} form_ref_slot_t;

struct form {
  cJSON *root;                 /* the whole definition; everything below borrows from it */
  const char *id;
  int version;
  const char *default_lang;
  const cJSON *title;
  int consent_field;           /* field index, -1 when absent */
  int encrypted;               /* has an `encryption` block */
  unsigned char seal_key[FORM_KEY_BYTES];    /* encryption.public_key */
  size_t n_dedup;              /* duplicate_key.fields; 0 when not declared */
  uint32_t dedup_fields[FORM_MAX_DEDUP_FIELDS];
  unsigned char dedup_key[FORM_KEY_BYTES];   /* duplicate_key.key */

  size_t n_sections, n_fields, n_lists;
  form_section_t *sections;
  form_field_t *fields;
  form_list_t *lists;

  uint32_t *order;             /* field indices in evaluation order (dependencies first) */
  uint32_t *deps;              /* dependency targets, see form_field_t.dep_first */

  const char **field_names;    /* fields[i].name, for `by_name` */
  form_names_t by_name;
  form_ref_slot_t *ref_slots;  /* open addressing by pointer; ptr NULL = empty */
  size_t ref_mask;

  /* encryption.dictionary made ready for sealing (form_seal.c), on the first seal: loading it
   * costs more than a seal. Made under seal_lock; read-only once made, so seals share it. */
  pthread_mutex_t seal_lock;
  struct seal_dict *seal_dict;
};

/* ---- form_parse_util.c: error reporting and small checks shared by the parse files --------- */
typedef struct form_pctx {
  form_t *f;
  sync_err_t err;
  char *buf;
  size_t len;
} form_pctx_t;

/* Writes "form 'id' vN<where>: <message>" (or "form definition: ..." before the id is known) and
 * returns -1. `where` is "" or ", field 'x'" and the like. */
int form_fail(form_pctx_t *p, sync_err_t err, const char *where, const char *fmt, ...)
#if defined(__GNUC__)
  __attribute__((format(printf, 4, 5)))
#endif
  ;
/* A piece of untrusted text for a message: at most ~60 bytes, cut at a character boundary,
 * control characters replaced by '?'. */
void form_excerpt(char *out, size_t outlen, const char *s);
int form_name_ok(const char *s);          /* ^[a-z][a-z0-9_]{0,63}$ */
int form_choice_name_ok(const char *s);   /* ^[A-Za-z0-9_.-]{1,64}$ */
/* Refuses keys outside `known` (NULL-terminated) and repeated keys. */
int form_check_keys(form_pctx_t *p, const cJSON *obj, const char *const *known, const char *where);
/* A label object: every key a language of the form, every value a string, the default present. */
int form_check_label(form_pctx_t *p, const cJSON *lbl, const char *key, const char *where,
                     const cJSON *languages);
/* Compiles one expression attribute; NULL `v` leaves *out NULL. */
int form_compile(form_pctx_t *p, const cJSON *v, const char *attr, const char *where, expr_t **out);

/* ---- form_index.c: name lookups ------------------------------------------------------------ */
/* Indexes names[0..n): 0, or 1 with *dup the index of a name met before, or -1 out of memory. */
int form_names_build(form_names_t *t, const char *const *names, size_t n, size_t *dup);
long form_names_find(const form_names_t *t, const char *name);   /* -1 if absent */
void form_names_free(form_names_t *t);
/* 0, or 1 with *dup the index of a field whose name an earlier field has, or -1 out of memory. */
int form_build_name_index(form_t *f, size_t *dup);
long form_field_index(const form_t *f, const char *name);     /* -1 if no such field */
/* For ${name} at evaluation: a pointer-identity fast path, then the name index. */
long form_ref_index(const form_t *f, const char *name);
int form_build_ref_index(form_t *f);
long form_choice_index(const form_list_t *l, const char *name); /* -1 if not in the list */

/* ---- form_parse_field.c / form_parse_lists.c ---------------------------------------------- */
int form_parse_lists(form_pctx_t *p, const cJSON *lists, const cJSON *languages);
/* Fills f->sections[sec] and its fields starting at f->fields[*next]. */
int form_parse_section(form_pctx_t *p, const cJSON *obj, uint32_t sec, uint32_t *next,
                       const cJSON *languages);

/* ---- form_parse_security.c: `encryption` and `duplicate_key` (after fields and consent) ---- */
int form_parse_security(form_pctx_t *p, const cJSON *root);
/* 1 if field i must be listed in encryption.clear_fields: the consent field and every answerable
 * field kept without consent, unless appearance "central" keeps it readable anyway. Also used by
 * syncserver's form publish, to complete --clear-fields. */
int form_field_needs_clear(const form_t *f, size_t i);

/* ---- form_seal.c: payloads read by the security checks (form_seal.h) ---------------------- */
/* A payload as a cJSON object; NULL with *err SYNC_ERR_JSON for text that is not one, or that
 * names a field twice (SYNC_ERR_NOMEM when out of memory). */
cJSON *form_payload_tree(const form_t *f, const char *json, size_t len, sync_err_t *err);

/* ---- form_order.c --------------------------------------------------------------------------- */
/* Checks every reference, fills deps/order, refuses cycles. */
int form_resolve(form_pctx_t *p);

/* ---- form_text.c: bytes, UTF-8 and positions ------------------------------------------------ */
/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF). */
int form_utf8_ok(const char *s, size_t n);
/* Offset of the first byte that is not valid UTF-8, or n. */
size_t form_utf8_prefix(const char *s, size_t n);
/* Offset of the first NUL byte or "\u0000" escape (both would cut C strings short), or n. */
size_t form_find_nul(const char *s, size_t n);
void form_line_col(const char *s, size_t off, unsigned long *line, unsigned long *col);
/* Parses s[0..n) as one JSON value with nothing but white space after it. On failure returns
 * NULL, sets *err_off to the approximate offset of the problem and *trailing to 1 when the
 * problem is text after a complete value. */
cJSON *form_json_parse(const char *s, size_t n, size_t *err_off, int *trailing);

/* ---- form_access.c --------------------------------------------------------------------------- */
/* The text of a label object in `lang` (may be NULL), else in the default language. */
const char *form_label_text(const form_t *f, const cJSON *label, const char *lang);

/* ---- form_messages.c: built-in texts in Indonesian and English ------------------------------ */
typedef enum form_msg {
  FMSG_REQUIRED, FMSG_CONSTRAINT, FMSG_CHOICE_UNKNOWN, FMSG_CHOICE_REPEATED,
  FMSG_UNKNOWN_FIELD, FMSG_NOTE_ANSWER,
  FMSG_TYPE_TEXT, FMSG_TEXT_TOO_LONG, FMSG_TEXT_UTF8,
  FMSG_TYPE_INTEGER, FMSG_INTEGER_RANGE, FMSG_TYPE_DECIMAL, FMSG_TYPE_DATE,
  FMSG_TYPE_SELECT_ONE, FMSG_TYPE_SELECT_MULTIPLE, FMSG_TYPE_YES_NO,
  FMSG_EXPRESSION, FMSG_JSON_MALFORMED, FMSG_JSON_NOT_OBJECT, FMSG_JSON_DUPLICATE,
  FMSG_JSON_NUL, FMSG_TOO_LARGE,
  FMSG_COUNT_
} form_msg_t;

/* `en` is 1 for English, 0 for Indonesian. Never NULL. */
const char *form_msg(form_msg_t m, int en);
/* "And 12 more keys that are not questions of this form." */
void form_msg_more_unknown(char *buf, size_t len, size_t more, int en);
/* 1 when built-in messages should be English for the requested language. */
int form_msg_is_en(const char *lang);
/* The name of an expression attribute in messages: "relevant", "constraint", ... */
const char *form_attr_name(form_attr_t a);

typedef struct form_buf form_buf_t;

/* ---- validation state (form_validate.c, form_answer.c, form_emit.c) -------------------------- */
typedef struct form_chunk form_chunk_t;

/* Bump allocation for one validation call: the first kilobytes live on the caller's stack. */
typedef struct form_arena {
  char *p;
  size_t used, cap;
  form_chunk_t *chunks;
  char first[4096];
} form_arena_t;

void form_arena_init(form_arena_t *a);
void *form_arena_alloc(form_arena_t *a, size_t n);   /* 8-byte aligned, zeroed; NULL: no memory */
void form_arena_free(form_arena_t *a);

/* ---- form_json.c: the payload reader ---------------------------------------------------------- */
typedef enum form_jkind { FJ_NULL, FJ_FALSE, FJ_TRUE, FJ_NUM, FJ_STR, FJ_ARR, FJ_OBJ } form_jkind_t;

typedef struct form_jval {
  uint8_t kind;                /* form_jkind_t */
  uint8_t ok;                  /* FJ_STR: valid UTF-8; FJ_ARR: every element is a string */
  uint8_t plain;               /* FJ_STR: written without escapes, so it needs none */
  uint32_t count;              /* FJ_ARR: number of elements */
  uint32_t len;                /* FJ_STR: bytes */
  double num;                  /* FJ_NUM */
  const char *str;             /* FJ_STR: decoded, NUL-terminated. FJ_ARR of strings: `count`
                                * NUL-terminated strings back to back */
} form_jval_t;

#define FJ_UTF8  1
#define FJ_PLAIN 2
#define FORM_JSON_MALFORMED  (-1)
#define FORM_JSON_NOT_OBJECT (-2)
#define FORM_JSON_NUL        (-3)   /* a \u0000 escape: it would cut C strings short */

/* Called for each member in order; a non-zero return stops the reading and is returned. */
typedef int (*form_member_fn)(void *user, const char *key, size_t key_len, const form_jval_t *v);

/* Reads s[0..n) as one JSON object. `strbuf` holds n + 1 bytes; decoded keys and strings live
 * there. Returns 0, a callback's return value, or FORM_JSON_* with *err_off near the problem. */
int form_json_object(const char *s, size_t n, char *strbuf, form_member_fn fn, void *user,
                     size_t *err_off);

typedef struct form_unknown {
  const char *key;
  struct form_unknown *next;
} form_unknown_t;

typedef struct form_state {
  expr_value_t value;          /* what ${name} sees and what is written out; EMPTY if no answer */
  form_jval_t raw;             /* the caller's answer when has_raw */
  uint8_t has_raw;
  uint8_t relevant;
  uint8_t issue;               /* form_msg_t + 1 of a type / choice / note problem, 0 none */
  uint8_t dropped;             /* removed by consent minimisation: treated as not relevant */
} form_state_t;

typedef struct form_expr_error {
  uint32_t field;
  form_attr_t attr;
  int32_t section;             /* >= 0 when the section's relevance failed */
  char msg[200];
} form_expr_error_t;

#define FORM_INLINE_FIELDS 128
#define FORM_INLINE_SECTIONS 32

typedef struct form_run {
  const form_t *f;
  validate_mode_t mode;
  const char *lang;
  int en;                      /* built-in messages in English */
  int32_t today;
  char *strbuf;                /* decoded payload strings */
  int strbuf_owned;            /* malloc'd rather than in the arena */
  form_unknown_t *unknown, **unknown_tail;   /* keys that are no field, in payload order */
  const char *duplicate;       /* a key met twice */
  size_t next_guess;           /* payloads mostly list fields in form order: try this one first */
  form_state_t *st;
  uint8_t *sec;                /* per section: 0 not yet evaluated, 1 relevant, 2 not relevant */
  form_arena_t arena;
  form_expr_error_t *errs;
  size_t n_errs, cap_errs;
  size_t n_issues;             /* issues found by this run */
  issue_list_t *issues;        /* may be NULL: count only */
  size_t issues_from;          /* first issue of this run in `issues` */
  int nomem;
  form_state_t st_inline[FORM_INLINE_FIELDS];
  uint8_t sec_inline[FORM_INLINE_SECTIONS];
} form_run_t;

/* form_answer.c: checks the caller's answer of field i and fills r->st[i]. */
void form_decode_answer(form_run_t *r, size_t i);
int form_unanswered(const form_jval_t *v);
/* form_emit.c: canonical payload / evaluate document. */
void form_write_payload(const form_run_t *r, form_buf_t *b);
void form_write_evaluation(const form_run_t *r, form_buf_t *b);

/* ---- form_out.c: a growable output buffer and JSON writing ---------------------------------- */
struct form_buf {
  char *p;
  size_t len, cap;
  int oom;
};

void form_buf_init(form_buf_t *b, size_t cap_hint);
void form_buf_put(form_buf_t *b, const char *s, size_t n);
void form_buf_puts(form_buf_t *b, const char *s);
void form_buf_putc(form_buf_t *b, char c);
/* A JSON string literal with escapes. */
void form_buf_json_str(form_buf_t *b, const char *s);
/* A JSON number: integral values as integers, others as a short decimal that reads back as the
 * same double, always with '.' whatever the locale. Caller ensures isfinite(v). */
void form_buf_json_num(form_buf_t *b, double v);
/* Hands over the NUL-terminated text (NULL after an allocation failure). */
char *form_buf_take(form_buf_t *b);
void form_buf_free(form_buf_t *b);

#endif
