/* Checks shared by the definition parser: error messages that name the place, name patterns,
 * unknown and repeated keys, label objects and expression compilation. */
#include "form_internal.h"

#include <stdio.h>
#include <string.h>

int form_fail(form_pctx_t *p, sync_err_t err, const char *where, const char *fmt, ...)
{
  p->err = err;
  if (!p->buf || p->len == 0)
    return -1;
  int n;
  if (p->f && p->f->id && p->f->version > 0)
    n = snprintf(p->buf, p->len, "form '%s' v%d%s: ", p->f->id, p->f->version, where);
  else if (p->f && p->f->id)
    n = snprintf(p->buf, p->len, "form '%s'%s: ", p->f->id, where);
  else
    n = snprintf(p->buf, p->len, "form definition%s: ", where);
  if (n < 0 || (size_t)n >= p->len)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->buf + n, p->len - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

int form_name_ok(const char *s)
{
  if (!s || !(*s >= 'a' && *s <= 'z'))
    return 0;
  size_t i = 1;
  for (; s[i]; i++) {
    char c = s[i];
    if (i >= 64 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

int form_choice_name_ok(const char *s)
{
  if (!s || !*s)
    return 0;
  size_t i = 0;
  for (; s[i]; i++) {
    char c = s[i];
    if (i >= 64 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

void form_excerpt(char *out, size_t outlen, const char *key)
{
  size_t j = 0;
  for (size_t i = 0; key[i] && j + 4 < outlen; i++) {
    unsigned char c = (unsigned char)key[i];
    out[j++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    if (i >= 60 && ((unsigned char)key[i + 1] & 0xC0) != 0x80 && key[i + 1]) {
      memcpy(out + j, "...", 3);
      j += 3;
      break;
    }
  }
  out[j] = '\0';
}

int form_check_keys(form_pctx_t *p, const cJSON *obj, const char *const *known, const char *where)
{
  uint32_t seen = 0;
  for (const cJSON *it = obj->child; it; it = it->next) {
    size_t k = 0;
    while (known[k] && strcmp(known[k], it->string) != 0)
      k++;
    char q[80];
    form_excerpt(q, sizeof q, it->string);
    if (!known[k])
      return form_fail(p, SYNC_ERR_FORM, where, "unknown key '%s'", q);
    if (seen & (1u << k))
      return form_fail(p, SYNC_ERR_FORM, where, "key '%s' appears twice", q);
    seen |= 1u << k;
  }
  return 0;
}

int form_check_label(form_pctx_t *p, const cJSON *lbl, const char *key, const char *where,
                     const cJSON *languages)
{
  if (!cJSON_IsObject(lbl))
    return form_fail(p, SYNC_ERR_FORM, where,
                     "'%s' must be a label object such as {\"%s\": \"...\"}", key, p->f->default_lang);
  int has_default = 0;
  for (const cJSON *it = lbl->child; it; it = it->next) {
    char q[80];
    form_excerpt(q, sizeof q, it->string);
    int listed = 0;
    for (const cJSON *l = languages->child; l; l = l->next)
      if (strcmp(l->valuestring, it->string) == 0)
        listed = 1;
    if (!listed)
      return form_fail(p, SYNC_ERR_FORM, where, "%s: language '%s' is not in 'languages'", key, q);
    for (const cJSON *o = lbl->child; o != it; o = o->next)
      if (strcmp(o->string, it->string) == 0)
        return form_fail(p, SYNC_ERR_FORM, where, "%s: language '%s' appears twice", key, q);
    if (!cJSON_IsString(it))
      return form_fail(p, SYNC_ERR_FORM, where, "%s: the '%s' text must be a string", key, q);
    if (strlen(it->valuestring) > FORM_MAX_LABEL_BYTES)
      return form_fail(p, SYNC_ERR_TOO_LARGE, where, "%s: the '%s' text is longer than %u bytes",
                       key, q, (unsigned)FORM_MAX_LABEL_BYTES);
    if (strcmp(it->string, p->f->default_lang) == 0) {
      if (!*it->valuestring)
        return form_fail(p, SYNC_ERR_FORM, where, "%s: the default-language ('%s') text is empty",
                         key, q);
      has_default = 1;
    }
  }
  if (!has_default)
    return form_fail(p, SYNC_ERR_FORM, where, "%s has no text in the default language '%s'", key,
                     p->f->default_lang);
  return 0;
}

int form_compile(form_pctx_t *p, const cJSON *v, const char *attr, const char *where, expr_t **out)
{
  *out = NULL;
  if (!v)
    return 0;
  if (!cJSON_IsString(v))
    return form_fail(p, SYNC_ERR_FORM, where, "'%s' must be an expression string", attr);
  if (strlen(v->valuestring) > FORM_MAX_EXPR_BYTES)
    return form_fail(p, SYNC_ERR_TOO_LARGE, where, "%s is longer than %u bytes", attr,
                     (unsigned)FORM_MAX_EXPR_BYTES);
  expr_error_t e;
  memset(&e, 0, sizeof e);
  *out = expr_parse(v->valuestring, &e);
  if (!*out) {
    char at[400];
    e.msg[sizeof e.msg - 1] = '\0';
    snprintf(at, sizeof at, "%s, %s at %zu", where, attr, e.pos);
    return form_fail(p, SYNC_ERR_EXPR, at, "%s", e.msg[0] ? e.msg : "invalid expression");
  }
  return 0;
}
