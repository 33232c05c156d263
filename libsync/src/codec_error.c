/* Wire error codes (PROTO_ERROR_TABLE) and the error body {"error": {...}} of PROTOCOL.md 6, whose
 * inner object is also the `error` of a rejected push receipt. */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct errinfo {
  const char *code;
  int http, retryable;
  sync_err_t serr;
  const char *id, *en;
} errinfo_t;

static const errinfo_t errtab[] = {
  {"", 0, 0, SYNC_OK, "", ""},
#define PROTO_ERRINFO_(e, code, http, retry, serr, id, en) {code, http, retry, serr, id, en},
  PROTO_ERROR_TABLE(PROTO_ERRINFO_)
#undef PROTO_ERRINFO_
  {"unknown", 0, 0, SYNC_ERR_SERVER, "Terjadi kesalahan di server.", "The server reported an error."},
};

static const errinfo_t *info(proto_errcode_t code)
{
  size_t n = sizeof errtab / sizeof errtab[0];
  return (size_t)code < n ? &errtab[code] : &errtab[n - 1];
}

const char *proto_errcode_text(proto_errcode_t code) { return info(code)->code; }
int proto_errcode_http_status(proto_errcode_t code) { return info(code)->http; }
int proto_errcode_retryable(proto_errcode_t code) { return info(code)->retryable; }
sync_err_t proto_errcode_sync_err(proto_errcode_t code) { return info(code)->serr; }

const char *proto_errcode_message(proto_errcode_t code, const char *lang)
{
  return lang && strcmp(lang, "id") == 0 ? info(code)->id : info(code)->en;
}

proto_errcode_t proto_errcode_parse(const char *text)
{
  if (text && *text)
    for (size_t k = 1; k <= (size_t)PROTO_E_INTERNAL; k++)
      if (strcmp(errtab[k].code, text) == 0)
        return (proto_errcode_t)k;
  return PROTO_E_UNKNOWN;
}

/* ---- encoding --------------------------------------------------------------------------------- */

static int message_ok(const char *s)
{
  size_t n = utf8_chars(s);
  return n != SIZE_MAX && n >= 1 && n <= CODEC_MAX_MESSAGE_CHARS;
}

sync_err_t error_encode_obj(jbuf_t *b, const proto_error_t *e)
{
  const char *code;
  if (e->code == PROTO_E_UNKNOWN)
    code = e->code_text;
  else if (e->code > PROTO_E_NONE && e->code < PROTO_E_UNKNOWN)
    code = proto_errcode_text(e->code);
  else
    return SYNC_ERR_INVALID_ARG;
  const char *id = e->message_id ? e->message_id : proto_errcode_message(e->code, "id");
  const char *en = e->message_en ? e->message_en : proto_errcode_message(e->code, "en");
  if (!codec_code_valid(code) || !message_ok(id) || !message_ok(en) || e->retry_after > 86400 ||
      e->n_issues > PROTO_MAX_ISSUES || (e->n_issues && !e->issues) ||
      e->n_supported_protocols > PROTO_MAX_PROTOCOLS)
    return SYNC_ERR_INVALID_ARG;

  jb_key(b, "code", 1);
  jb_str(b, code);
  jb_key(b, "message", 0);
  jb_putc(b, '{');
  jb_key(b, "id", 1);
  jb_str(b, id);
  jb_key(b, "en", 0);
  jb_str(b, en);
  jb_putc(b, '}');
  jb_key(b, "retryable", 0);
  jb_puts(b, e->retryable ? "true" : "false");
  if (e->retry_after >= 0) {
    jb_key(b, "retry_after", 0);
    jb_i64(b, e->retry_after);
  }
  if (e->issues) {
    jb_key(b, "issues", 0);
    jb_putc(b, '[');
    for (size_t i = 0; i < e->n_issues; i++) {
      const proto_issue_t *is = &e->issues[i];
      if (strnlen(is->field, sizeof is->field) >= sizeof is->field || !codec_code_valid(is->code))
        return SYNC_ERR_INVALID_ARG;
      jb_puts(b, i ? ",{" : "{");
      jb_key(b, "field", 1);
      if (jb_str(b, is->field) != 0)
        return SYNC_ERR_INVALID_ARG;
      jb_key(b, "code", 0);
      jb_str(b, is->code);
      jb_putc(b, '}');
    }
    jb_putc(b, ']');
  }
  if (e->n_supported_protocols > 0) {
    jb_key(b, "supported_protocols", 0);
    for (size_t i = 0; i < e->n_supported_protocols; i++) {
      if (e->supported_protocols[i] < 1)
        return SYNC_ERR_INVALID_ARG;
      for (size_t j = 0; j < i; j++)
        if (e->supported_protocols[j] == e->supported_protocols[i])
          return SYNC_ERR_INVALID_ARG;
      jb_putc(b, i ? ',' : '[');
      jb_i64(b, e->supported_protocols[i]);
    }
    jb_putc(b, ']');
  }
  return SYNC_OK;
}

sync_err_t proto_error_encode(const proto_error_t *err, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  if (out_json)
    *out_json = NULL;
  if (!err || !out_json)
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{\"error\":{");
  sync_err_t rc = error_encode_obj(&b, err);
  if (rc != SYNC_OK) {
    jb_free(&b);
    return rc;
  }
  jb_puts(&b, "}}");
  return jb_finish(&b, out_json, out_len);
}

/* ---- decoding --------------------------------------------------------------------------------- */

enum { EK_CODE, EK_MESSAGE, EK_RETRYABLE, EK_RETRY_AFTER, EK_ISSUES, EK_SUPPORTED, EK_N };
static const char *const error_keys[EK_N] = {"code", "message", "retryable", "retry_after",
                                             "issues", "supported_protocols"};

static sync_err_t decode_issues(jctx_t *c, const cJSON *it, proto_error_t *out)
{
  static const char *const issue_keys[] = {"field", "code"};
  size_t n, i = 0;
  sync_err_t rc = jget_array(c, it, "issues", 0, PROTO_MAX_ISSUES, 0, &n);
  if (rc)
    return rc;
  if (!(out->issues = calloc(n ? n : 1, sizeof *out->issues)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, "issues", "out of memory");
  size_t mark = jpath_key(c, "issues");
  for (const cJSON *e = it->child; e && rc == SYNC_OK; e = e->next, i++) {
    const cJSON *f[2];
    size_t m2 = jpath_index(c, i);
    proto_issue_t *is = &out->issues[i];
    if (!(rc = jfields(c, e, NULL, issue_keys, 2, f)) &&
        !(rc = jget_str(c, f[0], "field", NULL, NULL, is->field, sizeof is->field)))
      rc = jget_str(c, f[1], "code", codec_code_valid, "snake_case code", is->code, sizeof is->code);
    out->n_issues = i + 1;
    jpath_pop(c, m2);
  }
  jpath_pop(c, mark);
  return rc;
}

static sync_err_t decode_protocols(jctx_t *c, const cJSON *it, proto_error_t *out)
{
  size_t n, i = 0;
  sync_err_t rc = jget_array(c, it, "supported_protocols", 1, PROTO_MAX_PROTOCOLS, 0, &n);
  size_t mark = jpath_key(c, "supported_protocols");
  for (const cJSON *e = rc ? NULL : it->child; e && rc == SYNC_OK; e = e->next, i++) {
    int64_t v = 0;
    size_t m2 = jpath_index(c, i);
    rc = jget_int(c, e, NULL, 1, 1000000, &v);
    for (size_t j = 0; rc == SYNC_OK && j < i; j++)
      if (out->supported_protocols[j] == (int)v)
        rc = jfail(c, NULL, "repeated version %d", (int)v);
    jpath_pop(c, m2);
    out->supported_protocols[i] = (int)v;
    out->n_supported_protocols = i + 1;
  }
  jpath_pop(c, mark);
  return rc;
}

sync_err_t error_decode_obj(jctx_t *c, const cJSON *obj, const char *key, proto_error_t *out)
{
  const cJSON *f[EK_N], *m[2];
  static const char *const msg_keys[] = {"id", "en"};
  memset(out, 0, sizeof *out);
  out->retry_after = -1;
  sync_err_t rc = jfields(c, obj, key, error_keys, EK_N, f);
  if (rc)
    return rc;
  size_t mark = key ? jpath_key(c, key) : c->plen;
  if ((rc = jget_str(c, f[EK_CODE], "code", codec_code_valid, "snake_case code", out->code_text,
                     sizeof out->code_text)))
    goto done;
  out->code = proto_errcode_parse(out->code_text);
  if ((rc = jfields(c, f[EK_MESSAGE], "message", msg_keys, 2, m)))
    goto done;
  size_t m2 = jpath_key(c, "message");
  if (!(rc = jget_strdup(c, m[0], "id", 1, CODEC_MAX_MESSAGE_CHARS, &out->message_id)))
    rc = jget_strdup(c, m[1], "en", 1, CODEC_MAX_MESSAGE_CHARS, &out->message_en);
  jpath_pop(c, m2);
  if (rc || (rc = jget_bool(c, f[EK_RETRYABLE], "retryable", &out->retryable)))
    goto done;
  if (f[EK_RETRY_AFTER] && (rc = jget_int(c, f[EK_RETRY_AFTER], "retry_after", 0, 86400,
                                          &out->retry_after)))
    goto done;
  if (f[EK_ISSUES] && (rc = decode_issues(c, f[EK_ISSUES], out)))
    goto done;
  if (f[EK_SUPPORTED])
    rc = decode_protocols(c, f[EK_SUPPORTED], out);
done:
  jpath_pop(c, mark);
  return rc;
}

void error_clear(proto_error_t *err)
{
  free(err->message_id);
  free(err->message_en);
  free(err->issues);
  err->message_id = err->message_en = NULL;
  err->issues = NULL;
  err->n_issues = 0;
}

static sync_err_t error_fields(jctx_t *c, const cJSON **f, void *msg)
{
  return f[0] ? error_decode_obj(c, f[0], "error", msg) : jfail(c, "error", "missing");
}

static void error_release(void *msg)
{
  proto_error_free(msg);
}

sync_err_t proto_error_decode(const char *json, size_t len, proto_error_t **out, proto_diag_t *diag)
{
  static const char *const root_keys[] = {"error"};
  static const jmessage_t m = {root_keys, 1, sizeof(proto_error_t), -1, error_fields,
                               error_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_error_free(proto_error_t *err)
{
  if (!err)
    return;
  error_clear(err);
  free(err);
}
