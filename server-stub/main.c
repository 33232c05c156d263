/* syncserver: the central server of libsync (serve) and its admin commands. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "http.h"
#include "log.h"
#include "server.h"
#include "sync/version.h"

static void usage(FILE *out)
{
  fprintf(out,
          "usage: syncserver COMMAND [options]\n"
          "\n"
          "  serve --db PATH --listen HOST:PORT [--threads N] [--log-level debug|info|warn|error]\n"
          "        [--tls-cert FILE.pem --tls-key FILE.pem]   (HTTPS through GnuTLS)\n"
          "        [--silent-days N] [--session-hours H]   (dashboard: /dashboard/)\n"
          "        [--auth-fail-limit N]   failed authentications per address in 10 min (10;\n"
          "                                a network /24 or /64 gets 3x this)\n"
          "        [--log-file FILE]   append the log there (created 0600) instead of stderr\n"
          "        [--behind-tls-proxy]   devices and staff reach this server through an HTTPS\n"
          "        proxy: the session cookie gets Secure (it always does with --tls-cert)\n"
          "        [--allow-insecure-http]   plain HTTP on a non-loopback address (refused\n"
          "        without it: anyone on the network in between reads credentials and answers)\n"
          "        [--max-connections 256] [--max-conns-per-address 64] [--max-conns-per-prefix 128]\n"
          "        [--header-timeout 20] [--body-min-rate 256] [--body-grace 20]\n"
          "        [--max-unauth-body 16384] [--unauth-memory 2097152]   availability under\n"
          "        hostile load (seconds, bytes, bytes/s; proto/SECURITY.md)\n"
          "        HOST:PORT like 127.0.0.1:8080, [::1]:0 (port 0 picks a free port); prints\n"
          "        'LISTENING <address>' once ready; SIGTERM/SIGINT stop it gracefully\n"
          "  init --db PATH                          create (or upgrade) the database\n"
          "  enroll create --db PATH --name NAME [--unit UNIT] [--ttl-hours 24] [--valid-days 365]\n"
          "        [--json]   a one-time enrollment code for a device (printed once)\n"
          "  enroll list --db PATH [--json]          codes: pending, used, expired (never the code)\n"
          "  device list --db PATH [--json]\n"
          "  device revoke --db PATH DEVICE_ID\n"
          "  form publish --db PATH FILE [--seal-to PUBFILE [--clear-fields A,B]]\n"
          "        [--dedup-fields X,Y] [--json]    add a form version (devices get it by pull)\n"
          "  keygen --out FILE                       central sealing key pair (FILE, FILE.pub)\n"
          "  receipt-key --db PATH                   the public key that verifies receipts\n"
          "  verify-receipt --db PATH FILE           check a device's receipt document\n"
          "  duplicates --db PATH [--json]           records sharing a duplicate-detection hash\n"
          "  form list --db PATH [--json]\n"
          "  records --db PATH [FILTER] [--limit N] [--json]\n"
          "        FILTER: --form ID --region 35|35.02[,..] --from DATE --to DATE\n"
          "                --date interview|received --status final|deleted|all\n"
          "                --case-status S --result strong_indication|needs_assessment|..|none\n"
          "  export --db PATH --by NAME [--format csv|jsonl] [--out FILE] [--lang id|en | --codes]\n"
          "        [--bom] [--raw-text] [--omit FIELD,..] [--private-key FILE] [FILTER]\n"
          "        (audited; default: final records; exit 3 when sealed records could not be opened)\n"
          "  audit --db PATH [--limit N] [--json]    the export audit and the security log\n"
          "  user add --db PATH --name LOGIN [--password-file FILE] [--force]\n"
          "        dashboard login; the password is read from stdin (or the file's first line)\n"
          "  user list --db PATH [--json]\n"
          "  user remove --db PATH LOGIN\n"
          "  record get --db PATH UUID               the stored payload, byte for byte\n"
          "  record set-status --db PATH UUID --status S [--referral R] --by NAME [--force]\n"
          "  record delete --db PATH UUID --by NAME  a central deletion (tombstone)\n"
          "  conflicts --db PATH [--json]            merged conflicts kept for review\n"
          "  stats --db PATH [--json]\n"
          "  version\n");
}

/* A whole text file (PEM), NUL-terminated; NULL if unreadable or over 1 MiB. */
static char *read_text(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc((1u << 20) + 1);
  size_t n = buf ? fread(buf, 1, 1u << 20, f) : 0;
  int more = fgetc(f) != EOF;
  fclose(f);
  if (!buf || n == 0 || more) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

/* The log goes to FILE from now on (stderr is redirected): created 0600, and refused when group
 * or others may read it, since request lines name devices, addresses and staff logins. */
static int open_log_file(const char *path)
{
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(path);
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
    fprintf(stderr,
            "syncserver: %s dapat dibaca pengguna lain; perbaiki dengan: chmod 600 %s"
            " / %s is readable by other users; fix it with: chmod 600 %s\n",
            path, path, path, path);
    close(fd);
    return -1;
  }
  int ok = dup2(fd, STDERR_FILENO) >= 0;
  close(fd);
  return ok ? 0 : -1;
}

/* The integer option `name` into *out when given: 0, or -1 (message on stderr) when it is not a
 * number in [min, max]. */
static int int_opt(const cli_t *c, const char *name, long long min, long long max, long long *out)
{
  const char *v = cli_opt(c, name);
  if (!v)
    return 0;
  char *end;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || n < min || n > max) {
    fprintf(stderr, "syncserver: --%s must be %lld..%lld\n", name, min, max);
    return -1;
  }
  *out = n;
  return 0;
}

/* The connection caps, deadlines and body limits of `serve` (http.h). 0, or -1 on a bad value. */
static int load_opts(const cli_t *c, http_config_t *hc)
{
  long long conns = 256, per_addr = 64, per_prefix = 128, head = 20, rate = 256, grace = 20;
  long long body = 16384, memory = 2 << 20;
  if (int_opt(c, "max-connections", 1, 10000, &conns) ||
      int_opt(c, "max-conns-per-address", 1, 10000, &per_addr) ||
      int_opt(c, "max-conns-per-prefix", 1, 10000, &per_prefix) ||
      int_opt(c, "header-timeout", 1, 3600, &head) ||
      int_opt(c, "body-min-rate", 1, 1 << 30, &rate) ||
      int_opt(c, "body-grace", 1, 3600, &grace) ||
      int_opt(c, "max-unauth-body", 1024, 1 << 20, &body) ||
      int_opt(c, "unauth-memory", 1024, 1LL << 32, &memory))
    return -1;
  if (memory < body) {
    fprintf(stderr, "syncserver: --unauth-memory must be at least --max-unauth-body\n");
    return -1;
  }
  hc->connection_limit = (int)conns;
  hc->per_ip_limit = (int)per_addr;
  hc->per_prefix_limit = (int)per_prefix;
  hc->header_timeout_s = (int)head;
  hc->body_min_rate = (int)rate;
  hc->body_grace_s = (int)grace;
  hc->unauth_body_max = (size_t)body;
  hc->unauth_budget = (size_t)memory;
  return 0;
}

static int serve(const cli_t *c)
{
  static const char *const known[] = {"db", "listen", "threads", "log-level", "tls-cert", "tls-key",
                                      "silent-days", "session-hours", "auth-fail-limit", "log-file",
                                      "max-connections", "max-conns-per-address",
                                      "max-conns-per-prefix", "header-timeout", "body-min-rate",
                                      "body-grace", "max-unauth-body", "unauth-memory",
                                      "flag:behind-tls-proxy", "flag:allow-insecure-http", NULL};
  int behind_proxy = cli_flag(c, "behind-tls-proxy"), insecure_http = cli_flag(c, "allow-insecure-http");
  if (cli_check(c, known))
    return 2;
  const char *db_path = cli_opt(c, "db"), *listen = cli_opt(c, "listen");
  if (!db_path || !listen) {
    fprintf(stderr, "syncserver: serve needs --db PATH and --listen HOST:PORT\n");
    return 2;
  }
  const char *log_file = cli_opt(c, "log-file");
  if (log_file && open_log_file(log_file) != 0)
    return 1;
  const char *level = cli_opt(c, "log-level");
  if (level) {
    if (strcmp(level, "debug") == 0) log_set_level(LOG_DEBUG);
    else if (strcmp(level, "info") == 0) log_set_level(LOG_INFO);
    else if (strcmp(level, "warn") == 0) log_set_level(LOG_WARN);
    else if (strcmp(level, "error") == 0) log_set_level(LOG_ERROR);
    else {
      fprintf(stderr, "syncserver: unknown --log-level %s\n", level);
      return 2;
    }
  }
  int threads = 4;
  const char *t = cli_opt(c, "threads");
  if (t && ((threads = atoi(t)) < 1 || threads > 64)) {
    fprintf(stderr, "syncserver: --threads must be 1..64\n");
    return 2;
  }

  int silent_days = 14, session_hours = 8;
  const char *sd = cli_opt(c, "silent-days"), *sh = cli_opt(c, "session-hours");
  if (sd && ((silent_days = atoi(sd)) < 1 || silent_days > 3650)) {
    fprintf(stderr, "syncserver: --silent-days must be 1..3650\n");
    return 2;
  }
  if (sh && ((session_hours = atoi(sh)) < 1 || session_hours > 24 * 30)) {
    fprintf(stderr, "syncserver: --session-hours must be 1..720\n");
    return 2;
  }
  int fail_limit = 10;
  const char *fl = cli_opt(c, "auth-fail-limit");
  if (fl && ((fail_limit = atoi(fl)) < 1 || fail_limit > 100000)) {
    fprintf(stderr, "syncserver: --auth-fail-limit must be 1..100000\n");
    return 2;
  }

  http_config_t hc = {.listen = listen, .threads = threads, .allow_insecure_http = insecure_http};
  if (load_opts(c, &hc) != 0)
    return 2;

  const char *cert_file = cli_opt(c, "tls-cert"), *key_file = cli_opt(c, "tls-key");
  if (!cert_file != !key_file) {
    fprintf(stderr, "syncserver: --tls-cert and --tls-key go together\n");
    return 2;
  }
  char *cert = NULL, *key = NULL;
  if (cert_file && (!(cert = read_text(cert_file)) || !(key = read_text(key_file)))) {
    fprintf(stderr, "syncserver: cannot read %s\n", cert ? key_file : cert_file);
    free(cert);
    return 1;
  }

  /* Every thread started from here on inherits the blocked mask; only sigwait sees them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);

  srv_t *s;
  char err[512];
  srv_config_t cfg = {.db_path = db_path, .pool_size = threads + 1, .silent_days = silent_days,
                      .session_hours = session_hours,
                      .secure_cookies = cert != NULL || behind_proxy,
                      .auth_fail_limit = fail_limit};
  if (srv_open(&cfg, &s, err, sizeof err) != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", err);
    return 1;
  }
  hc.tls_cert_pem = cert;
  hc.tls_key_pem = key;
  http_server_t *h;
  int started = http_start(s, &hc, &h, err, sizeof err);
  if (key)
    memset(key, 0, strlen(key));
  free(key);
  free(cert);
  if (started != 0) {
    fprintf(stderr, "syncserver: %s\n", err);
    srv_close(s);
    return 1;
  }
  log_event(LOG_INFO, "started", "address=%s tls=%s db=%s server_id=%s version=%s threads=%d",
            http_address(h), http_is_tls(h) ? "yes" : "no", db_path, srv_server_id(s),
            SYNC_VERSION_STRING, threads);
  printf("LISTENING %s\n", http_address(h));
  fflush(stdout);

  int sig = 0;
  while (sigwait(&stop, &sig) != 0)
    ;
  log_event(LOG_INFO, "stopping", "signal=%d", sig);
  http_stop(h, 30);
  srv_close(s);
  log_event(LOG_INFO, "stopped", NULL);
  return 0;
}

int main(int argc, char **argv)
{
  /* Everything this process creates (database, journals, exports, key files) is the server
   * account's alone (proto/SECURITY.md, "Server files and logs"). */
  umask(077);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  const char *sub = argc > 2 ? argv[2] : "";
  cli_t c1 = {argc - 2, argv + 2};             /* after "COMMAND" */
  cli_t c2 = {argc > 2 ? argc - 3 : 0, argv + 3}; /* after "COMMAND SUB" */

  if (strcmp(cmd, "serve") == 0) return serve(&c1);
  if (strcmp(cmd, "init") == 0) return admin_init(&c1);
  if (strcmp(cmd, "records") == 0) return admin_records(&c1);
  if (strcmp(cmd, "conflicts") == 0) return admin_conflicts(&c1);
  if (strcmp(cmd, "stats") == 0) return admin_stats(&c1);
  if (strcmp(cmd, "export") == 0) return admin_export(&c1);
  if (strcmp(cmd, "audit") == 0) return admin_audit(&c1);
  if (strcmp(cmd, "keygen") == 0) return admin_keygen(&c1);
  if (strcmp(cmd, "receipt-key") == 0) return admin_receipt_key(&c1);
  if (strcmp(cmd, "verify-receipt") == 0) return admin_verify_receipt(&c1);
  if (strcmp(cmd, "duplicates") == 0) return admin_duplicates(&c1);
  if (strcmp(cmd, "enroll") == 0) {
    if (strcmp(sub, "create") == 0) return admin_enroll_create(&c2);
    if (strcmp(sub, "list") == 0) return admin_enroll_list(&c2);
  }
  if (strcmp(cmd, "user") == 0) {
    if (strcmp(sub, "add") == 0) return admin_user_add(&c2);
    if (strcmp(sub, "list") == 0) return admin_user_list(&c2);
    if (strcmp(sub, "remove") == 0) return admin_user_remove(&c2);
  }
  if (strcmp(cmd, "device") == 0) {
    if (strcmp(sub, "list") == 0) return admin_device_list(&c2);
    if (strcmp(sub, "revoke") == 0) return admin_device_revoke(&c2);
  } else if (strcmp(cmd, "form") == 0) {
    if (strcmp(sub, "publish") == 0) return admin_form_publish(&c2);
    if (strcmp(sub, "list") == 0) return admin_form_list(&c2);
  } else if (strcmp(cmd, "record") == 0) {
    if (strcmp(sub, "get") == 0) return admin_record_get(&c2);
    if (strcmp(sub, "set-status") == 0) return admin_record_set_status(&c2);
    if (strcmp(sub, "delete") == 0) return admin_record_delete(&c2);
  } else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("syncserver %s (protocol %d)\n", SYNC_VERSION_STRING, PROTO_VERSION);
    return 0;
  } else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "syncserver: unknown command '%s%s%s'\n", cmd, *sub ? " " : "", sub);
  usage(stderr);
  return 2;
}
