/* Server test fixture (server_fixture.h). */
#define _DEFAULT_SOURCE 1
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "server_fixture.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "db.h"
#include "server.h"
#include "form_def.h"
#include "receipt_leaves.h"
#include "test_support.h"
#include "uuid.h"

#define MAX_ARGS 32

/* ---- child processes ---------------------------------------------------------------------- */

static pid_t spawn(char *const argv[], int out_fd, int err_fd)
{
  pid_t pid = fork();
  if (pid != 0)
    return pid;
  if (out_fd >= 0)
    dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0)
    dup2(err_fd, STDERR_FILENO);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0)
    dup2(devnull, STDIN_FILENO);
  execv(argv[0], argv);
  _exit(127);
}

static char *read_all(int fd)
{
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len + 1024 > cap)
      buf = realloc(buf, cap *= 2);
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  buf[len] = '\0';
  return buf;
}

/* argv for syncserver with `args` (NULL-terminated) after the program. */
static void syncserver_argv(char *argv[MAX_ARGS + 2], const char *const *args)
{
  int n = 0;
  argv[n++] = (char *)SYNCSERVER_PATH;
  for (size_t i = 0; args[i] && n < MAX_ARGS; i++)
    argv[n++] = (char *)args[i];
  argv[n] = NULL;
}

/* Reads the child's stdout to its end, reaps it; its exit code (128 + signal when killed). */
static int finish_child(pid_t pid, int out_fd, char **out)
{
  char *text = read_all(out_fd);
  close(out_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (out)
    *out = text;
  else
    free(text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_syncserver(char **out, const char *arg0, ...)
{
  const char *args[MAX_ARGS + 1];
  size_t n = 0;
  va_list ap;
  va_start(ap, arg0);
  for (const char *a = arg0; a && n < MAX_ARGS; a = va_arg(ap, const char *))
    args[n++] = a;
  va_end(ap);
  args[n] = NULL;
  return run_syncserver_argv(out, args, NULL);
}

int run_syncserver_argv(char **out, const char *const *args, const char *input)
{
  char *argv[MAX_ARGS + 2];
  syncserver_argv(argv, args);
  int pfd[2], ifd[2];
  if (pipe(pfd) != 0)
    return -1;
  if (pipe(ifd) != 0) {
    close(pfd[0]);
    close(pfd[1]);
    return -1;
  }
  int errfd = open("/dev/null", O_WRONLY);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], STDOUT_FILENO);
    if (!getenv("SERVER_TEST_VERBOSE") && errfd >= 0)
      dup2(errfd, STDERR_FILENO);
    dup2(ifd[0], STDIN_FILENO);
    close(ifd[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(pfd[1]);
  close(ifd[0]);
  if (errfd >= 0)
    close(errfd);
  if (input) {
    size_t len = strlen(input), off = 0;
    while (off < len) {
      ssize_t w = write(ifd[1], input + off, len - off);
      if (w <= 0)
        break;
      off += (size_t)w;
    }
  }
  close(ifd[1]);
  return finish_child(pid, pfd[0], out);
}

int run_syncserver_capture(char **out, char **err, const char *const *args)
{
  char *argv[MAX_ARGS + 2];
  syncserver_argv(argv, args);
  char *tmp = ts_tempdir();
  char *errpath = ts_path(tmp, "stderr");
  int pfd[2];
  int efd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (efd < 0 || pipe(pfd) != 0) {
    if (efd >= 0)
      close(efd);
    ts_rmtree(tmp);
    free(tmp);
    free(errpath);
    return -1;
  }
  pid_t pid = spawn(argv, pfd[1], efd);
  close(pfd[1]);
  close(efd);
  int rc = finish_child(pid, pfd[0], out);
  if (err)
    *err = ts_read_file(errpath, NULL);
  ts_rmtree(tmp);
  free(tmp);
  free(errpath);
  return rc;
}

int server_prepare(server_t *s)
{
  memset(s, 0, sizeof *s);
  s->dir = ts_tempdir();
  if (!s->dir)
    return -1;
  s->db = ts_path(s->dir, "server.db");
  s->log = ts_path(s->dir, "server.log");
  if (run_syncserver(NULL, "init", "--db", s->db, NULL) != 0)
    return -1;
  return run_syncserver(NULL, "form", "publish", "--db", s->db,
                        SYNC_SERVER_TEST_DATA "/server_form.v1.json", NULL);
}

int server_serve(server_t *s, const char *const *args)
{
  const char *all[MAX_ARGS] = {"serve", "--db", s->db};
  size_t n = 3;
  int https = 0;
  for (size_t i = 0; args[i] && n < MAX_ARGS - 1; i++) {
    https |= strcmp(args[i], "--tls-cert") == 0;
    all[n++] = args[i];
  }
  all[n] = NULL;
  char *argv[MAX_ARGS + 2];
  syncserver_argv(argv, all);
  int pfd[2];
  if (pipe(pfd) != 0)
    return -1;
  int logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
  s->pid = spawn(argv, pfd[1], getenv("SERVER_TEST_VERBOSE") ? -1 : logfd);
  close(pfd[1]);
  if (logfd >= 0)
    close(logfd);
  char line[256];
  size_t len = 0;
  struct pollfd p = {.fd = pfd[0], .events = POLLIN};
  while (len < sizeof line - 1) {
    if (poll(&p, 1, 20000) <= 0)
      break;
    ssize_t got = read(pfd[0], line + len, 1);
    if (got <= 0)
      break;
    if (line[len] == '\n')
      break;
    len++;
  }
  line[len] = '\0';
  close(pfd[0]);
  const char *prefix = "LISTENING ";
  if (strncmp(line, prefix, strlen(prefix)) != 0) {
    int rc = server_stop(s, SIGKILL);
    return rc ? rc : -1;
  }
  snprintf(s->base, sizeof s->base, "%s://%.80s", https ? "https" : "http",
           line + strlen(prefix));
  return 0;
}

int server_start(server_t *s, const char *listen)
{
  const char *args[MAX_ARGS] = {"--listen", listen ? listen : "127.0.0.1:0"};
  size_t n = 2;
  char limit[16];
  if (s->tls_cert && s->tls_key) {
    args[n++] = "--tls-cert";
    args[n++] = s->tls_cert;
    args[n++] = "--tls-key";
    args[n++] = s->tls_key;
  }
  if (s->auth_fail_limit > 0) {
    snprintf(limit, sizeof limit, "%d", s->auth_fail_limit);
    args[n++] = "--auth-fail-limit";
    args[n++] = limit;
  }
  for (size_t i = 0; s->serve_args && s->serve_args[i] && n < MAX_ARGS - 1; i++)
    args[n++] = s->serve_args[i];
  args[n] = NULL;
  if (server_serve(s, args) != 0) {
    fprintf(stderr, "server did not start (log %s)\n", s->log);
    return -1;
  }
  return 0;
}

int server_stop(server_t *s, int sig)
{
  if (s->pid <= 0)
    return -1;
  kill(s->pid, sig);
  int status = 0;
  while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
    ;
  s->pid = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void server_cleanup(server_t *s)
{
  if (s->pid > 0)
    server_stop(s, SIGKILL);
  if (s->dir && !getenv("SERVER_TEST_KEEP"))
    ts_rmtree(s->dir);
  free(s->dir);
  free(s->db);
  free(s->log);
  memset(s, 0, sizeof *s);
}

int enroll_code(const server_t *s, const char *name, const char *const *extra, char code[32])
{
  const char *args[MAX_ARGS] = {"enroll", "create", "--db", s->db, "--name", name, "--json"};
  size_t n = 7;
  for (size_t i = 0; extra && extra[i] && n + 1 < MAX_ARGS; i++)
    args[n++] = extra[i];
  args[n] = NULL;
  char *text = NULL;
  int rc = run_syncserver_argv(&text, args, NULL);
  cJSON *j = rc == 0 ? cJSON_Parse(text) : NULL;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");
  if (cJSON_IsString(c))
    snprintf(code, 32, "%s", c->valuestring);
  else
    rc = -1;
  cJSON_Delete(j);
  free(text);
  return rc;
}

long enroll_device(const server_t *s, const char *code, const char *device_id, device_t *out)
{
  proto_enroll_req_t req = {.protocol = PROTO_VERSION};
  snprintf(req.code, sizeof req.code, "%s", code);
  snprintf(req.device_id, sizeof req.device_id, "%s", device_id);
  char *body = NULL;
  size_t len = 0;
  if (proto_enroll_req_encode(&req, &body, &len) != SYNC_OK)
    return -1;
  reply_t r;
  long status = http_call(s, "POST", "/v1/enroll", NULL, NULL, body, len, 0, &r) == 0 ? r.status
                                                                                     : -1;
  free(body);
  if (status == 200) {
    proto_enroll_resp_t *er = NULL;
    proto_diag_t d;
    if (proto_enroll_resp_decode(r.body, r.len, &er, &d) != SYNC_OK) {
      fprintf(stderr, "enroll response: %s\n", d.msg);
      status = -1;
    } else {
      memset(out, 0, sizeof *out);
      snprintf(out->id, sizeof out->id, "%s", er->device_id);
      snprintf(out->secret, sizeof out->secret, "%s", er->secret);
      snprintf(out->auth, sizeof out->auth, "Device %s:%s", out->id, out->secret);
      snprintf(out->receipt_key, sizeof out->receipt_key, "%s", er->receipt_key);
      out->credential_expires_at = er->credential_expires_at;
    }
    proto_enroll_resp_free(er);
  }
  reply_free(&r);
  return status;
}

int add_device(server_t *s, const char *name, const char *id, device_t *out)
{
  return add_device_in(s, name, NULL, id, out);
}

int add_device_in(server_t *s, const char *name, const char *unit, const char *id, device_t *out)
{
  char code[32], device_id[40];
  memset(out, 0, sizeof *out);
  if (id)
    snprintf(device_id, sizeof device_id, "%s", id);
  else
    make_uuid(device_id);
  const char *extra[] = {"--unit", unit, NULL};
  if (enroll_code(s, name, unit ? extra : NULL, code) != 0) {
    fprintf(stderr, "add_device: 'enroll create' failed for %s\n", name);
    return -1;
  }
  int started = s->pid <= 0;
  if (started && server_start(s, NULL) != 0)
    return -1;
  long status = enroll_device(s, code, device_id, out);
  int stopped = started ? server_stop(s, SIGTERM) : 0;
  if (status != 200 || stopped != 0) {
    fprintf(stderr, "add_device: enroll of %s answered %ld, server exit %d; server log:\n", name,
            status, stopped);
    char *log = ts_read_file(s->log, NULL);
    fputs(log ? log : "(none)\n", stderr);
    free(log);
    return -1;
  }
  return 0;
}

int publish_form_version(const server_t *s, int version)
{
  char *text = ts_read_file(SYNC_SERVER_TEST_DATA "/server_form.v1.json", NULL);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!doc)
    return -1;
  cJSON_ReplaceItemInObjectCaseSensitive(doc, "version", cJSON_CreateNumber(version));
  char *out = cJSON_Print(doc);
  cJSON_Delete(doc);
  char name[64];
  snprintf(name, sizeof name, "form_v%d.json", version);
  char *path = ts_path(s->dir, name);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(out, f);
    fclose(f);
  }
  free(out);
  int rc = run_syncserver(NULL, "form", "publish", "--db", s->db, path, NULL);
  free(path);
  return rc;
}

/* ---- HTTP --------------------------------------------------------------------------------- */

typedef struct buf {
  char *data;
  size_t len;
} buf_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  buf_t *b = ud;
  size_t add = size * n;
  char *nd = realloc(b->data, b->len + add + 1);
  if (!nd)
    return 0;
  memcpy(nd + b->len, p, add);
  b->data = nd;
  b->len += add;
  b->data[b->len] = '\0';
  return add;
}

static void header_value(const char *line, size_t n, const char *name, char *dst, size_t dlen)
{
  size_t nl = strlen(name);
  if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return;
  const char *v = line + nl + 1;
  size_t vl = n - nl - 1;
  while (vl && (*v == ' ' || *v == '\t'))
    v++, vl--;
  while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
    vl--;
  snprintf(dst, dlen, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
  reply_t *r = ud;
  size_t len = size * n;
  header_value(p, len, "Content-Encoding", r->content_encoding, sizeof r->content_encoding);
  header_value(p, len, "Content-Type", r->content_type, sizeof r->content_type);
  header_value(p, len, "Retry-After", r->retry_after, sizeof r->retry_after);
  header_value(p, len, "WWW-Authenticate", r->www_authenticate, sizeof r->www_authenticate);
  header_value(p, len, "Allow", r->allow, sizeof r->allow);
  header_value(p, len, "ETag", r->etag, sizeof r->etag);
  header_value(p, len, "X-Sync-Protocol", r->protocol, sizeof r->protocol);
  header_value(p, len, "Cache-Control", r->cache_control, sizeof r->cache_control);
  return len;
}

typedef struct reader {
  const char *data;
  size_t len, off;
} reader_t;

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
  reader_t *rd = ud;
  size_t want = size * n, left = rd->len - rd->off;
  if (want > left)
    want = left;
  if (want > 65536)
    want = 65536;
  memcpy(p, rd->data + rd->off, want);
  rd->off += want;
  return want;
}

int http_call(const server_t *s, const char *method, const char *path, const device_t *dev,
              const char *const *headers, const void *body, size_t len, int flags, reply_t *r)
{
  memset(r, 0, sizeof *r);
  CURL *c = curl_easy_init();
  if (!c)
    return -1;
  char url[512];
  snprintf(url, sizeof url, "%s%s", s->base, path);
  struct curl_slist *hl = NULL;
  char auth[160];
  if (dev) {
    snprintf(auth, sizeof auth, "Authorization: %s", dev->auth);
    hl = curl_slist_append(hl, auth);
  }
  char *z = NULL;
  size_t zlen = 0;
  if (body && (flags & REQ_LZ4)) {
    if (codec_lz4_compress(body, len, 0, &z, &zlen) != SYNC_OK) {
      curl_easy_cleanup(c);
      return -1;
    }
    body = z;
    len = zlen;
    hl = curl_slist_append(hl, "Content-Encoding: lz4");
  }
  if (body && !(flags & REQ_NO_TYPE))
    hl = curl_slist_append(hl, "Content-Type: application/json");
  if (flags & REQ_ACCEPT_LZ4)
    hl = curl_slist_append(hl, "Accept-Encoding: lz4");
  for (size_t i = 0; headers && headers[i]; i++)
    hl = curl_slist_append(hl, headers[i]);
  reader_t rd = {body, len, 0};
  if (body && (flags & REQ_CHUNKED)) {
    hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &rd);
  } else if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  }
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  curl_easy_setopt(c, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  if (s->cainfo)
    curl_easy_setopt(c, CURLOPT_CAINFO, s->cainfo);
  buf_t b = {0};
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  free(z);
  r->raw = b.data ? b.data : calloc(1, 1);
  r->raw_len = b.len;
  if (strcasecmp(r->content_encoding, "lz4") == 0) {
    char err[128];
    if (codec_lz4_decompress(r->raw, r->raw_len, PROTO_MAX_BODY, &r->body, &r->len, err,
                             sizeof err) != SYNC_OK) {
      r->body = NULL;
      fprintf(stderr, "reply lz4: %s\n", err);
    }
  } else {
    r->body = malloc(r->raw_len + 1);
    memcpy(r->body, r->raw, r->raw_len);
    r->body[r->raw_len] = '\0';
    r->len = r->raw_len;
  }
  if (rc != CURLE_OK && r->status == 0) {
    fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
    return -1;
  }
  return r->body ? 0 : -1;
}

void reply_free(reply_t *r)
{
  free(r->raw);
  free(r->body);
  memset(r, 0, sizeof *r);
}

cJSON *reply_json(const reply_t *r)
{
  return r->body ? cJSON_ParseWithLength(r->body, r->len) : NULL;
}

const char *reply_error_code(const reply_t *r)
{
  static _Thread_local char code[64];
  code[0] = '\0';
  cJSON *j = reply_json(r);
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
  if (cJSON_IsString(c))
    snprintf(code, sizeof code, "%s", c->valuestring);
  cJSON_Delete(j);
  return code;
}

/* ---- messages ----------------------------------------------------------------------------- */

char *make_change(const char *uuid, int revision, int base_revision, const char *base_hlc,
                  const char *hlc, const char *op, const char *payload)
{
  char base[80];
  if (base_hlc)
    snprintf(base, sizeof base, "\"%s\"", base_hlc);
  else
    snprintf(base, sizeof base, "null");
  const char *p = payload ? payload : "{}";
  size_t n = strlen(p) + 1024;
  char *out = malloc(n);
  snprintf(out, n,
           "{\"uuid\":\"%s\",\"revision\":%d,\"base_revision\":%d,\"base_hlc\":%s,\"op\":\"%s\","
           "\"form_id\":\"tppo_screening\",\"form_version\":1,\"hlc\":\"%s\",\"status\":\"final\","
           "\"created_at\":1732511000000,\"updated_at\":1732512345678,\"payload\":%s}",
           uuid, revision, base_revision, base, op, hlc, p);
  return out;
}

char *make_push(const char *device_id, const char *batch_id, char **changes, size_t n)
{
  size_t total = 256;
  for (size_t i = 0; i < n; i++)
    total += strlen(changes[i]) + 1;
  char *out = malloc(total);
  int off = snprintf(out, total, "{\"protocol\":2,\"device_id\":\"%s\",\"batch_id\":\"%s\",\"changes\":[",
                     device_id, batch_id);
  for (size_t i = 0; i < n; i++)
    off += snprintf(out + off, total - (size_t)off, "%s%s", i ? "," : "", changes[i]);
  snprintf(out + off, total - (size_t)off, "]}");
  return out;
}

void make_hlc(char out[64], long long ms, int counter, const char *node)
{
  snprintf(out, 64, "%015lld-%05d-%s", ms, counter, node);
}

void make_uuid(char out[40])
{
  uuid_v4(out);
}

long long db_scalar(const server_t *s, const char *sql)
{
  sqlite3 *h = NULL;
  long long v = -1;
  if (sqlite3_open_v2(s->db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(h);
  return v;
}

void server_id_of(const server_t *s, char out[40])
{
  sqlite3 *h = NULL;
  out[0] = '\0';
  if (sqlite3_open_v2(s->db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = 'server_id'", -1, &st,
                           NULL) == SQLITE_OK) {
      if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, 40, "%s", (const char *)sqlite3_column_text(st, 0));
      sqlite3_finalize(st);
    }
  }
  sqlite3_close(h);
}

int receipt_key_decode(const char *key, unsigned char pk[32])
{
  size_t n = 0;
  return key && sodium_base642bin(pk, crypto_sign_PUBLICKEYBYTES, key, strlen(key), NULL, &n,
                                  NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
             n == crypto_sign_PUBLICKEYBYTES ? 0 : -1;
}

/* 1 when p's signature covers every one of its receipts (receipt_leaves.h). */
static int signature_matches(const char *key, const char *server_id, const char *device_id,
                             const proto_push_req_t *q, const proto_push_resp_t *p)
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  size_t n = p->n_receipts ? p->n_receipts : 1, count = 0;
  receipt_hash_t *leaves = malloc(RECEIPT_LEAVES_MAX(n) * sizeof *leaves), root;
  const char **hlcs = malloc(n * sizeof *hlcs);
  int ok = leaves && hlcs && receipt_key_decode(key, pk) == 0;
  for (size_t i = 0; ok && i < p->n_receipts; i++)
    hlcs[i] = q->changes[i].hlc;
  ok = ok &&
       receipt_leaves_of_response(server_id, device_id, p->receipts, p->n_receipts, hlcs, leaves,
                                  &count, NULL) == SYNC_OK &&
       receipt_tree_root(leaves, count, root) == SYNC_OK &&
       receipt_verify_root(server_id, device_id, count, root, p->signature, pk) == SYNC_OK;
  free(hlcs);
  free(leaves);
  return ok;
}

int push_response_signed(const server_t *s, const device_t *dev, const char *req, size_t req_len,
                         const char *resp, size_t resp_len)
{
  proto_push_req_t *q = NULL;
  proto_push_resp_t *p = NULL;
  proto_diag_t d;
  int ok = -1;
  char server_id[40];
  server_id_of(s, server_id);
  if (proto_push_req_decode(req, req_len, &q, &d) == SYNC_OK &&
      proto_push_resp_decode(resp, resp_len, &p, &d) == SYNC_OK && p->n_receipts == q->n_changes)
    ok = signature_matches(dev->receipt_key, server_id, dev->id, q, p);
  proto_push_req_free(q);
  proto_push_resp_free(p);
  return ok;
}

void json_strip_volatile(cJSON *j)
{
  if (!j)
    return;
  cJSON_DeleteItemFromObjectCaseSensitive(j, "server_time");
  cJSON_DeleteItemFromObjectCaseSensitive(j, "received_at");
  cJSON_DeleteItemFromObjectCaseSensitive(j, "server_seq");
  cJSON_DeleteItemFromObjectCaseSensitive(j, "signature");
  for (cJSON *c = j->child; c; c = c->next)
    if (cJSON_IsObject(c) || cJSON_IsArray(c))
      json_strip_volatile(c);
}

struct form *published_form_of(const server_t *s, const char *form_id, int version)
{
  db_conn_t *c = NULL;
  char err[256], *text = NULL, id[PROTO_FORM_ID_MAX + 1] = "";
  form_t *f = NULL;
  if (db_open(s->db, DB_OPEN_READONLY, &c, err, sizeof err) != SYNC_OK)
    return NULL;
  if (!form_id) {
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(s->db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT form_id FROM forms WHERE version = ?1", -1, &st, NULL) ==
            SQLITE_OK) {
      sqlite3_bind_int(st, 1, version);
      if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    form_id = id;
  }
  if (db_form_get(c, form_id, version, &text, NULL) == SYNC_OK) {
    sync_err_t e;
    f = form_parse(text, strlen(text), &e, err, sizeof err);
  }
  free(text);
  db_close(c);
  return f;
}

/* ---- the encrypted version 2 of the test form ------------------------------------------------ */

char *consent_form_v2(void)
{
  char *text = ts_read_file(SYNC_SERVER_TEST_DATA "/server_form.v1.json", NULL);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!doc)
    return NULL;
  cJSON_ReplaceItemInObjectCaseSensitive(doc, "version", cJSON_CreateNumber(2));
  cJSON_AddStringToObject(doc, "consent_field", "consent");
  const cJSON *sec;
  cJSON_ArrayForEach(sec, cJSON_GetObjectItemCaseSensitive(doc, "sections")) {
    cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(sec, "fields")) {
      const char *n = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
      if (strcmp(n, "province") == 0 || strcmp(n, "regency_code") == 0 ||
          strcmp(n, "interview_date") == 0)
        cJSON_AddBoolToObject(f, "without_consent", 1);
    }
  }
  char *out = cJSON_Print(doc);
  cJSON_Delete(doc);
  return out;
}

struct form *publish_consent_form_v2(const server_t *s, const char *const *extra, char key[512])
{
  char pub[512];
  snprintf(key, 512, "%s/central.key", s->dir);
  snprintf(pub, sizeof pub, "%s/central.key.pub", s->dir);
  char *def = consent_form_v2(), *path = ts_path(s->dir, "form_v2.json");
  FILE *f = fopen(path, "w");
  int rc = def && f && fputs(def, f) >= 0 ? 0 : -1;
  if (f && fclose(f) != 0)
    rc = -1;
  free(def);
  const char *publish[MAX_ARGS] = {"form", "publish", "--db", s->db, path, "--seal-to", pub,
                                   "--clear-fields",
                                   "province,regency_code,interview_date,consent,sex"};
  size_t n = 9;
  for (size_t i = 0; extra && extra[i] && n < MAX_ARGS - 1; i++)
    publish[n++] = extra[i];
  publish[n] = NULL;
  if (rc == 0 && (run_syncserver(NULL, "keygen", "--out", key, NULL) != 0 ||
                  run_syncserver_argv(NULL, publish, NULL) != 0))
    rc = -1;
  free(path);
  return rc == 0 ? published_form_of(s, NULL, 2) : NULL;
}

proto_change_t v2_change(const char *dev_id, const char *uuid)
{
  static int counter;
  proto_change_t c;
  memset(&c, 0, sizeof c);
  snprintf(c.uuid, sizeof c.uuid, "%s", uuid);
  c.revision = 1;
  c.op = PROTO_OP_UPSERT;
  snprintf(c.form_id, sizeof c.form_id, "tppo_screening");
  c.form_version = 2;
  char hlc[64];
  make_hlc(hlc, 1764547200000LL, counter++, dev_id);
  snprintf(c.hlc, sizeof c.hlc, "%.58s", hlc);
  c.created_at = c.updated_at = 1764547200000LL;
  c.origin = PROTO_ORIGIN_DEVICE;
  return c;
}

void v2_change_clear(proto_change_t *c)
{
  free(c->payload);
  free(c->sealed);
}

proto_push_resp_t *push_changes(const server_t *s, const device_t *dev, proto_change_t *changes,
                                size_t n, char **req_out, size_t *req_len, reply_t *raw)
{
  proto_push_req_t req = {.protocol = PROTO_VERSION, .changes = changes, .n_changes = n};
  snprintf(req.device_id, sizeof req.device_id, "%.36s", dev->id);
  char batch[40];
  make_uuid(batch);
  snprintf(req.batch_id, sizeof req.batch_id, "%.36s", batch);
  char *body = NULL;
  size_t len = 0;
  reply_t r;
  proto_push_resp_t *resp = NULL;
  if (proto_push_req_encode(&req, &body, &len) != SYNC_OK ||
      http_call(s, "POST", "/v1/push", dev, NULL, body, len, REQ_LZ4, &r) != 0) {
    free(body);
    return NULL;
  }
  proto_diag_t d;
  if (r.status != 200)
    fprintf(stderr, "push: %ld %s\n", r.status, r.body);
  else if (proto_push_resp_decode(r.body, r.len, &resp, &d) != SYNC_OK)
    resp = NULL;
  if (raw)
    *raw = r;
  else
    reply_free(&r);
  if (req_out) {
    *req_out = body;
    if (req_len)
      *req_len = len;
  } else {
    free(body);
  }
  return resp;
}

int inproc_open(inproc_t *p, int pool_size)
{
  memset(p, 0, sizeof *p);
  if (!(p->dir = ts_tempdir()) || !(p->db = ts_path(p->dir, "server.db")))
    return -1;
  srv_config_t cfg = {.db_path = p->db, .db_flags = DB_OPEN_FAST, .pool_size = pool_size};
  char err[256];
  return srv_open(&cfg, &p->srv, err, sizeof err) == SYNC_OK ? 0 : -1;
}

void inproc_close(inproc_t *p)
{
  srv_close(p->srv);
  if (p->dir)
    ts_rmtree(p->dir);
  free(p->dir);
  free(p->db);
}
