/* The small messages: GET /v1/health, /v1/whoami and /v1/forms (PROTOCOL.md 2.1-2.3). */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

static int text_ok(const char *s, size_t max_chars)
{
  size_t n = utf8_chars(s ? s : "");
  return n != SIZE_MAX && n <= max_chars;
}

/* ---- health ----------------------------------------------------------------------------------- */

static const char *const limit_keys[] = {"max_body_wire", "max_body", "max_changes", "max_payload",
                                         "max_pull_limit"};

sync_err_t proto_health_encode(const proto_health_t *h, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  if (out_json)
    *out_json = NULL;
  if (!h || !out_json || !codec_server_version_valid(h->server_version) ||
      !proto_uuid_valid(h->server_id) || h->n_protocols > PROTO_MAX_PROTOCOLS ||
      h->server_time < 0 || h->server_time > CODEC_MAX_MS || !codec_key_valid(h->receipt_key))
    return SYNC_ERR_INVALID_ARG;
  /* A limit of 0 means "the protocol's own". */
  const int64_t given[5] = {h->limits.max_body_wire, h->limits.max_body, h->limits.max_changes,
                            h->limits.max_payload, h->limits.max_pull_limit};
  const int64_t dflt[5] = {PROTO_MAX_BODY_WIRE, PROTO_MAX_BODY, PROTO_MAX_CHANGES,
                           PROTO_MAX_PAYLOAD, PROTO_PULL_MAX_LIMIT};
  jb_puts(&b, h->degraded ? "{\"status\":\"degraded\",\"server_version\":"
                          : "{\"status\":\"ok\",\"server_version\":");
  jb_str(&b, h->server_version);
  jb_key(&b, "server_id", 0);
  jb_str(&b, h->server_id);
  jb_puts(&b, ",\"protocols\":[");
  if (h->n_protocols == 0)
    jb_i64(&b, PROTO_VERSION);
  for (size_t i = 0; i < h->n_protocols; i++) {
    for (size_t j = 0; j < i; j++)
      if (h->protocols[j] == h->protocols[i])
        goto invalid;
    if (h->protocols[i] < 1)
      goto invalid;
    if (i)
      jb_putc(&b, ',');
    jb_i64(&b, h->protocols[i]);
  }
  jb_putc(&b, ']');
  jb_key(&b, "server_time", 0);
  jb_i64(&b, h->server_time);
  jb_puts(&b, ",\"limits\":{");
  for (size_t k = 0; k < 5; k++) {
    if (given[k] < 0 || given[k] > CODEC_MAX_INT)
      goto invalid;
    jb_key(&b, limit_keys[k], k == 0);
    jb_i64(&b, given[k] ? given[k] : dflt[k]);
  }
  jb_puts(&b, "},\"receipt_key\":");
  jb_str(&b, h->receipt_key);
  jb_putc(&b, '}');
  return jb_finish(&b, out_json, out_len);
invalid:
  jb_free(&b);
  return SYNC_ERR_INVALID_ARG;
}

static sync_err_t health_fields(jctx_t *c, const cJSON **f, void *msg)
{
  proto_health_t *h = msg;
  static const char *const status_names[] = {"ok", "degraded"};
  const cJSON *lf[5];
  size_t n, i = 0;
  sync_err_t rc;
  if ((rc = jget_enum(c, f[0], "status", status_names, 2, &h->degraded)) ||
      (rc = jget_str(c, f[1], "server_version", codec_server_version_valid, "version (x.y.z)",
                     h->server_version, sizeof h->server_version)) ||
      (rc = jget_str(c, f[2], "server_id", proto_uuid_valid, "lower-case uuid", h->server_id,
                     sizeof h->server_id)) ||
      (rc = jget_array(c, f[3], "protocols", 1, PROTO_MAX_PROTOCOLS, 0, &n)))
    return rc;
  size_t mark = jpath_key(c, "protocols");
  for (const cJSON *e = f[3]->child; e && rc == SYNC_OK; e = e->next, i++) {
    int64_t v = 0;
    size_t m2 = jpath_index(c, i);
    rc = jget_int(c, e, NULL, 1, 1000000, &v);
    for (size_t j = 0; rc == SYNC_OK && j < i; j++)
      if (h->protocols[j] == (int)v)
        rc = jfail(c, NULL, "repeated version %d", (int)v);
    jpath_pop(c, m2);
    h->protocols[i] = (int)v;
    h->n_protocols = i + 1;
  }
  jpath_pop(c, mark);
  if (rc || (rc = jget_int(c, f[4], "server_time", 0, CODEC_MAX_MS, &h->server_time)) ||
      (rc = jfields(c, f[5], "limits", limit_keys, 5, lf)))
    return rc;
  int64_t *dst[5] = {&h->limits.max_body_wire, &h->limits.max_body, &h->limits.max_changes,
                     &h->limits.max_payload, &h->limits.max_pull_limit};
  mark = jpath_key(c, "limits");
  for (size_t k = 0; k < 5 && rc == SYNC_OK; k++)
    rc = jget_int(c, lf[k], limit_keys[k], 1, CODEC_MAX_INT, dst[k]);
  jpath_pop(c, mark);
  return rc ? rc
            : jget_str(c, f[6], "receipt_key", codec_key_valid, "base64 Ed25519 public key",
                       h->receipt_key, sizeof h->receipt_key);
}

static void health_release(void *msg)
{
  proto_health_free(msg);
}

sync_err_t proto_health_decode(const char *json, size_t len, proto_health_t **out, proto_diag_t *diag)
{
  static const char *const keys[] = {"status", "server_version", "server_id", "protocols",
                                     "server_time", "limits", "receipt_key"};
  static const jmessage_t m = {keys, 7, sizeof(proto_health_t), -1, health_fields,
                               health_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_health_free(proto_health_t *h)
{
  free(h);
}

/* ---- whoami ----------------------------------------------------------------------------------- */

sync_err_t proto_whoami_encode(const proto_whoami_t *w, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  if (out_json)
    *out_json = NULL;
  if (!w || !out_json || (w->protocol != 0 && w->protocol != PROTO_VERSION) ||
      !proto_uuid_valid(w->device_id) || !text_ok(w->name, CODEC_MAX_NAME_CHARS) ||
      !text_ok(w->unit, CODEC_MAX_NAME_CHARS) || w->server_time < 0 ||
      w->server_time > CODEC_MAX_MS || w->credential_expires_at < 0 ||
      w->credential_expires_at > CODEC_MAX_MS)
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{" CODEC_PROTOCOL_MEMBER ",\"device_id\":");
  jb_str(&b, w->device_id);
  jb_key(&b, "name", 0);
  jb_str(&b, w->name ? w->name : "");
  jb_key(&b, "unit", 0);
  jb_str(&b, w->unit ? w->unit : "");
  jb_puts(&b, ",\"status\":\"active\",\"server_time\":");
  jb_i64(&b, w->server_time);
  jb_key(&b, "credential_expires_at", 0);
  jb_i64(&b, w->credential_expires_at);
  jb_putc(&b, '}');
  return jb_finish(&b, out_json, out_len);
}

static sync_err_t whoami_fields(jctx_t *c, const cJSON **f, void *msg)
{
  proto_whoami_t *w = msg;
  int idx;
  sync_err_t rc;
  if ((rc = jget_str(c, f[1], "device_id", proto_uuid_valid, "lower-case uuid", w->device_id,
                     sizeof w->device_id)) ||
      (rc = jget_strdup(c, f[2], "name", 0, CODEC_MAX_NAME_CHARS, &w->name)) ||
      (rc = jget_strdup(c, f[3], "unit", 0, CODEC_MAX_NAME_CHARS, &w->unit)) ||
      (rc = jget_enum(c, f[4], "status", (const char *const[]){"active"}, 1, &idx)) ||
      (rc = jget_int(c, f[5], "server_time", 0, CODEC_MAX_MS, &w->server_time)))
    return rc;
  return jget_int(c, f[6], "credential_expires_at", 0, CODEC_MAX_MS, &w->credential_expires_at);
}

static void whoami_release(void *msg)
{
  proto_whoami_free(msg);
}

sync_err_t proto_whoami_decode(const char *json, size_t len, proto_whoami_t **out, proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "device_id", "name", "unit", "status",
                                     "server_time", "credential_expires_at"};
  static const jmessage_t m = {keys, 7, sizeof(proto_whoami_t), offsetof(proto_whoami_t, protocol),
                               whoami_fields, whoami_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_whoami_free(proto_whoami_t *w)
{
  if (!w)
    return;
  free(w->name);
  free(w->unit);
  free(w);
}

/* ---- forms list ------------------------------------------------------------------------------- */

/* A title text must be a label object (checked with the decoder's own rules). */
static int title_ok(const char *title)
{
  proto_diag_t diag;
  jctx_t c;
  json_scan_t res;
  if (!title || json_scan(title, strlen(title), CODEC_DEPTH_TITLE, NULL, &res) != 0 ||
      res.type != JSON_T_OBJECT)
    return 0;
  cJSON *t = cJSON_Parse(title);
  jctx_init(&c, &diag, &diag);
  int ok = t && jcheck_label(&c, t, "title") == SYNC_OK;
  cJSON_Delete(t);
  return ok;
}

sync_err_t proto_forms_list_encode(const proto_forms_list_t *l, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  json_scan_t res;
  if (out_json)
    *out_json = NULL;
  if (!l || !out_json || (l->protocol != 0 && l->protocol != PROTO_VERSION) ||
      l->n_forms > CODEC_MAX_FORMS || (l->n_forms && !l->forms))
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{" CODEC_PROTOCOL_MEMBER ",\"forms\":[");
  for (size_t i = 0; i < l->n_forms; i++) {
    const proto_form_info_t *f = &l->forms[i];
    if (!codec_form_id_valid(f->form_id) || f->version < 1 || !proto_sha256_valid(f->sha256) ||
        !title_ok(f->title) || f->published_at < 0 || f->published_at > CODEC_MAX_MS) {
      jb_free(&b);
      return SYNC_ERR_INVALID_ARG;
    }
    jb_puts(&b, i ? ",{\"form_id\":" : "{\"form_id\":");
    jb_str(&b, f->form_id);
    jb_key(&b, "version", 0);
    jb_i64(&b, f->version);
    jb_key(&b, "sha256", 0);
    jb_str(&b, f->sha256);
    jb_key(&b, "title", 0);
    jb_json(&b, f->title, CODEC_DEPTH_TITLE, &res); /* validated by title_ok; oom is sticky */
    jb_key(&b, "published_at", 0);
    jb_i64(&b, f->published_at);
    jb_putc(&b, '}');
  }
  jb_puts(&b, "]}");
  return jb_finish(&b, out_json, out_len);
}

static sync_err_t form_info_decode(jctx_t *c, const cJSON *obj, proto_form_info_t *fi)
{
  static const char *const keys[] = {"form_id", "version", "sha256", "title", "published_at"};
  const cJSON *f[5];
  int64_t v;
  sync_err_t rc;
  if ((rc = jfields(c, obj, NULL, keys, 5, f)) ||
      (rc = jget_str(c, f[0], "form_id", codec_form_id_valid, "form id", fi->form_id,
                     sizeof fi->form_id)) ||
      (rc = jget_int(c, f[1], "version", 1, INT32_MAX, &v)) ||
      (rc = jget_str(c, f[2], "sha256", proto_sha256_valid, "lower-case SHA-256", fi->sha256,
                     sizeof fi->sha256)) ||
      (rc = jcheck_label(c, f[3], "title")) ||
      (rc = jget_json(c, f[3], "title", 1, PROTO_MAX_FORM_DEF, &fi->title)))
    return rc;
  fi->version = (int)v;
  return jget_int(c, f[4], "published_at", 0, CODEC_MAX_MS, &fi->published_at);
}

static sync_err_t forms_list_fields(jctx_t *c, const cJSON **f, void *msg)
{
  proto_forms_list_t *l = msg;
  size_t n = 0, i = 0;
  sync_err_t rc = jget_array(c, f[1], "forms", 0, CODEC_MAX_FORMS, 1, &n);
  if (rc)
    return rc;
  if (n && !(l->forms = calloc(n, sizeof *l->forms)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
  l->n_forms = n;
  size_t mark = jpath_key(c, "forms");
  for (const cJSON *e = f[1]->child; e && rc == SYNC_OK; e = e->next, i++) {
    size_t m2 = jpath_index(c, i);
    rc = form_info_decode(c, e, &l->forms[i]);
    jpath_pop(c, m2);
  }
  jpath_pop(c, mark);
  return rc;
}

static void forms_list_release(void *msg)
{
  proto_forms_list_free(msg);
}

sync_err_t proto_forms_list_decode(const char *json, size_t len, proto_forms_list_t **out,
                                   proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "forms"};
  static const jmessage_t m = {keys, 2, sizeof(proto_forms_list_t),
                               offsetof(proto_forms_list_t, protocol), forms_list_fields,
                               forms_list_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_forms_list_free(proto_forms_list_t *l)
{
  if (!l)
    return;
  for (size_t i = 0; l->forms && i < l->n_forms; i++)
    free(l->forms[i].title);
  free(l->forms);
  free(l);
}
