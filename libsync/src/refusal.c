/* Refusals kept and rendered (refusal.h). */
#include "refusal.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

#include "form_internal.h"

/* ---- storing ---------------------------------------------------------------------------------- */

static char *finish(cJSON *o)
{
  char *out = o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return out;
}

static cJSON *start(const char *code, const char *message, const char *message_id)
{
  cJSON *o = cJSON_CreateObject();
  if (o && (!cJSON_AddStringToObject(o, "code", code ? code : "rejected") ||
            !cJSON_AddStringToObject(o, "message", message ? message : "") ||
            (message_id && !cJSON_AddStringToObject(o, "message_id", message_id)) ||
            !cJSON_AddArrayToObject(o, "issues"))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static int add_issue(cJSON *o, const char *field, const char *code)
{
  cJSON *it = cJSON_CreateObject();
  if (!it || !cJSON_AddStringToObject(it, "field", field ? field : "") ||
      !cJSON_AddStringToObject(it, "code", code ? code : "")) {
    cJSON_Delete(it);
    return -1;
  }
  cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(o, "issues"), it);
  return 0;
}

char *refusal_from_error(const proto_error_t *pe)
{
  cJSON *o = start(pe->code_text[0] ? pe->code_text : proto_errcode_text(pe->code), pe->message_en,
                   pe->message_id);
  for (size_t i = 0; o && i < pe->n_issues; i++)
    if (add_issue(o, pe->issues[i].field, pe->issues[i].code) != 0) {
      cJSON_Delete(o);
      o = NULL;
    }
  return finish(o);
}

char *refusal_make(const char *code, const char *message, const char *field, const char *issue)
{
  cJSON *o = start(code, message, NULL);
  if (o && field && add_issue(o, field, issue) != 0) {
    cJSON_Delete(o);
    o = NULL;
  }
  return finish(o);
}

char *refusal_from_issues(const char *code, const issue_list_t *issues)
{
  cJSON *o = start(code, "", NULL);
  for (size_t i = 0; o && i < issues->count; i++)
    if (add_issue(o, issues->items[i].field, issues->items[i].code) != 0) {
      cJSON_Delete(o);
      o = NULL;
    }
  return finish(o);
}

/* ---- reading ---------------------------------------------------------------------------------- */

typedef struct text2 {
  const char *code;
  const char *id, *en;
} text2_t;

/* What each issue code means to an officer. Codes of proto/FORMS.md "Validation" and the
 * server's security checks (SECURITY.md 4, 6). */
static const text2_t ISSUE_TEXT[] = {
  {"required", "wajib diisi", "is required"},
  {"constraint", "jawaban tidak memenuhi batasan", "does not meet the constraint"},
  {"type", "jenis jawaban salah", "has the wrong kind of answer"},
  {"choice", "pilihan tidak dikenal server", "has a choice the server does not know"},
  {"unknown_field", "bukan pertanyaan di formulir server", "is not a question of the server's form"},
  {"not_clear", "harus disegel untuk kantor pusat, tidak boleh terbuka",
   "must be sealed for the central office, not sent in clear"},
  {"sealed_required", "jawaban harus disegel untuk kantor pusat",
   "the answers must be sealed for the central office"},
  {"consent", "dijawab padahal responden tidak memberi persetujuan",
   "is answered although the respondent did not consent"},
};

/* What the whole refusal means and what to do, by refusal code. */
static const text2_t CODE_TEXT[] = {
  {"invalid_change", "Ditolak server. Perbaiki jawaban berikut lalu kirim ulang",
   "Refused by the server. Correct these answers, then send again"},
  {"form_changed", "Formulir dari server berbeda dengan formulir di perangkat. Perbaiki jawaban "
   "berikut lalu kirim ulang", "The server's form differs from the one on this device. Correct "
   "these answers, then send again"},
  {"unknown_form", "Server belum mengenal formulir catatan ini. Catatan dikirim ulang otomatis "
   "setelah perangkat menerima formulir dari server", "The server does not know this record's "
   "form yet. It is sent again automatically once the device holds the server's form"},
  {"forbidden", "Server menolak catatan ini dari perangkat ini. Hubungi admin pusat",
   "The server refuses this record from this device. Contact central admin"},
  {"consent", "Tidak dikirim: ada jawaban tanpa persetujuan responden. Perbaiki lalu kirim ulang",
   "Not sent: answers were given without the respondent's consent. Correct them, then send "
   "again"},
  {"not_sendable", "Tidak dapat dikirim. Hubungi admin pusat",
   "Cannot be sent. Contact central admin"},
  {"too_large", "Terlalu besar untuk diterima server. Hubungi admin pusat",
   "Too large for the server to accept. Contact central admin"},
};

static const char *pick(const text2_t *t, size_t n, const char *code, int en)
{
  for (size_t i = 0; code && i < n; i++)
    if (strcmp(t[i].code, code) == 0)
      return en ? t[i].en : t[i].id;
  return NULL;
}

/* The officer's name for a field: its label in lang, else its name. */
static const char *field_label(const form_t *f, const char *name, const char *lang)
{
  long i = f && name && *name ? form_field_index(f, name) : -1;
  const char *l = i >= 0 ? form_label_text(f, f->fields[i].label, lang) : NULL;
  return l && *l ? l : name;
}

/* One issue's message in lang: the form's own constraint/required message when it has one. */
static const char *issue_message(const form_t *f, const char *field, const char *code,
                                 const char *lang)
{
  int en = form_msg_is_en(lang);
  long i = f && field && *field ? form_field_index(f, field) : -1;
  if (i >= 0 && code) {
    const cJSON *own = strcmp(code, "constraint") == 0 ? f->fields[i].constraint_message
                       : strcmp(code, "required") == 0 ? f->fields[i].required_message
                                                        : NULL;
    const char *m = own ? form_label_text(f, own, lang) : NULL;
    if (m && *m)
      return m;
  }
  const char *m = pick(ISSUE_TEXT, sizeof ISSUE_TEXT / sizeof *ISSUE_TEXT, code, en);
  return m ? m : code ? code : "";
}

/* Appends text to out (len > 0), truncating. */
static void append(char *out, size_t len, size_t *at, const char *text)
{
  int n = *at < len ? snprintf(out + *at, len - *at, "%s", text) : 0;
  if (n > 0)
    *at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

void refusal_render(const form_t *f, const char *stored, const char *lang, char *out, size_t len)
{
  if (!len)
    return;
  out[0] = '\0';
  cJSON *o = stored ? cJSON_Parse(stored) : NULL;
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
  const cJSON *issues = cJSON_GetObjectItemCaseSensitive(o, "issues");
  if (!cJSON_IsString(code)) {
    snprintf(out, len, "%s", stored ? stored : ""); /* kept before this format: as it is */
    cJSON_Delete(o);
    return;
  }
  int en = form_msg_is_en(lang);
  const char *head = pick(CODE_TEXT, sizeof CODE_TEXT / sizeof *CODE_TEXT, code->valuestring, en);
  /* the server's own words, in the reader's language when it sent them */
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, en ? "message" : "message_id");
  if (!cJSON_IsString(msg) || !*msg->valuestring)
    msg = cJSON_GetObjectItemCaseSensitive(o, "message");
  const char *said = cJSON_IsString(msg) && *msg->valuestring ? msg->valuestring : NULL;
  size_t at = 0;
  if (!head) {
    append(out, len, &at, en ? "Refused by the server: " : "Ditolak server: ");
    append(out, len, &at, said ? said : code->valuestring);
  } else {
    append(out, len, &at, head);
    if (cJSON_GetArraySize(issues) == 0 && said) {
      append(out, len, &at, " (");
      append(out, len, &at, said);
      append(out, len, &at, ")");
    }
  }
  int n = 0;
  for (const cJSON *it = cJSON_IsArray(issues) ? issues->child : NULL; it; it = it->next, n++) {
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(it, "field");
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(it, "code");
    const char *field = cJSON_IsString(fl) ? fl->valuestring : "";
    const char *icode = cJSON_IsString(ic) ? ic->valuestring : "";
    append(out, len, &at, n ? "; " : ": ");
    if (*field && strcmp(field, "sealed") != 0) {
      append(out, len, &at, field_label(f, field, lang));
      append(out, len, &at, " — ");
      append(out, len, &at, issue_message(f, field, icode, lang));
    } else {
      append(out, len, &at, issue_message(f, NULL, icode, lang));
    }
  }
  append(out, len, &at, ".");
  cJSON_Delete(o);
}

int refusal_issues(const form_t *f, const char *stored, const char *lang, issue_list_t *out)
{
  cJSON *o = stored ? cJSON_Parse(stored) : NULL;
  const cJSON *issues = cJSON_GetObjectItemCaseSensitive(o, "issues");
  int rc = 0;
  for (const cJSON *it = cJSON_IsArray(issues) ? issues->child : NULL; it && rc == 0; it = it->next) {
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(it, "field");
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(it, "code");
    const char *field = cJSON_IsString(fl) ? fl->valuestring : "";
    const char *icode = cJSON_IsString(ic) ? ic->valuestring : "";
    rc = issue_list_add(out, strcmp(field, "sealed") == 0 ? "" : field, icode,
                        issue_message(f, field, icode, lang));
  }
  cJSON_Delete(o);
  return rc;
}

int refusal_is_form_mismatch(const char *stored)
{
  cJSON *o = stored ? cJSON_Parse(stored) : NULL;
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
  const cJSON *issues = cJSON_GetObjectItemCaseSensitive(o, "issues");
  int yes = 0;
  if (cJSON_IsString(code) && strcmp(code->valuestring, "unknown_form") == 0) {
    yes = 1;
  } else if (cJSON_IsString(code) && strcmp(code->valuestring, "invalid_change") == 0 &&
             cJSON_GetArraySize(issues) > 0) {
    /* only when every issue is one a form difference explains */
    yes = 1;
    for (const cJSON *it = issues->child; it && yes; it = it->next) {
      const cJSON *ic = cJSON_GetObjectItemCaseSensitive(it, "code");
      yes = cJSON_IsString(ic) && (strcmp(ic->valuestring, "sealed_required") == 0 ||
                                   strcmp(ic->valuestring, "not_clear") == 0 ||
                                   strcmp(ic->valuestring, "unknown_field") == 0);
    }
  }
  cJSON_Delete(o);
  return yes;
}
