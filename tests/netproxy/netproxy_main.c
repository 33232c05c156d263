/* netproxy: command-line front end of the bad-link proxy (options, signals, PORT/STATS lines).
 * See README.md in this directory. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netproxy.h"

static netproxy_t *volatile g_np;

static void on_signal(int sig)
{
  netproxy_t *np = g_np;
  if (!np)
    return;
  if (sig == SIGUSR1)
    netproxy_command(np, NETPROXY_CMD_DOWN);
  else if (sig == SIGUSR2)
    netproxy_command(np, NETPROXY_CMD_UP);
  else
    netproxy_stop(np);
}

static void usage(FILE *f)
{
  fputs(
    "usage: netproxy --upstream 127.0.0.1:PORT [options]\n"
    "A seeded bad-link TCP proxy for loopback tests. Prints 'PORT <n>' first, 'STATS ...' last.\n"
    "  --listen ADDR             listen address (default 127.0.0.1:0 = ephemeral port)\n"
    "  --upstream ADDR           where connections go (127.0.0.0/8 or [::1] only)\n"
    "  --seed N                  seed of every random choice (default 0)\n"
    "  --latency-ms N            one-way delay added in each direction\n"
    "  --jitter-ms N             plus uniform 0..N ms per chunk (never reorders)\n"
    "  --bandwidth-kbps N        cap per direction and connection (kilobits per second)\n"
    "  --bandwidth-shared        the cap is shared by all connections (per direction)\n"
    "  --cut-after-bytes N       cut connections after exactly N bytes\n"
    "  --cut-direction D         up | down | both (bytes counted for cuts; default both)\n"
    "  --cut-probability P       fraction of connections cut, at a point in [cut-min, cut-max]\n"
    "  --cut-min N, --cut-max N  cut point bounds in bytes (default 0 and 1 MiB)\n"
    "  --cut-mode M              fin (peer reads the bytes, then EOF; default) | rst\n"
    "  --reset-probability P     per segment: abort the connection with RST\n"
    "  --stall-probability P     per segment: pause the connection for --stall-ms\n"
    "  --stall-ms N              length of a stall\n"
    "  --segment-bytes N         segment size for the per-segment faults (default 1460)\n"
    "  --queue-bytes N           backpressure limit per direction (default 1048576)\n"
    "  --max-connections N       open at once; more wait in the backlog (default 256)\n"
    "  --duration-s N            exit after N seconds (default 600, at most 86400)\n"
    "  --control-fifo PATH       read commands from this FIFO too\n"
    "  --no-stdin                do not read commands from standard input\n"
    "  --verbose                 log connection events to standard error\n"
    "Commands (one per line on stdin or the FIFO): down, up, cut, stats, quit.\n"
    "Signals: SIGUSR1 = down, SIGUSR2 = up, SIGINT/SIGTERM = quit.\n",
    f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
  char *end;
  if (!s || !*s || *s == '-')
    return -1;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max)
    return -1;
  *out = v;
  return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
  uint64_t v;
  if (parse_u64(s, UINT32_MAX, &v) != 0)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse_prob(const char *s, double *out)
{
  char *end;
  if (!s || !*s)
    return -1;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !(v >= 0.0 && v <= 1.0))
    return -1;
  *out = v;
  return 0;
}

typedef struct cli {
  netproxy_opts_t o;
  int no_stdin;
  int verbose;
} cli_t;

/* Applies one option; value is NULL for flags. Returns 0, or -1 with a message printed. */
static int apply(cli_t *cli, const char *name, const char *value)
{
  netproxy_opts_t *o = &cli->o;
  uint64_t u = 0;
  int bad = 0;
  if (!strcmp(name, "listen"))
    o->listen = value;
  else if (!strcmp(name, "upstream"))
    o->upstream = value;
  else if (!strcmp(name, "seed"))
    bad = parse_u64(value, UINT64_MAX, &o->seed);
  else if (!strcmp(name, "latency-ms"))
    bad = parse_u32(value, &o->latency_ms);
  else if (!strcmp(name, "jitter-ms"))
    bad = parse_u32(value, &o->jitter_ms);
  else if (!strcmp(name, "bandwidth-kbps"))
    bad = parse_u32(value, &o->bandwidth_kbps);
  else if (!strcmp(name, "cut-after-bytes"))
    bad = parse_u64(value, UINT64_MAX - 1, &o->cut_after_bytes);
  else if (!strcmp(name, "cut-probability"))
    bad = parse_prob(value, &o->cut_probability);
  else if (!strcmp(name, "cut-min"))
    bad = parse_u64(value, UINT64_MAX - 1, &o->cut_min);
  else if (!strcmp(name, "cut-max"))
    bad = parse_u64(value, UINT64_MAX - 1, &o->cut_max);
  else if (!strcmp(name, "reset-probability"))
    bad = parse_prob(value, &o->reset_probability);
  else if (!strcmp(name, "stall-probability"))
    bad = parse_prob(value, &o->stall_probability);
  else if (!strcmp(name, "stall-ms"))
    bad = parse_u32(value, &o->stall_ms);
  else if (!strcmp(name, "segment-bytes"))
    bad = parse_u32(value, &o->segment_bytes) || o->segment_bytes == 0;
  else if (!strcmp(name, "queue-bytes"))
    bad = parse_u32(value, &o->queue_bytes) || o->queue_bytes == 0;
  else if (!strcmp(name, "max-connections"))
    bad = parse_u32(value, &o->max_connections) || o->max_connections == 0;
  else if (!strcmp(name, "duration-s")) {
    bad = parse_u64(value, 86400, &u) != 0 || u == 0;
    o->duration_s = (uint32_t)u;
  }
  else if (!strcmp(name, "control-fifo"))
    o->control_fifo = value;
  else if (!strcmp(name, "cut-direction")) {
    if (!strcmp(value, "up"))
      o->cut_direction = NETPROXY_DIR_UP;
    else if (!strcmp(value, "down"))
      o->cut_direction = NETPROXY_DIR_DOWN;
    else if (!strcmp(value, "both"))
      o->cut_direction = NETPROXY_DIR_BOTH;
    else
      bad = 1;
  } else if (!strcmp(name, "cut-mode")) {
    if (!strcmp(value, "fin"))
      o->cut_mode = NETPROXY_CUT_FIN;
    else if (!strcmp(value, "rst"))
      o->cut_mode = NETPROXY_CUT_RST;
    else
      bad = 1;
  } else {
    fprintf(stderr, "netproxy: unknown option --%s (see --help)\n", name);
    return -1;
  }
  if (bad) {
    fprintf(stderr, "netproxy: bad value '%s' for --%s\n", value, name);
    return -1;
  }
  return 0;
}

static int is_flag(const char *name)
{
  return !strcmp(name, "bandwidth-shared") || !strcmp(name, "no-stdin") ||
         !strcmp(name, "verbose") || !strcmp(name, "help");
}

/* Returns 0 to run, 1 after --help, -1 on a bad command line. */
static int parse_args(int argc, char **argv, cli_t *cli)
{
  for (int i = 1; i < argc; i++) {
    char name[64];
    const char *arg = argv[i];
    const char *value = NULL;
    if (!strcmp(arg, "-h"))
      arg = "--help";
    if (!strcmp(arg, "-v"))
      arg = "--verbose";
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr, "netproxy: unexpected argument '%s' (see --help)\n", arg);
      return -1;
    }
    arg += 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= sizeof name) {
      fprintf(stderr, "netproxy: unknown option --%s\n", arg);
      return -1;
    }
    memcpy(name, arg, len);
    name[len] = '\0';
    if (is_flag(name)) {
      if (eq) {
        fprintf(stderr, "netproxy: --%s takes no value\n", name);
        return -1;
      }
      if (!strcmp(name, "help")) {
        usage(stdout);
        return 1;
      }
      if (!strcmp(name, "bandwidth-shared"))
        cli->o.bandwidth_shared = 1;
      else if (!strcmp(name, "no-stdin"))
        cli->no_stdin = 1;
      else
        cli->verbose = 1;
      continue;
    }
    if (eq) {
      value = eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      fprintf(stderr, "netproxy: --%s needs a value\n", name);
      return -1;
    }
    if (apply(cli, name, value) != 0)
      return -1;
  }
  if (!cli->o.upstream) {
    fprintf(stderr, "netproxy: --upstream 127.0.0.1:PORT is required (see --help)\n");
    return -1;
  }
  return 0;
}

static void install_signals(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_signal;
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGUSR2, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
}

int main(int argc, char **argv)
{
  cli_t cli;
  memset(&cli, 0, sizeof cli);
  netproxy_opts_init(&cli.o);
  int pr = parse_args(argc, argv, &cli);
  if (pr != 0)
    return pr > 0 ? 0 : 2;
  cli.o.control_fd = cli.no_stdin ? -1 : 0;
  cli.o.stats_out = stdout;
  cli.o.log = cli.verbose ? stderr : NULL;

  netproxy_t *np;
  char err[300];
  netproxy_result_t r = netproxy_new(&cli.o, &np, err, sizeof err);
  if (r != NETPROXY_OK) {
    fprintf(stderr, "netproxy: %s\n", err);
    return r == NETPROXY_ESYS || r == NETPROXY_ENOMEM ? 1 : 2;
  }
  install_signals();
  g_np = np;
  printf("PORT %d\n", netproxy_port(np));
  fflush(stdout);

  r = netproxy_run_for(np, -1);

  g_np = NULL;
  netproxy_stats_t st;
  char line[400];
  netproxy_get_stats(np, &st);
  netproxy_format_stats(&st, line, sizeof line);
  printf("%s\n", line);
  fflush(stdout);
  netproxy_free(np);
  if (r == NETPROXY_ESYS) {
    fprintf(stderr, "netproxy: event loop failed\n");
    return 1;
  }
  return 0;
}
