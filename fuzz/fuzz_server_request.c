/* libFuzzer target for the server's request handler, driven from memory (no network): the
 * bytes become one request (route, headers, query, body) for srv_handle() on a scratch database
 * made once per process: one enrolled device, the form in clear (v1) and encrypted with a
 * consent field (v3, as proto/golden/push-request-sealed.json), one unused enrollment code (that
 * of proto/golden/enroll-request.json). The response must be well formed.
 *
 * Input: byte 0 picks the route and flags; the rest is "header lines\n\nbody". Header lines are
 * "Name: value" (they come before the defaults, so they override them); for pull, a line
 * without ':' is the query string ("cursor=3&limit=2"); for route 6 the first line is the path.
 *   bits 0-2: 0 push, 1 pull, 2 whoami, 3 forms, 4 form fetch, 5 health, 6 any path, 7 enroll
 *   bit 3: Content-Encoding: lz4 on the raw body      bit 4: compress the body as one LZ4 frame
 *   bit 5: Accept-Encoding: lz4                        bit 6: no (or a wrong) credential
 *   bit 7: X-Sync-Protocol: 1 (a version never deployed)
 * The failed-authentication limit is set out of reach: it would otherwise refuse everything after
 * a few bad credentials (it has its own tests). Needs syncserver_core (server-stub/). Seeds:
 * fuzz/corpus/server_request/. */
#include <cJSON.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "db.h"
#include "log.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DEVICE_ID "6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define SECRET "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define GOLDEN_CODE "7K3M-Q9TX-4HWD"
#define MAX_KV 16

/* A small form whose field names and types match the golden push payloads. */
static const char FORM[] =
  "{\"format\":1,\"form_id\":\"tppo_screening\",\"version\":1,\"default_language\":\"id\","
  "\"languages\":[\"id\",\"en\"],\"title\":{\"id\":\"Uji\",\"en\":\"Test\"},"
  "\"choice_lists\":{\"ynu\":[{\"name\":\"yes\",\"label\":{\"id\":\"Ya\"}},"
  "{\"name\":\"no\",\"label\":{\"id\":\"Tidak\"}},{\"name\":\"unknown\",\"label\":{\"id\":\"?\"}}],"
  "\"needs\":[{\"name\":\"shelter\",\"label\":{\"id\":\"s\"}},{\"name\":\"legal_aid\",\"label\":{\"id\":\"l\"}},"
  "{\"name\":\"repatriation\",\"label\":{\"id\":\"r\"}}]},"
  "\"sections\":[{\"name\":\"main\",\"label\":{\"id\":\"Utama\"},\"fields\":["
  "{\"name\":\"interview_date\",\"type\":\"date\",\"label\":{\"id\":\"d\"}},"
  "{\"name\":\"province\",\"type\":\"text\",\"label\":{\"id\":\"p\"}},"
  "{\"name\":\"regency_code\",\"type\":\"text\",\"label\":{\"id\":\"r\"}},"
  "{\"name\":\"consent\",\"type\":\"select_one\",\"choices\":\"ynu\",\"label\":{\"id\":\"c\"}},"
  "{\"name\":\"amp_act_recruitment\",\"type\":\"select_one\",\"choices\":\"ynu\",\"label\":{\"id\":\"a\"}},"
  "{\"name\":\"interpreter_used\",\"type\":\"yes_no\",\"label\":{\"id\":\"i\"}},"
  "{\"name\":\"is_child\",\"type\":\"integer\",\"label\":{\"id\":\"k\"}},"
  "{\"name\":\"needs\",\"type\":\"select_multiple\",\"choices\":\"needs\",\"label\":{\"id\":\"n\"}},"
  "{\"name\":\"officer_notes\",\"type\":\"text\",\"label\":{\"id\":\"o\"}},"
  "{\"name\":\"case_status\",\"type\":\"text\",\"label\":{\"id\":\"s\"}}]}]}";

/* Version 3 of it: encrypted (the key is 32 zero bytes: nothing is opened here), consent. */
static const char SECURITY[] =
  ",\"consent_field\":\"consent\",\"encryption\":{\"public_key\":"
  "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"clear_fields\":[\"interview_date\",\"consent\","
  "\"province\",\"regency_code\"]}}";

static srv_t *g_srv;
/* The fuzz device's credential; a fuzzed enrollment of it (the golden code, once) re-keys it. */
static char g_auth[128] = "Device " DEVICE_ID ":" SECRET;
static char g_dir[] = "/tmp/fuzz-server-XXXXXX";

/* The scratch database goes away with the process. */
static void cleanup(void)
{
  static const char *const names[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm"};
  srv_close(g_srv);
  g_srv = NULL;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char p[300];
    snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
    unlink(p);
  }
  rmdir(g_dir);
}

static void publish(db_conn_t *c, const char *def, int version)
{
  unsigned char digest[32];
  char sha[65];
  crypto_hash_sha256(digest, (const unsigned char *)def, strlen(def));
  sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
  int added;
  if (db_form_publish(c, "tppo_screening", version, def, sha, "{\"id\":\"Uji\",\"en\":\"Test\"}",
                      &added, NULL) != SYNC_OK)
    abort();
}

static void code_hash(const char *code, unsigned char out[32])
{
  char norm[13];
  if (proto_enroll_code_normalise(code, norm) != SYNC_OK)
    abort();
  crypto_hash_sha256(out, (const unsigned char *)norm, strlen(norm));
}

static void setup(void)
{
  if (!mkdtemp(g_dir) || sodium_init() < 0)
    abort();
  char path[256];
  snprintf(path, sizeof path, "%s/fuzz.db", g_dir);
  char err[256];
  srv_config_t cfg = {.db_path = path, .db_flags = DB_OPEN_FAST, .pool_size = 2,
                      .auth_fail_limit = 1 << 30};
  log_set_level(LOG_ERROR);   /* a warning per refused credential would be most of the time */
  if (srv_open(&cfg, &g_srv, err, sizeof err) != SYNC_OK) {
    fprintf(stderr, "fuzz setup: %s\n", err);
    abort();
  }
  db_conn_t *c;
  if (db_open(path, DB_OPEN_FAST, &c, err, sizeof err) != SYNC_OK)
    abort();
  unsigned char secret[32], code[32];
  auth_hash_secret(SECRET, secret);
  code_hash("AAAA-AAAA-AAAA", code);
  int64_t now = db_now_ms();
  db_device_t dev;
  if (db_enroll_code_add(c, code, "fuzz", "", now, now + 86400000, 365) != SYNC_OK ||
      db_enroll_redeem(c, code, DEVICE_ID, secret, "fuzz", now, &dev) != SYNC_OK)
    abort();
  code_hash(GOLDEN_CODE, code);
  if (db_enroll_code_add(c, code, "golden", "", now, now + 86400000, 365) != SYNC_OK)
    abort();
  publish(c, FORM, 1);
  char v3[sizeof FORM + sizeof SECURITY];
  snprintf(v3, sizeof v3, "%.*s%s", (int)(sizeof FORM - 2), FORM, SECURITY);
  char *version = strstr(v3, "\"version\":1,");
  if (!version)
    abort();
  version[10] = '3';
  publish(c, v3, 3);
  db_close(c);
  atexit(cleanup);
}

/* Splits "k=v&k2=v2" in place into query pairs. */
static size_t split_query(char *q, srv_kv_t *kv, size_t max)
{
  size_t n = 0;
  for (char *part = q; part && *part && n < max;) {
    char *amp = strchr(part, '&');
    if (amp)
      *amp = '\0';
    char *eq = strchr(part, '=');
    kv[n].name = part;
    kv[n].value = eq ? (*eq = '\0', eq + 1) : "";
    n++;
    part = amp ? amp + 1 : NULL;
  }
  return n;
}

/* An enrollment of the fuzz device replaced its secret: keep using the new one. */
static void follow_rekey(const char *body, size_t len)
{
  proto_enroll_resp_t *er = NULL;
  proto_diag_t d;
  if (proto_enroll_resp_decode(body, len, &er, &d) != SYNC_OK)
    abort();   /* the server must only send what clients accept */
  if (strcmp(er->device_id, DEVICE_ID) == 0)
    snprintf(g_auth, sizeof g_auth, "Device %s:%s", er->device_id, er->secret);
  proto_enroll_resp_free(er);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!g_srv)
    setup();
  if (size < 1)
    return 0;
  unsigned flags = data[0];
  char *text = malloc(size);
  if (!text)
    return 0;
  memcpy(text, data + 1, size - 1);
  text[size - 1] = '\0';

  /* Header block up to the first blank line; the body is the raw bytes after it. */
  const uint8_t *body = data + 1;
  size_t body_len = size - 1;
  char *block = NULL;
  char *sep = NULL;
  for (size_t i = 0; i + 1 < size - 1; i++)
    if (text[i] == '\n' && text[i + 1] == '\n') {
      sep = text + i;
      break;
    }
  if (sep) {
    *sep = '\0';
    block = text;
    body = data + 1 + (size_t)(sep - text) + 2;
    body_len = size - 1 - (size_t)(sep - text) - 2;
  }

  srv_kv_t headers[MAX_KV + 8], query[MAX_KV];
  size_t nh = 0, nq = 0;
  const char *path = NULL;
  static const char *const paths[] = {"/v1/push", "/v1/pull", "/v1/whoami", "/v1/forms",
                                      "/v1/forms/tppo_screening/1", "/v1/health", NULL,
                                      "/v1/enroll"};
  unsigned route = flags & 7;
  path = paths[route];
  for (char *line = block; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    char *colon = strchr(line, ':');
    if (!path) {
      path = line;
    } else if (colon && nh < MAX_KV) {
      *colon = '\0';
      char *v = colon + 1;
      while (*v == ' ')
        v++;
      headers[nh].name = line;
      headers[nh].value = v;
      nh++;
    } else if (!colon && nq == 0) {
      nq = split_query(line, query, MAX_KV);
    }
    line = nl ? nl + 1 : NULL;
  }
  if (!path)
    path = "/";

  char *z = NULL;
  size_t zlen = 0;
  if ((flags & 16) && codec_lz4_compress(body, body_len, 0, &z, &zlen) == SYNC_OK) {
    body = (const uint8_t *)z;
    body_len = zlen;
  }
  if (flags & (8 | 16))
    headers[nh++] = (srv_kv_t){"Content-Encoding", "lz4"};
  if (flags & 32)
    headers[nh++] = (srv_kv_t){"Accept-Encoding", "lz4"};
  if (flags & 128)
    headers[nh++] = (srv_kv_t){"X-Sync-Protocol", "1"};
  headers[nh++] = (srv_kv_t){"Authorization", (flags & 64) ? "Device " DEVICE_ID ":wrong" : g_auth};
  headers[nh++] = (srv_kv_t){"Content-Type", "application/json"};

  srv_request_t req = {.method = (route == 0 || route == 7 || (route == 6 && body_len)) ? "POST" : "GET",
                       .path = path, .headers = headers, .n_headers = nh, .query = query,
                       .n_query = nq, .body = (const char *)body, .body_len = body_len,
                       .peer = "fuzz"};
  srv_response_t resp;
  srv_handle(g_srv, &req, &resp);

  /* Every answer is a status, and every body a JSON document (after lz4 when declared). */
  if (resp.status < 200 || resp.status > 599)
    abort();
  if (resp.body && resp.status != 304 && !resp.html) {
    char *plain = NULL;
    size_t plain_len = 0;
    if (resp.lz4) {
      if (codec_lz4_decompress(resp.body, resp.body_len, PROTO_MAX_BODY, &plain, &plain_len, NULL,
                               0) != SYNC_OK)
        abort();
    }
    const char *body_text = plain ? plain : resp.body;
    size_t body_text_len = plain ? plain_len : resp.body_len;
    if (resp.status == 200 && strcmp(path, PROTO_PATH_ENROLL) == 0)
      follow_rekey(body_text, body_text_len);
    cJSON *j = cJSON_ParseWithLength(body_text, body_text_len);
    if (!j)
      abort();
    if (resp.status >= 400 && !cJSON_GetObjectItemCaseSensitive(j, "error"))
      abort();
    cJSON_Delete(j);
    free(plain);
  }
  srv_response_clear(&resp);
  free(z);
  free(text);
  return 0;
}
