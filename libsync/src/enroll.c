/* Enrolling a device (sync/enroll.h, SECURITY.md 2): POST /v1/enroll with a one-time code and a
 * new signing public key (SECURITY.md 4) through the engine's transport and URL rules
 * (engine_net.c), then the credential, the server's identity, its receipt key and the signing
 * secret key saved in the store in one transaction (secrets encrypted at rest). */
#include "device_sig.h"
#include "engine_internal.h"
#include "sync/enroll.h"

#include <cjson/cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENROLL_CONNECT_TIMEOUT_MS 15000
#define ENROLL_LOW_SPEED_BYTES 64
#define ENROLL_LOW_SPEED_TIME_S 60

typedef enum enroll_msg {
  EM_BAD_CODE,
  EM_REFUSED_CODE,
  EM_RATE_LIMITED,   /* %lld minutes */
  EM_OFFLINE,
  EM_TLS,
  EM_BAD_REPLY,
  EM_OTHER_DEVICE,
  EM_SERVER,
  EM_STORE,
  EM_BAD_URL
} enroll_msg_t;

typedef struct enroll_text {
  const char *id, *en;
} enroll_text_t;

/* Every text is followed by ": <detail>" when there is one. */
static const enroll_text_t TEXTS[] = {
  [EM_BAD_CODE] = {"Kode pendaftaran terdiri dari 12 huruf dan angka (XXXX-XXXX-XXXX).",
                   "An enrollment code is 12 letters and digits (XXXX-XXXX-XXXX)."},
  [EM_REFUSED_CODE] = {"Kode pendaftaran tidak dikenal, sudah dipakai, atau kedaluwarsa.",
                       "The enrollment code is unknown, already used, or expired."},
  [EM_RATE_LIMITED] = {"Terlalu banyak percobaan gagal dari jaringan ini. Coba lagi dalam %lld "
                       "menit.",
                       "Too many failed attempts from this network. Try again in %lld minutes."},
  [EM_OFFLINE] = {"Server tidak dapat dihubungi. Periksa alamat server dan koneksi.",
                  "The server cannot be reached. Check the server address and the connection."},
  [EM_TLS] = {"Identitas server tidak dapat diverifikasi (sertifikat tidak dipercaya atau kunci "
              "tidak cocok).",
              "The server's identity could not be verified (untrusted certificate or key "
              "mismatch)."},
  [EM_BAD_REPLY] = {"Jawaban server tidak dapat dibaca.", "The server's reply could not be read."},
  [EM_OTHER_DEVICE] = {"Server mendaftarkan perangkat lain; pendaftaran tidak disimpan.",
                       "The server enrolled another device; nothing was saved."},
  [EM_SERVER] = {"Server menolak pendaftaran.", "The server refused the enrollment."},
  [EM_STORE] = {"Pendaftaran tidak dapat disimpan di perangkat.",
                "The enrollment could not be saved on this device."},
  [EM_BAD_URL] = {"Alamat server tidak dapat dipakai.", "The server address cannot be used."},
};

/* Writes the text of `m` (with n for its number) and the detail into errbuf; returns err. */
static sync_err_t say(const char *lang, char *errbuf, size_t errlen, sync_err_t err, enroll_msg_t m,
                      long long n, const char *detail)
{
  if (!errbuf || !errlen)
    return err;
  const char *text = strcmp(lang, "en") == 0 ? TEXTS[m].en : TEXTS[m].id;
  const char *hole = strstr(text, "%lld");
  int w = hole ? snprintf(errbuf, errlen, "%.*s%lld%s", (int)(hole - text), text, n, hole + 4)
               : snprintf(errbuf, errlen, "%s", text);
  if (detail && detail[0] && w > 0 && (size_t)w < errlen)
    snprintf(errbuf + w, errlen - (size_t)w, " (%s)", detail);
  return err;
}

void sync_enroll_config_init(sync_enroll_config_t *config)
{
  if (!config)
    return;
  memset(config, 0, sizeof *config);
  config->language = "id";
  config->timeout_ms = 30000;
}

/* The request body, lz4-compressed like a push. */
static sync_err_t request_body(const char *code, const char *device_id, const char *signing_key,
                               char **z, size_t *zlen)
{
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  snprintf(req.code, sizeof req.code, "%s", code);
  snprintf(req.device_id, sizeof req.device_id, "%s", device_id);
  snprintf(req.signing_key, sizeof req.signing_key, "%s", signing_key);
  char *json = NULL;
  size_t len = 0;
  sync_err_t err = proto_enroll_req_encode(&req, &json, &len);
  sodium_memzero(req.code, sizeof req.code);
  if (err)
    return err;
  err = codec_lz4_compress(json, len, 0, z, zlen);
  sodium_memzero(json, len);
  free(json);
  return err;
}

/* One POST through `t`; on SYNC_OK *resp holds the reply (any status). */
static sync_err_t post(const sync_transport_t *t, const char *url, const char *body, size_t len,
                       long timeout_ms, sync_http_response_t *resp, char *detail, size_t dlen)
{
  const char *headers[] = {ENGINE_HDR_PROTOCOL, "Accept-Encoding: " PROTO_CONTENT_ENCODING,
                           "Content-Type: " PROTO_CONTENT_TYPE,
                           "Content-Encoding: " PROTO_CONTENT_ENCODING};
  sync_http_request_t req = {"POST", url, headers, sizeof headers / sizeof *headers, body, len,
                             timeout_ms};
  static const volatile int never = 0;
  memset(resp, 0, sizeof *resp);
  resp->retry_after_s = -1;
  sync_err_t err = t->perform(t->ctx, &req, resp, &never, detail, dlen);
  if (err == SYNC_OK && resp->status == 0)
    err = SYNC_ERR_NETWORK;
  return err;
}

/* An error reply in plain words. */
static sync_err_t refused(const char *lang, const sync_http_response_t *r, char *errbuf,
                          size_t errlen)
{
  char *text = NULL, why[256] = "";
  size_t len = 0;
  engine_fail_t f;
  int readable = engine_decode_body(r, &text, &len, why, sizeof why) == SYNC_OK;
  engine_classify_error(lang, r, readable ? text : NULL, len, &f);
  free(text);
  if (f.code == PROTO_E_INVALID_ENROLLMENT_CODE)
    return say(lang, errbuf, errlen, SYNC_ERR_AUTH, EM_REFUSED_CODE, 0, NULL);
  if (f.code == PROTO_E_RATE_LIMITED || r->status == 429) {
    long long minutes = f.retry_after_ms > 0 ? (f.retry_after_ms + 59999) / 60000 : 10;
    return say(lang, errbuf, errlen, SYNC_ERR_SERVER, EM_RATE_LIMITED, minutes, NULL);
  }
  if (f.err == SYNC_ERR_NETWORK)
    return say(lang, errbuf, errlen, SYNC_ERR_NETWORK, EM_OFFLINE, 0, f.detail);
  return say(lang, errbuf, errlen, f.err, EM_SERVER, 0, f.server_msg[0] ? f.server_msg : f.detail);
}

/* 1 if text is base64 of a 32-byte key. */
static int key_valid(const char *b64)
{
  unsigned char key[32];
  size_t n = 0;
  return sodium_base642bin(key, sizeof key, b64, strlen(b64), NULL, &n, NULL,
                           sodium_base64_VARIANT_ORIGINAL) == 0 && n == sizeof key;
}

/* Everything of the enrollment in one transaction; the signing secret key replaces any earlier
 * one together with the credential (the server now holds the new public half). */
static sync_err_t save(sync_store_t *s, const char *url, const proto_enroll_resp_t *r,
                       const char *signing_sk)
{
  sync_err_t err = sync_store_begin(s);
  if (err)
    return err;
  if ((err = store_state_set(s, STATE_SERVER_URL, url)) == SYNC_OK &&
      (err = store_state_set(s, STATE_DEVICE_ID, r->device_id)) == SYNC_OK &&
      (err = store_state_set_secret(s, STATE_SECRET, r->secret)) == SYNC_OK &&
      (err = store_state_set_secret(s, STATE_SIGNING_KEY, signing_sk)) == SYNC_OK &&
      (err = store_state_set(s, STATE_DEVICE_NAME, r->name ? r->name : "")) == SYNC_OK &&
      (err = store_state_set(s, STATE_DEVICE_UNIT, r->unit ? r->unit : "")) == SYNC_OK &&
      (err = store_state_set(s, STATE_SERVER_ID, r->server_id)) == SYNC_OK &&
      (err = store_state_set(s, STATE_RECEIPT_KEY, r->receipt_key)) == SYNC_OK &&
      (err = store_state_set_int(s, STATE_CRED_EXPIRES, r->credential_expires_at)) == SYNC_OK &&
      (err = store_state_set_int(s, STATE_ENROLLED_AT, store_now_ms())) == SYNC_OK)
    /* A new credential: the engine confirms it again (whoami) before trusting it. */
    err = store_state_delete(s, STATE_WHOAMI);
  if (err) {
    sync_store_rollback(s);
    return err;
  }
  return sync_store_commit(s);
}

/* The reply of a 2xx: decoded, checked, saved. */
static sync_err_t accept_reply(sync_store_t *store, const char *url, const char *lang,
                               const sync_http_response_t *r, const char *signing_sk,
                               char *errbuf, size_t errlen)
{
  char *text = NULL, why[256] = "";
  size_t len = 0;
  sync_err_t err = engine_decode_body(r, &text, &len, why, sizeof why);
  if (err)
    return say(lang, errbuf, errlen, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_PROTOCOL, EM_BAD_REPLY,
               0, why);
  proto_enroll_resp_t *resp = NULL;
  proto_diag_t diag;
  err = proto_enroll_resp_decode(text, len, &resp, &diag);
  sodium_memzero(text, len);
  free(text);
  if (err)
    return say(lang, errbuf, errlen, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_PROTOCOL, EM_BAD_REPLY,
               0, diag.msg);
  if (strcmp(resp->device_id, sync_store_device_id(store)) != 0) {
    err = say(lang, errbuf, errlen, SYNC_ERR_PROTOCOL, EM_OTHER_DEVICE, 0, resp->device_id);
  } else if (!key_valid(resp->receipt_key)) {
    err = say(lang, errbuf, errlen, SYNC_ERR_PROTOCOL, EM_BAD_REPLY, 0,
              "receipt_key is not an Ed25519 public key");
  } else if ((err = save(store, url, resp, signing_sk)) != SYNC_OK) {
    say(lang, errbuf, errlen, err, EM_STORE, 0, sync_store_errmsg(store));
  }
  sodium_memzero(resp->secret, sizeof resp->secret);
  proto_enroll_resp_free(resp);
  return err;
}

sync_err_t sync_enroll(sync_store_t *store, const sync_enroll_config_t *config, char *errbuf,
                       size_t errlen)
{
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!store || !config || !config->server_url || !config->code)
    return SYNC_ERR_INVALID_ARG;
  const char *lang = config->language && strcmp(config->language, "en") == 0 ? "en" : "id";
  char code[13], why[256] = "";
  if (proto_enroll_code_normalise(config->code, code) != SYNC_OK ||
      strlen(config->code) > PROTO_ENROLL_CODE_MAX)
    return say(lang, errbuf, errlen, SYNC_ERR_INVALID_ARG, EM_BAD_CODE, 0, NULL);
  sodium_memzero(code, sizeof code);
  size_t n = strlen(config->server_url);
  while (n > 0 && config->server_url[n - 1] == '/')
    n--;
  char *url = malloc(n + sizeof PROTO_PATH_ENROLL);
  if (!url)
    return SYNC_ERR_NOMEM;
  memcpy(url, config->server_url, n);
  url[n] = '\0';
  sync_err_t err = engine_check_url(url, config->allow_plain_http_loopback, why, sizeof why);
  if (err) {
    free(url);
    return say(lang, errbuf, errlen, err, EM_BAD_URL, 0, why);
  }

  transport_curl_opts_t to = {config->ca_file, config->pinned_pubkey, ENROLL_CONNECT_TIMEOUT_MS,
                              ENROLL_LOW_SPEED_BYTES, ENROLL_LOW_SPEED_TIME_S};
  sync_transport_t t;
  char *body = NULL;
  size_t blen = 0;
  sync_http_response_t resp;
  memset(&resp, 0, sizeof resp);
  /* A new signing key pair per enrollment: a re-key replaces both halves. */
  char sign_pk[PROTO_KEY_B64_LEN + 1], sign_sk[DEVSIG_SK_B64_LEN + 1];
  if ((err = devsig_keypair(sign_pk, sign_sk)) != SYNC_OK) {
    free(url);
    return say(lang, errbuf, errlen, err, EM_STORE, 0, "cannot make a signing key");
  }
  if ((err = engine_transport_open(config->transport, &to, &t, why, sizeof why)) != SYNC_OK) {
    free(url);
    sodium_memzero(sign_sk, sizeof sign_sk);
    return say(lang, errbuf, errlen, err, EM_BAD_URL, 0, why);
  }
  if ((err = request_body(config->code, sync_store_device_id(store), sign_pk, &body, &blen)) !=
      SYNC_OK) {
    say(lang, errbuf, errlen, err, EM_BAD_CODE, 0, NULL);
    goto done;
  }
  memcpy(url + n, PROTO_PATH_ENROLL, sizeof PROTO_PATH_ENROLL);
  err = post(&t, url, body, blen, config->timeout_ms > 0 ? config->timeout_ms : 30000, &resp, why,
             sizeof why);
  url[n] = '\0';
  if (err == SYNC_ERR_CRYPTO)
    say(lang, errbuf, errlen, err, EM_TLS, 0, why);
  else if (err == SYNC_ERR_NOMEM)
    say(lang, errbuf, errlen, err, EM_OFFLINE, 0, "out of memory");
  else if (err != SYNC_OK)
    err = say(lang, errbuf, errlen, SYNC_ERR_NETWORK, EM_OFFLINE, 0, why);
  else if (resp.status < 200 || resp.status >= 300)
    err = refused(lang, &resp, errbuf, errlen);
  else
    err = accept_reply(store, url, lang, &resp, sign_sk, errbuf, errlen);
done:
  sodium_memzero(sign_sk, sizeof sign_sk);
  if (resp.body)
    sodium_memzero(resp.body, resp.body_len);
  engine_response_clear(&resp);
  free(body);
  free(url);
  engine_transport_close(&t);
  return err;
}

/* ---- what the store was enrolled as ---------------------------------------------------------- */

static int add_state(cJSON *o, sync_store_t *s, const char *key, const char *name)
{
  char buf[1024];
  if (store_state_get(s, key, buf, sizeof buf) != SYNC_OK)
    buf[0] = '\0';
  return cJSON_AddStringToObject(o, name, buf) != NULL;
}

static int add_int(cJSON *o, sync_store_t *s, const char *key, const char *name)
{
  int64_t v = 0;
  (void)store_state_get_int(s, key, &v);
  return cJSON_AddNumberToObject(o, name, (double)v) != NULL;
}

sync_err_t sync_store_enrollment(sync_store_t *store, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!store || !out_json)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  char id[PROTO_UUID_LEN + 2];
  sync_err_t err = store_state_get(store, STATE_DEVICE_ID, id, sizeof id);
  if (err == SYNC_ERR_NOT_FOUND || (err == SYNC_OK && !id[0]))
    return store_fail(store, SYNC_ERR_NOT_ENROLLED, "this store is not enrolled with a server");
  if (err)
    return err;
  cJSON *o = cJSON_CreateObject();
  int ok = o && add_state(o, store, STATE_SERVER_URL, "server_url") &&
           add_state(o, store, STATE_DEVICE_ID, "device_id") &&
           add_state(o, store, STATE_DEVICE_NAME, "name") &&
           add_state(o, store, STATE_DEVICE_UNIT, "unit") &&
           add_state(o, store, STATE_SERVER_ID, "server_id") &&
           add_state(o, store, STATE_RECEIPT_KEY, "receipt_key") &&
           add_int(o, store, STATE_CRED_EXPIRES, "credential_expires_at") &&
           add_int(o, store, STATE_ENROLLED_AT, "enrolled_at");
  if (ok)
    *out_json = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return *out_json ? SYNC_OK : SYNC_ERR_NOMEM;
}
