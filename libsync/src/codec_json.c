/* Strict decoding helpers on cJSON (codec_internal.h): the whole-body checks, the field path kept
 * for diagnostics, and typed getters whose errors read "changes[3].revision: expected integer". */
#include "codec_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jctx_init(jctx_t *c, proto_diag_t *diag, proto_diag_t *local)
{
  c->diag = diag ? diag : local;
  c->diag->code = PROTO_E_NONE;
  c->diag->msg[0] = '\0';
  c->path[0] = '\0';
  c->plen = 0;
  c->compact = NULL;
  c->spans = NULL;
  c->n_spans = 0;
}

void jctx_done(jctx_t *c)
{
  free(c->compact);
  free(c->spans);
  c->compact = NULL;
  c->spans = NULL;
  c->n_spans = 0;
}

/* Appends text to the path, keeping it NUL-terminated; an over-long path is cut with "...". */
static void path_append(jctx_t *c, const char *text)
{
  size_t n = strlen(text), room = sizeof c->path - 1 - c->plen;
  if (n > room) {
    n = room;
    if (room >= 3)
      memcpy(c->path + sizeof c->path - 4, "...", 3);
  }
  memcpy(c->path + c->plen, text, n);
  c->plen += n;
  c->path[c->plen] = '\0';
}

/* A printable excerpt of a key from the input (it may be hostile). */
static void excerpt(char *out, size_t outlen, const char *key)
{
  size_t j = 0;
  for (size_t i = 0; key && key[i] && j + 4 < outlen; i++) {
    unsigned char ch = (unsigned char)key[i];
    if (i >= 40) {
      memcpy(out + j, "...", 3);
      j += 3;
      break;
    }
    out[j++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
  }
  out[j] = '\0';
}

size_t jpath_key(jctx_t *c, const char *key)
{
  size_t mark = c->plen;
  char ex[48];
  excerpt(ex, sizeof ex, key);
  if (c->plen > 0)
    path_append(c, ".");
  path_append(c, ex);
  return mark;
}

size_t jpath_index(jctx_t *c, size_t i)
{
  size_t mark = c->plen;
  char tmp[32];
  snprintf(tmp, sizeof tmp, "[%zu]", i);
  path_append(c, tmp);
  return mark;
}

void jpath_pop(jctx_t *c, size_t mark)
{
  if (mark < sizeof c->path) {
    c->plen = mark;
    c->path[mark] = '\0';
  }
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 0)))
#endif
static sync_err_t vfail(jctx_t *c, proto_errcode_t code, sync_err_t err, const char *key,
                        const char *fmt, va_list ap)
{
  size_t mark = key ? jpath_key(c, key) : c->plen;
  int n = 0;
  c->diag->code = code;
  if (c->plen > 0)
    n = snprintf(c->diag->msg, sizeof c->diag->msg, "%s: ", c->path);
  if (n < 0 || (size_t)n >= sizeof c->diag->msg)
    n = 0;
  vsnprintf(c->diag->msg + n, sizeof c->diag->msg - (size_t)n, fmt, ap);
  jpath_pop(c, mark);
  return err;
}

sync_err_t jfail_code(jctx_t *c, proto_errcode_t code, sync_err_t err, const char *key,
                      const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  sync_err_t rc = vfail(c, code, err, key, fmt, ap);
  va_end(ap);
  return rc;
}

sync_err_t jfail(jctx_t *c, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  sync_err_t rc = vfail(c, PROTO_E_BAD_REQUEST, SYNC_ERR_PROTOCOL, key, fmt, ap);
  va_end(ap);
  return rc;
}

static sync_err_t body_checks(jctx_t *c, const char *json, size_t len)
{
  if (!json)
    return jfail_code(c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no body");
  if (len > PROTO_MAX_BODY)
    return jfail_code(c, PROTO_E_BODY_TOO_LARGE, SYNC_ERR_TOO_LARGE, NULL,
                      "body of %zu bytes is over the %u-byte cap", len, (unsigned)PROTO_MAX_BODY);
  return SYNC_OK;
}

static sync_err_t malformed(jctx_t *c, const char *json, size_t len, const json_scan_t *res)
{
  size_t line, col;
  json_line_col(json, len, res->err_pos, &line, &col);
  return jfail_code(c, PROTO_E_MALFORMED_JSON, SYNC_ERR_PROTOCOL, NULL,
                    "malformed JSON at line %zu, column %zu: %s", line, col, res->err);
}

static sync_err_t parse_root(jctx_t *c, const char *text, size_t len, cJSON **root)
{
  cJSON *r = cJSON_ParseWithLength(text, len);
  if (!r) /* the scan accepted it, so only memory can be missing */
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory parsing JSON");
  if (!cJSON_IsObject(r)) {
    cJSON_Delete(r);
    return jfail(c, NULL, "expected a JSON object");
  }
  *root = r;
  return SYNC_OK;
}

sync_err_t jparse_body(jctx_t *c, const char *json, size_t len, cJSON **root)
{
  json_scan_t res;
  *root = NULL;
  sync_err_t rc = body_checks(c, json, len);
  if (rc)
    return rc;
  if (json_scan(json, len, PROTO_MAX_JSON_DEPTH, NULL, &res) != 0)
    return malformed(c, json, len, &res);
  return parse_root(c, json, len, root);
}

/* A placeholder {"\xff": k} stands for captured payload k: no scanned text can hold that key,
 * since the scan refuses invalid UTF-8. */
#define PLACEHOLDER_KEY "\xff"

sync_err_t jparse_body_capture(jctx_t *c, const char *json, size_t len, int payload_level,
                               cJSON **root)
{
  json_scan_t res;
  json_capture_t cap = {.level = payload_level};
  char *stripped = NULL;
  *root = NULL;
  sync_err_t rc = body_checks(c, json, len);
  if (rc)
    return rc;
  if (!(c->compact = malloc(len + 1)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
  if (json_scan_capture(json, len, PROTO_MAX_JSON_DEPTH, c->compact, &res, &cap) != 0) {
    free(cap.spans);
    if (cap.oom)
      return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    return malformed(c, json, len, &res);
  }
  c->spans = cap.spans;
  c->n_spans = cap.n;
  if (cap.n == 0)
    return parse_root(c, c->compact, res.out_len, root);
  /* The envelope: the compact text with each payload replaced by its placeholder. */
  size_t cut = 0;
  for (size_t k = 0; k < cap.n; k++)
    cut += cap.spans[k].end - cap.spans[k].start;
  size_t slen = 0, from = 0, room = res.out_len - cut + cap.n * 32 + 1;
  if (!(stripped = malloc(room)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
  for (size_t k = 0; k < cap.n; k++) {
    memcpy(stripped + slen, c->compact + from, cap.spans[k].start - from);
    slen += cap.spans[k].start - from;
    slen += (size_t)snprintf(stripped + slen, 32, "{\"" PLACEHOLDER_KEY "\":%zu}", k);
    from = cap.spans[k].end;
  }
  memcpy(stripped + slen, c->compact + from, res.out_len - from);
  slen += res.out_len - from;
  rc = parse_root(c, stripped, slen, root);
  free(stripped);
  return rc;
}

sync_err_t jdecode_begin(jctx_t *c, const char *json, size_t len, int payload_level, cJSON **root,
                         size_t size, void **msg)
{
  *msg = NULL;
  sync_err_t rc = jparse_body_capture(c, json, len, payload_level, root);
  if (rc == SYNC_OK && !(*msg = calloc(1, size))) {
    rc = jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    cJSON_Delete(*root);
    *root = NULL;
  }
  if (rc)
    jctx_done(c);
  return rc;
}

sync_err_t jdecode_message(const jmessage_t *m, const char *json, size_t len, int want_out,
                           proto_diag_t *diag, void **out)
{
  proto_diag_t local;
  jctx_t c;
  cJSON *root = NULL;
  const cJSON *f[32];
  void *msg = NULL;
  jctx_init(&c, diag, &local);
  *out = NULL;
  if (!want_out)
    return jfail_code(&c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no output");
  sync_err_t rc = jparse_body(&c, json, len, &root);
  if (rc)
    return rc;
  if (!(msg = calloc(1, m->size)))
    rc = jfail_code(&c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
  if (rc || (m->protocol_at >= 0 && (rc = jprotocol(&c, root, (int *)((char *)msg + m->protocol_at)))) ||
      (rc = jfields(&c, root, NULL, m->keys, m->n_keys, f)) || (rc = m->fill(&c, f, msg))) {
    if (msg)
      m->release(msg);
    cJSON_Delete(root);
    return rc;
  }
  cJSON_Delete(root);
  *out = msg;
  return SYNC_OK;
}

sync_err_t jget_payload(jctx_t *c, const cJSON *it, const char *key, int empty, char **out)
{
  const cJSON *ph = cJSON_IsObject(it) ? it->child : NULL;
  if (ph && !ph->next && ph->string && strcmp(ph->string, PLACEHOLDER_KEY) == 0 &&
      cJSON_IsNumber(ph) && ph->valuedouble >= 0 && ph->valuedouble < (double)c->n_spans) {
    const json_span_t *sp = &c->spans[(size_t)ph->valuedouble];
    size_t n = sp->end - sp->start;
    if (empty && n != 2)
      return jfail(c, key, "must be {} for a delete");
    if (n > PROTO_MAX_PAYLOAD)
      return jfail_code(c, PROTO_E_BODY_TOO_LARGE, SYNC_ERR_TOO_LARGE, key,
                        "%zu bytes as compact JSON, over the %u-byte cap", n,
                        (unsigned)PROTO_MAX_PAYLOAD);
    if (!(*out = malloc(n + 1)))
      return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, key, "out of memory");
    memcpy(*out, c->compact + sp->start, n);
    (*out)[n] = '\0';
    return SYNC_OK;
  }
  if (empty && cJSON_IsObject(it) && it->child)
    return jfail(c, key, "must be {} for a delete");
  return jget_json(c, it, key, 1, PROTO_MAX_PAYLOAD, out);
}

static int as_int(const cJSON *it, int64_t *out)
{
  if (!cJSON_IsNumber(it))
    return -1;
  double v = it->valuedouble;
  if (!(v >= -(double)CODEC_MAX_INT && v <= (double)CODEC_MAX_INT))
    return -1;
  int64_t i = (int64_t)v;
  if ((double)i != v)
    return -1;
  *out = i;
  return 0;
}

sync_err_t jprotocol(jctx_t *c, const cJSON *root, int *out)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "protocol");
  int64_t v;
  if (!it)
    return jfail(c, "protocol", "missing");
  if (as_int(it, &v) != 0)
    return jfail(c, "protocol", "expected integer");
  if (v != PROTO_VERSION)
    return jfail_code(c, PROTO_E_UNSUPPORTED_PROTOCOL, SYNC_ERR_PROTOCOL, "protocol",
                      "version %lld is not supported (supported: %d)", (long long)v, PROTO_VERSION);
  *out = PROTO_VERSION;
  return SYNC_OK;
}

sync_err_t jfields(jctx_t *c, const cJSON *obj, const char *key, const char *const *keys, size_t n,
                   const cJSON **found)
{
  if (!obj)
    return jfail(c, key, "missing");
  if (!cJSON_IsObject(obj))
    return jfail(c, key, "expected object");
  for (size_t k = 0; k < n; k++)
    found[k] = NULL;
  for (const cJSON *it = obj->child; it; it = it->next) {
    size_t k = 0;
    while (k < n && (!it->string || strcmp(it->string, keys[k]) != 0))
      k++;
    if (k == n || found[k]) {
      size_t mark = key ? jpath_key(c, key) : c->plen;
      sync_err_t rc = jfail(c, it->string ? it->string : "?", k == n ? "unknown key" : "duplicate key");
      jpath_pop(c, mark);
      return rc;
    }
    found[k] = it;
  }
  return SYNC_OK;
}

sync_err_t jget_int(jctx_t *c, const cJSON *it, const char *key, int64_t min, int64_t max,
                    int64_t *out)
{
  int64_t v;
  if (!it)
    return jfail(c, key, "missing");
  if (as_int(it, &v) != 0)
    return jfail(c, key, "expected integer");
  if (v < min)
    return jfail(c, key, "must be at least %lld", (long long)min);
  if (v > max)
    return jfail(c, key, "must be at most %lld", (long long)max);
  *out = v;
  return SYNC_OK;
}

sync_err_t jget_bool(jctx_t *c, const cJSON *it, const char *key, int *out)
{
  if (!it)
    return jfail(c, key, "missing");
  if (!cJSON_IsBool(it))
    return jfail(c, key, "expected boolean");
  *out = cJSON_IsTrue(it) ? 1 : 0;
  return SYNC_OK;
}

sync_err_t jget_str(jctx_t *c, const cJSON *it, const char *key, int (*valid)(const char *),
                    const char *what, char *buf, size_t cap)
{
  if (!it)
    return jfail(c, key, "missing");
  if (!cJSON_IsString(it) || !it->valuestring)
    return jfail(c, key, "expected string");
  if (valid && !valid(it->valuestring))
    return jfail(c, key, "not a %s", what);
  size_t n = strlen(it->valuestring);
  if (n >= cap)
    return jfail(c, key, "longer than %zu bytes", cap - 1);
  memcpy(buf, it->valuestring, n + 1);
  return SYNC_OK;
}

sync_err_t jget_strdup(jctx_t *c, const cJSON *it, const char *key, size_t min_chars,
                       size_t max_chars, char **out)
{
  if (!it)
    return jfail(c, key, "missing");
  if (!cJSON_IsString(it) || !it->valuestring)
    return jfail(c, key, "expected string");
  size_t n = utf8_chars(it->valuestring);
  if (n == SIZE_MAX)
    return jfail(c, key, "not valid UTF-8");
  if (n < min_chars)
    return jfail(c, key, min_chars == 1 ? "must not be empty" : "shorter than %zu characters",
                 min_chars);
  if (n > max_chars)
    return jfail(c, key, "longer than %zu characters", max_chars);
  if (!(*out = strdup(it->valuestring)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, key, "out of memory");
  return SYNC_OK;
}

sync_err_t jget_enum(jctx_t *c, const cJSON *it, const char *key, const char *const *names, size_t n,
                     int *out)
{
  if (!it)
    return jfail(c, key, "missing");
  if (cJSON_IsString(it) && it->valuestring)
    for (size_t k = 0; k < n; k++)
      if (strcmp(it->valuestring, names[k]) == 0) {
        *out = (int)k;
        return SYNC_OK;
      }
  char list[160] = "";
  size_t used = 0;
  for (size_t k = 0; k < n && used < sizeof list; k++) {
    int w = snprintf(list + used, sizeof list - used, "%s\"%s\"", k ? ", " : "", names[k]);
    if (w < 0)
      break;
    used += (size_t)w;
  }
  return jfail(c, key, n == 1 ? "must be %s" : "expected one of %s", list);
}

sync_err_t jget_array(jctx_t *c, const cJSON *it, const char *key, size_t min, size_t max,
                      int over_is_too_large, size_t *n)
{
  if (!it)
    return jfail(c, key, "missing");
  if (!cJSON_IsArray(it))
    return jfail(c, key, "expected array");
  size_t count = 0;
  for (const cJSON *e = it->child; e; e = e->next)
    count++;
  if (count < min)
    return jfail(c, key, "must hold at least %zu element%s", min, min == 1 ? "" : "s");
  if (count > max)
    return over_is_too_large
             ? jfail_code(c, PROTO_E_BODY_TOO_LARGE, SYNC_ERR_TOO_LARGE, key,
                          "more than %zu elements", max)
             : jfail(c, key, "more than %zu elements", max);
  *n = count;
  return SYNC_OK;
}

sync_err_t jget_json(jctx_t *c, const cJSON *it, const char *key, int want_object, size_t max_len,
                     char **out)
{
  if (!it)
    return jfail(c, key, "missing");
  if (want_object && !cJSON_IsObject(it))
    return jfail(c, key, "expected object");
  char *text = cJSON_PrintUnformatted(it);
  if (!text)
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, key, "out of memory");
  size_t n = strlen(text);
  if (n > max_len) {
    free(text);
    return jfail_code(c, PROTO_E_BODY_TOO_LARGE, SYNC_ERR_TOO_LARGE, key,
                      "%zu bytes as compact JSON, over the %zu-byte cap", n, max_len);
  }
  *out = text;
  return SYNC_OK;
}

sync_err_t jcheck_label(jctx_t *c, const cJSON *it, const char *key)
{
  if (!it)
    return jfail(c, key, "missing");
  if (!cJSON_IsObject(it))
    return jfail(c, key, "expected object");
  if (!it->child)
    return jfail(c, key, "must hold at least one language");
  size_t mark = jpath_key(c, key);
  sync_err_t rc = SYNC_OK;
  for (const cJSON *e = it->child; e && rc == SYNC_OK; e = e->next) {
    const char *lang = e->string ? e->string : "";
    size_t n;
    if (!codec_label_key_valid(lang))
      rc = jfail(c, lang, "not a language tag");
    else if (!cJSON_IsString(e) || !e->valuestring)
      rc = jfail(c, lang, "expected string");
    else if ((n = utf8_chars(e->valuestring)) == SIZE_MAX || n > CODEC_MAX_MESSAGE_CHARS)
      rc = jfail(c, lang, "longer than %d characters", CODEC_MAX_MESSAGE_CHARS);
  }
  jpath_pop(c, mark);
  return rc;
}
