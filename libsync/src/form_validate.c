/* form_validate() and form_evaluate() (proto/FORMS.md, "Evaluation order" and "Validation"):
 * decode the answers, one pass in dependency order for relevance and calculations, then the
 * checks on the final values in document order, every failing field reported. VALIDATE_VALUES
 * (the server's check of what a device sent) judges what it can know from the answers it has:
 * see "strict values" below. */
#include "form_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form_seal.h"
#include "sync/record.h"

/* ---- issues ---------------------------------------------------------------------------------- */
static void add_issue(form_run_t *r, const char *field, const char *code, const char *msg)
{
  r->n_issues++;
  if (r->issues && issue_list_add(r->issues, field, code, msg ? msg : ""))
    r->nomem = 1;
}

static const char *issue_code(form_msg_t m)
{
  switch (m) {
  case FMSG_CHOICE_UNKNOWN:
  case FMSG_CHOICE_REPEATED: return "choice";
  case FMSG_NOTE_ANSWER:
  case FMSG_UNKNOWN_FIELD: return "unknown_field";
  default: return "type";
  }
}

static void expr_issue(form_run_t *r, size_t field, form_attr_t attr, int32_t section,
                       const char *detail)
{
  char msg[400];
  if (section >= 0)
    snprintf(msg, sizeof msg, "%s (relevant of section '%s'): %s", form_msg(FMSG_EXPRESSION, r->en),
             r->f->sections[section].name, detail);
  else
    snprintf(msg, sizeof msg, "%s (%s): %s", form_msg(FMSG_EXPRESSION, r->en),
             form_attr_name(attr), detail);
  add_issue(r, r->f->fields[field].name, "expression", msg);
}

/* Errors of the evaluation pass wait until the checks reach their field (document order). */
static void defer_expr_error(form_run_t *r, size_t field, form_attr_t attr, int32_t section,
                             const char *detail)
{
  if (r->n_errs == r->cap_errs) {
    size_t cap = r->cap_errs ? r->cap_errs * 2 : 4;
    form_expr_error_t *p = realloc(r->errs, cap * sizeof *p);
    if (!p) {
      r->nomem = 1;
      return;
    }
    r->errs = p;
    r->cap_errs = cap;
  }
  form_expr_error_t *x = &r->errs[r->n_errs++];
  x->field = (uint32_t)field;
  x->attr = attr;
  x->section = section;
  snprintf(x->msg, sizeof x->msg, "%s", detail);
}

static void emit_deferred(form_run_t *r, size_t field)
{
  for (size_t k = 0; k < r->n_errs; k++)
    if (r->errs[k].field == field)
      expr_issue(r, field, r->errs[k].attr, r->errs[k].section, r->errs[k].msg);
}

/* ---- evaluation ------------------------------------------------------------------------------ */
static int lookup(void *user, const char *name, expr_value_t *out)
{
  const form_run_t *r = user;
  long i = form_ref_index(r->f, name);
  if (i < 0)
    return -1;
  *out = r->st[i].value;
  out->owned = NULL;   /* borrowed: the run owns it */
  return 0;
}

/* Evaluates `e` into *out; on failure reports the error against `field` (now, or deferred until
 * the checks reach it) and leaves *out EMPTY. */
static int eval(form_run_t *r, const expr_t *e, size_t field, form_attr_t attr, int32_t section,
                const expr_value_t *self, int defer, expr_value_t *out)
{
  expr_env_t env;
  memset(&env, 0, sizeof env);
  env.lookup = lookup;
  env.user = r;
  env.today = r->today;
  if (self) {
    env.self = *self;
    env.self.owned = NULL;
  }
  expr_error_t err;
  err.pos = 0;
  err.msg[0] = '\0';
  memset(out, 0, sizeof *out);
  if (expr_eval(e, &env, out, &err) == 0)
    return 0;
  expr_value_clear(out);
  memset(out, 0, sizeof *out);
  err.msg[sizeof err.msg - 1] = '\0';
  if (!err.msg[0])
    snprintf(err.msg, sizeof err.msg, "evaluation failed");
  if (defer)
    defer_expr_error(r, field, attr, section, err.msg);
  else
    expr_issue(r, field, attr, section, err.msg);
  return -1;
}

/* A condition that is true when absent. An evaluation error counts as true, so that nothing the
 * caller entered is dropped while the error is reported. */
static int condition(form_run_t *r, const expr_t *e, size_t field, form_attr_t attr,
                     int32_t section, int defer, int *failed)
{
  if (!e)
    return 1;
  expr_value_t v;
  if (eval(r, e, field, attr, section, NULL, defer, &v)) {
    if (failed)
      *failed = 1;
    return 1;
  }
  int t = expr_truthy(&v);
  expr_value_clear(&v);
  return t;
}

static int section_relevant(form_run_t *r, uint32_t s)
{
  if (!r->sec[s]) {
    const form_section_t *sec = &r->f->sections[s];
    r->sec[s] = condition(r, sec->relevant, sec->first, ATTR_RELEVANT, (int32_t)s, 1, NULL) ? 1 : 2;
  }
  return r->sec[s] == 1;
}

static void evaluate_pass(form_run_t *r)
{
  const form_t *f = r->f;
  for (size_t k = 0; k < f->n_fields; k++) {
    uint32_t i = f->order[k];
    const form_field_t *fd = &f->fields[i];
    form_state_t *st = &r->st[i];
    st->relevant = (uint8_t)(!st->dropped && section_relevant(r, fd->section) &&
                             condition(r, fd->expr[ATTR_RELEVANT], i, ATTR_RELEVANT, -1, 1, NULL));
    if (!st->relevant)
      memset(&st->value, 0, sizeof st->value);
    else if (fd->type == FIELD_CALCULATE)
      eval(r, fd->expr[ATTR_CALCULATION], i, ATTR_CALCULATION, -1, NULL, 1, &st->value);
  }
}

/* ---- consent minimisation (proto/SECURITY.md 6) --------------------------------------------- */
static int consent_given(const form_run_t *r)
{
  const form_state_t *st = &r->st[r->f->consent_field];
  if (r->f->fields[r->f->consent_field].type == FIELD_YES_NO)
    return st->value.kind == EXPR_BOOL && st->value.b;
  return st->value.kind == EXPR_STR && strcmp(st->value.str, "yes") == 0;
}

/* Without consent only the without_consent fields and the consent field keep answers; the others
 * are dropped like answers to questions that are not asked, before anything is computed from
 * them (a kept calculation must not copy a dropped answer). */
static void drop_fields(form_run_t *r)
{
  const form_t *f = r->f;
  for (size_t i = 0; i < f->n_fields; i++) {
    form_state_t *st = &r->st[i];
    if ((long)i == f->consent_field || f->fields[i].without_consent)
      continue;
    st->dropped = 1;
    if (st->value.owned)
      expr_value_clear(&st->value);
    memset(&st->value, 0, sizeof st->value);
  }
}

static void evaluate_with_consent(form_run_t *r)
{
  const form_t *f = r->f;
  if (f->consent_field < 0) {
    evaluate_pass(r);
    return;
  }
  int refused = !consent_given(r);
  if (refused)
    drop_fields(r);
  evaluate_pass(r);
  if (refused || consent_given(r))
    return;
  /* consent was answered but the question was not relevant, so it does not count: evaluate
   * again from the answers without it */
  drop_fields(r);
  for (size_t i = 0; i < f->n_fields; i++) {
    form_state_t *st = &r->st[i];
    if (st->dropped)
      continue;
    if (st->value.owned)
      expr_value_clear(&st->value);
    memset(&st->value, 0, sizeof st->value);
    if (st->has_raw)
      form_decode_answer(r, i);
  }
  memset(r->sec, 0, f->n_sections);
  r->n_errs = 0;
  evaluate_pass(r);
}

/* ---- checks ---------------------------------------------------------------------------------- */
static void check_constraint(form_run_t *r, size_t i)
{
  const form_field_t *fd = &r->f->fields[i];
  const form_state_t *st = &r->st[i];
  expr_value_t v;
  if (eval(r, fd->expr[ATTR_CONSTRAINT], i, ATTR_CONSTRAINT, -1, &st->value, 0, &v))
    return;
  int ok = expr_truthy(&v);
  expr_value_clear(&v);
  if (!ok) {
    const char *m = form_label_text(r->f, fd->constraint_message, r->lang);
    add_issue(r, fd->name, "constraint", m ? m : form_msg(FMSG_CONSTRAINT, r->en));
  }
}

static void check_final(form_run_t *r, size_t i)
{
  const form_field_t *fd = &r->f->fields[i];
  const form_state_t *st = &r->st[i];
  if (st->value.kind == EXPR_EMPTY || (st->value.kind == EXPR_STR && !st->value.str[0])) {
    int failed = 0;
    int req = fd->required ||
              (fd->expr[ATTR_REQUIRED] &&
               condition(r, fd->expr[ATTR_REQUIRED], i, ATTR_REQUIRED, -1, 0, &failed));
    if (req && !failed) {
      const char *m = form_label_text(r->f, fd->required_message, r->lang);
      add_issue(r, fd->name, "required", m ? m : form_msg(FMSG_REQUIRED, r->en));
    }
    return;
  }
  if (fd->expr[ATTR_CONSTRAINT])
    check_constraint(r, i);
}

/* ---- strict values (VALIDATE_VALUES) --------------------------------------------------------
 * The server has a final record's readable part only (sealed answers are absent) and does not
 * know on which day the device evaluated it. It judges:
 * - every answer present, relevant or not: its type and choices (form_answer.c);
 * - an answer present where its question is not asked (the device's canonical payload never
 *   holds one), when that relevance is known;
 * - constraints, when everything they read is known and their outcome is the same on the
 *   earliest and the latest day a device can be on (so a `. <= today()` is left to the device);
 * - calculated values: recomputed and compared when everything they read is known (and the
 *   outcome does not depend on the day); otherwise only their shape (a number, yes/no or a
 *   text without control characters), since the inputs are sealed.
 * Known: a clear answer, or a value computed only from known values, whose relevance (its own
 * and its section's) reads only known values and does not depend on the day. */
#define DAY_EARLIEST (-25567)   /* 1900-01-01 */

/* Evaluates `e` on day `today` without reporting anything: 0, or -1 with *out EMPTY. */
static int eval_quiet(form_run_t *r, const expr_t *e, const expr_value_t *self, int32_t today,
                      expr_value_t *out)
{
  expr_env_t env;
  memset(&env, 0, sizeof env);
  env.lookup = lookup;
  env.user = r;
  env.today = today;
  if (self) {
    env.self = *self;
    env.self.owned = NULL;
  }
  expr_error_t err;
  memset(out, 0, sizeof *out);
  if (expr_eval(e, &env, out, &err) == 0)
    return 0;
  expr_value_clear(out);
  memset(out, 0, sizeof *out);
  return -1;
}

static int same_value(const expr_value_t *a, const expr_value_t *b)
{
  if (a->kind != b->kind)
    return 0;
  switch (a->kind) {
  case EXPR_EMPTY: return 1;
  case EXPR_BOOL: return !a->b == !b->b;
  case EXPR_NUM: return a->num == b->num || (isnan(a->num) && isnan(b->num));
  case EXPR_STR: return strcmp(a->str, b->str) == 0;
  case EXPR_DATE: return a->days == b->days;
  }
  return 0;
}

static int day_dependent(form_run_t *r, const expr_t *e, const expr_value_t *self)
{
  expr_value_t a, b;
  int ra = eval_quiet(r, e, self, DAY_EARLIEST, &a);
  int rb = eval_quiet(r, e, self, r->today + 1, &b);   /* a device east of UTC is a day ahead */
  int dep = ra != rb || (ra == 0 && !same_value(&a, &b));
  expr_value_clear(&a);
  expr_value_clear(&b);
  return dep;
}

/* 1 when `src` has a call of function `name`: the name, not inside another name or a ${ref},
 * then "(" after optional blanks. Inside a string literal it counts too (a harmless excess). */
static int calls(const char *src, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = strstr(src, name); p; p = strstr(p + 1, name)) {
    char before = p == src ? ' ' : p[-1];
    if ((before >= 'a' && before <= 'z') || (before >= '0' && before <= '9') || before == '_' ||
        before == '-' || before == '{')
      continue;
    const char *q = p + n;
    while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
      q++;
    if (*q == '(')
      return 1;
  }
  return 0;
}

/* 1 when the expression `attr` of definition `obj` may read the day: only today() and age() do
 * (the check is cheap; evaluating twice is not). */
static int may_read_day(const cJSON *obj, const char *attr)
{
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(obj, attr);
  return !cJSON_IsString(src) || calls(src->valuestring, "today") ||
         calls(src->valuestring, "age");
}

/* 1 when expression `attr` of definition `obj` (e, NULL: absent) reads only known values and its
 * outcome does not depend on the day. */
static int judgeable(form_run_t *r, const cJSON *obj, const char *attr, const expr_t *e,
                     const uint8_t *known, const expr_value_t *self)
{
  if (!e)
    return 1;
  for (size_t k = 0; k < expr_ref_count(e); k++) {
    long j = form_ref_index(r->f, expr_ref_name(e, k));
    if (j < 0 || !known[j])
      return 0;
  }
  return !may_read_day(obj, attr) || !day_dependent(r, e, self);
}

static void find_known(form_run_t *r, uint8_t *known)
{
  const form_t *f = r->f;
  for (size_t k = 0; k < f->n_fields; k++) {
    uint32_t i = f->order[k];
    const form_field_t *fd = &f->fields[i];
    const form_section_t *sec = &f->sections[fd->section];
    int ok = judgeable(r, sec->obj, "relevant", sec->relevant, known, NULL) &&
             judgeable(r, fd->obj, "relevant", fd->expr[ATTR_RELEVANT], known, NULL);
    if (fd->type == FIELD_CALCULATE)
      ok = ok && judgeable(r, fd->obj, "calculation", fd->expr[ATTR_CALCULATION], known, NULL);
    else
      ok = ok && form_field_is_clear(f, fd->name);
    known[i] = (uint8_t)ok;
  }
}

/* 1 when the device's answer of a calculated field is what the calculation gives here (an
 * absent output, as the canonical payload leaves it out, matches no answer). */
static int calculated_matches(const form_state_t *st)
{
  const expr_value_t *v = &st->value;
  const form_jval_t *raw = &st->raw;
  char date[11];
  if (!st->relevant)
    return 0;
  switch (v->kind) {
  case EXPR_NUM: return raw->kind == FJ_NUM && isfinite(v->num) && raw->num == v->num;
  case EXPR_BOOL: return raw->kind == (v->b ? FJ_TRUE : FJ_FALSE);
  case EXPR_STR: return raw->kind == FJ_STR && v->str[0] && strcmp(raw->str, v->str) == 0;
  case EXPR_DATE:
    expr_format_date(v->days, date);
    date[10] = '\0';
    return raw->kind == FJ_STR && strcmp(raw->str, date) == 0;
  case EXPR_EMPTY: return 0;
  }
  return 0;
}

/* A value the server cannot recompute: a finite number, yes/no, or a text without control
 * characters within the text limit. */
static int plain_scalar(const form_jval_t *raw)
{
  if (raw->kind == FJ_NUM)
    return isfinite(raw->num);
  if (raw->kind == FJ_TRUE || raw->kind == FJ_FALSE)
    return 1;
  if (raw->kind != FJ_STR || !raw->ok || raw->len > FORM_MAX_TEXT_BYTES)
    return 0;
  for (const unsigned char *p = (const unsigned char *)raw->str; *p; p++)
    if (*p < 0x20 || *p == 0x7F)
      return 0;
  return 1;
}

static void check_value(form_run_t *r, size_t i, const uint8_t *known)
{
  const form_field_t *fd = &r->f->fields[i];
  const form_state_t *st = &r->st[i];
  if (!st->has_raw || form_unanswered(&st->raw) || fd->type == FIELD_NOTE || st->dropped)
    return;   /* notes: check_all; dropped answers: the consent check refuses them */
  if (st->issue) {
    form_msg_t m = (form_msg_t)(st->issue - 1);
    add_issue(r, fd->name, issue_code(m), form_msg(m, r->en));
  } else if (fd->type == FIELD_CALCULATE && known[i]) {
    if (!calculated_matches(st))
      add_issue(r, fd->name, "calculated",
                r->en ? "The value sent differs from the form's calculation."
                      : "Nilai yang dikirim berbeda dari hasil hitungan formulir.");
  } else if (fd->type == FIELD_CALCULATE) {
    if (!plain_scalar(&st->raw))
      add_issue(r, fd->name, "type",
                r->en ? "A calculated value must be a number, yes/no or a text."
                      : "Nilai hitungan harus berupa angka, ya/tidak, atau teks.");
  } else if (!st->relevant) {
    if (known[i])
      add_issue(r, fd->name, "not_relevant",
                r->en ? "This question is not asked for these answers, so it has no answer."
                      : "Pertanyaan ini tidak ditanyakan untuk jawaban ini, jadi tidak ada"
                        " jawabannya.");
  } else if (fd->expr[ATTR_CONSTRAINT] &&
             judgeable(r, fd->obj, "constraint", fd->expr[ATTR_CONSTRAINT], known, &st->value)) {
    check_constraint(r, i);
  }
}

/* An unknown key as an issue's field: valid UTF-8 without control characters, at most 64 bytes
 * of it (cut at a character boundary, then "..."). */
static void unknown_key(form_run_t *r, const char *key)
{
  char shown[72];
  size_t n = strlen(key);
  size_t ok = form_utf8_prefix(key, n);
  size_t keep = ok < 64 ? ok : 64;
  while (keep < ok && keep > 0 && ((unsigned char)key[keep] & 0xC0) == 0x80)
    keep--;   /* not inside a character */
  for (size_t i = 0; i < keep; i++)
    shown[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7F ? '?' : key[i];
  memcpy(shown + keep, keep < n ? "..." : "", keep < n ? 4 : 1);
  add_issue(r, shown, "unknown_field", form_msg(FMSG_UNKNOWN_FIELD, r->en));
}

static void check_all(form_run_t *r)
{
  const form_t *f = r->f;
  uint8_t *known = NULL;
  if (r->mode == VALIDATE_VALUES) {
    if (!(known = calloc(f->n_fields ? f->n_fields : 1, 1))) {
      r->nomem = 1;
      return;
    }
    find_known(r, known);
  }
  for (size_t i = 0; i < f->n_fields; i++) {
    const form_field_t *fd = &f->fields[i];
    const form_state_t *st = &r->st[i];
    if (fd->type == FIELD_NOTE && st->issue)
      add_issue(r, fd->name, "unknown_field", form_msg(FMSG_NOTE_ANSWER, r->en));
    if (r->n_errs)
      emit_deferred(r, i);
    if (known) {
      check_value(r, i, known);
      continue;
    }
    if (!st->relevant || fd->type == FIELD_NOTE)
      continue;   /* answers to questions that are not asked are dropped, not judged */
    if (st->issue) {
      form_msg_t m = (form_msg_t)(st->issue - 1);
      add_issue(r, fd->name, issue_code(m), form_msg(m, r->en));
    } else if (r->mode == VALIDATE_FINAL && fd->type != FIELD_CALCULATE) {
      check_final(r, i);
    }
  }
  free(known);
  /* every key is named up to a point; a payload of a million junk keys gets a summary */
  size_t shown = 0, more = 0;
  for (const form_unknown_t *u = r->unknown; u; u = u->next)
    if (shown < FORM_MAX_UNKNOWN_SHOWN) {
      unknown_key(r, u->key);
      shown++;
    } else {
      more++;
    }
  if (more) {
    char msg[200];
    form_msg_more_unknown(msg, sizeof msg, more, r->en);
    add_issue(r, "", "unknown_field", msg);
  }
}

/* ---- a run ----------------------------------------------------------------------------------- */
static sync_err_t payload_issue(form_run_t *r, sync_err_t rc, const char *code, const char *msg)
{
  add_issue(r, "", code, msg);
  return r->nomem ? SYNC_ERR_NOMEM : rc;
}

/* The field named `key`: the next few fields in form order are tried before the hash table,
 * since payloads written by the library or a form UI come in that order. */
static long member_field(form_run_t *r, const char *key, size_t key_len)
{
  const form_t *f = r->f;
  for (size_t i = r->next_guess; i < f->n_fields && i < r->next_guess + 4; i++)
    if (f->fields[i].json_key_len == key_len + 3 && memcmp(f->fields[i].name, key, key_len) == 0) {
      r->next_guess = i + 1;
      return (long)i;
    }
  long i = form_field_index(f, key);
  if (i >= 0)
    r->next_guess = (size_t)i + 1;
  return i;
}

static int take_member(void *user, const char *key, size_t key_len, const form_jval_t *v)
{
  form_run_t *r = user;
  long i = member_field(r, key, key_len);
  if (i < 0) {
    form_unknown_t *u = form_arena_alloc(&r->arena, sizeof *u);
    if (!u)
      return 2;
    u->key = key;
    *r->unknown_tail = u;
    r->unknown_tail = &u->next;
    return 0;
  }
  if (r->st[i].has_raw) {
    r->duplicate = key;
    return 1;
  }
  r->st[i].raw = *v;
  r->st[i].has_raw = 1;
  return 0;
}

static sync_err_t parse_payload(form_run_t *r, const char *json, size_t len)
{
  if (len > SYNC_MAX_PAYLOAD)
    return payload_issue(r, SYNC_ERR_TOO_LARGE, "too_large", form_msg(FMSG_TOO_LARGE, r->en));
  if (memchr(json, '\0', len))
    return payload_issue(r, SYNC_ERR_JSON, "json", form_msg(FMSG_JSON_NUL, r->en));
  r->strbuf_owned = len >= sizeof r->arena.first / 2;
  r->strbuf = r->strbuf_owned ? malloc(len + 1) : form_arena_alloc(&r->arena, len + 1);
  if (!r->strbuf)
    return SYNC_ERR_NOMEM;
  size_t bad = 0;
  int rc = form_json_object(json, len, r->strbuf, take_member, r, &bad);
  char msg[200];
  unsigned long line, col;
  switch (rc) {
  case 0:
    return SYNC_OK;
  case 1:
    snprintf(msg, sizeof msg, "%s: '%.64s'.", form_msg(FMSG_JSON_DUPLICATE, r->en), r->duplicate);
    return payload_issue(r, SYNC_ERR_JSON, "json", msg);
  case FORM_JSON_NOT_OBJECT:
    return payload_issue(r, SYNC_ERR_JSON, "json", form_msg(FMSG_JSON_NOT_OBJECT, r->en));
  case FORM_JSON_NUL:
    return payload_issue(r, SYNC_ERR_JSON, "json", form_msg(FMSG_JSON_NUL, r->en));
  case FORM_JSON_MALFORMED:
    form_line_col(json, bad, &line, &col);
    snprintf(msg, sizeof msg, r->en ? "%s (line %lu, column %lu)." : "%s (baris %lu, kolom %lu).",
             form_msg(FMSG_JSON_MALFORMED, r->en), line, col);
    return payload_issue(r, SYNC_ERR_JSON, "json", msg);
  default:
    return SYNC_ERR_NOMEM;
  }
}

static sync_err_t run(form_run_t *r, const char *json, size_t len)
{
  const form_t *f = r->f;
  r->st = f->n_fields > FORM_INLINE_FIELDS ? calloc(f->n_fields, sizeof *r->st) : r->st_inline;
  r->sec = f->n_sections > FORM_INLINE_SECTIONS ? malloc(f->n_sections) : r->sec_inline;
  if (!r->st || !r->sec)
    return SYNC_ERR_NOMEM;
  memset(r->st, 0, f->n_fields * sizeof *r->st);
  memset(r->sec, 0, f->n_sections);
  sync_err_t rc = parse_payload(r, json, len);
  if (rc != SYNC_OK)
    return rc;
  for (size_t i = 0; i < f->n_fields; i++)
    if (r->st[i].has_raw)
      form_decode_answer(r, i);
  evaluate_with_consent(r);
  check_all(r);
  return r->nomem ? SYNC_ERR_NOMEM : SYNC_OK;
}

static void run_init(form_run_t *r, const form_t *f, validate_mode_t mode, const char *lang,
                     int32_t today, issue_list_t *issues)
{
  r->f = f;
  r->mode = mode;
  r->lang = lang;
  r->en = form_msg_is_en(lang);
  r->today = today;
  r->strbuf = NULL;
  r->strbuf_owned = 0;
  r->unknown = NULL;
  r->unknown_tail = &r->unknown;
  r->duplicate = NULL;
  r->next_guess = 0;
  r->st = NULL;
  r->sec = NULL;
  form_arena_init(&r->arena);
  r->errs = NULL;
  r->n_errs = r->cap_errs = 0;
  r->n_issues = 0;
  r->issues = issues;
  r->issues_from = issues ? issues->count : 0;
  r->nomem = 0;
}

static void run_free(form_run_t *r)
{
  if (r->st)
    for (size_t i = 0; i < r->f->n_fields; i++)
      if (r->st[i].value.owned)
        expr_value_clear(&r->st[i].value);
  if (r->st != r->st_inline)
    free(r->st);
  if (r->sec != r->sec_inline)
    free(r->sec);
  free(r->errs);
  if (r->strbuf_owned)
    free(r->strbuf);
  form_arena_free(&r->arena);
}

sync_err_t form_validate(const form_t *f, const char *payload_json, size_t len,
                         validate_mode_t mode, const char *lang, int32_t today,
                         char **canonical_json, issue_list_t *issues)
{
  if (canonical_json)
    *canonical_json = NULL;
  if (!f || (!payload_json && len))
    return SYNC_ERR_INVALID_ARG;
  form_run_t r;
  run_init(&r, f, mode, lang, today, issues);
  sync_err_t rc = run(&r, payload_json ? payload_json : "", len);
  if (rc == SYNC_OK && r.n_issues)
    rc = SYNC_ERR_VALIDATION;
  if (rc == SYNC_OK && canonical_json) {
    form_buf_t b;
    form_buf_init(&b, len + 64);
    form_write_payload(&r, &b);
    if (!b.oom && b.len > SYNC_MAX_PAYLOAD) {   /* escapes and calculations can grow it */
      form_buf_free(&b);
      rc = payload_issue(&r, SYNC_ERR_TOO_LARGE, "too_large", form_msg(FMSG_TOO_LARGE, r.en));
    } else if (!(*canonical_json = form_buf_take(&b))) {
      rc = SYNC_ERR_NOMEM;
    }
  }
  run_free(&r);
  return rc;
}

sync_err_t form_evaluate(const form_t *f, const char *payload_json, size_t len, const char *lang,
                         int32_t today, char **out_json, issue_list_t *issues)
{
  if (out_json)
    *out_json = NULL;
  if (!f || !out_json || (!payload_json && len))
    return SYNC_ERR_INVALID_ARG;
  issue_list_t local = { NULL, 0, 0 };
  form_run_t r;
  run_init(&r, f, VALIDATE_FINAL, lang, today, issues ? issues : &local);
  sync_err_t rc = run(&r, payload_json ? payload_json : "", len);
  if (rc == SYNC_OK) {
    form_buf_t b;
    form_buf_init(&b, 2 * len + 32 * f->n_fields + 64);
    form_write_evaluation(&r, &b);
    if (!(*out_json = form_buf_take(&b)))
      rc = SYNC_ERR_NOMEM;
  }
  run_free(&r);
  issue_list_clear(&local);
  return rc;
}
