/* The link as the push sees it (PROTOCOL.md 7, engine_internal.h): the upload rate measured from
 * the server's answers, the round trip, the size of the next batch in seconds of link time, how
 * long a push may take before it is abandoned, and the cap a cut link leaves on batches.
 *
 * The rate counts only what the server acknowledged: each answered push adds its body's bytes and
 * the link time it took. Batches land in order and at most two are in flight, so the link time of
 * a batch is the time since the previous landing (or since its launch, less a round trip and the
 * set-up of its connection, when the link was idle at its launch): those intervals never overlap
 * and cover the time the link was busy, whether the two batches went side by side or one after the
 * other. A window of recent link time makes the estimate follow a link that changes. */
#include "engine_internal.h"

#define LINK_WINDOW_MS 12000.0     /* link time the estimate remembers */
#define BATCH_LINK_MS 3000.0       /* link time one batch should need */
#define FLOOR_BPS 4000.0           /* assumed before anything was measured (32 kbit/s) */
#define TIMEOUT_MARGIN 3.0         /* times the expected upload time */
#define TIMEOUT_MAX_MS 3600000.0
#define CUT_GROWTH 1.5             /* the cut cap after each answered push ... */
#define CEILING_SHARE 0.8          /* ... up to this share of the smallest batch cut lately, */
#define CEILING_RELAX 1.1          /* which grows by this much with each answered push */

static void note_rtt(engine_link_t *l, int64_t ms)
{
  if (ms > 0 && (l->rtt_ms == 0 || ms < l->rtt_ms))
    l->rtt_ms = ms;
}

void engine_link_request_done(sync_engine_t *e, const engine_call_t *c)
{
  /* An answered request without a body, or a TCP handshake, takes at least a round trip. */
  if (!c->body || c->len == 0)
    note_rtt(&e->link, c->elapsed_ms - c->setup_ms);
  note_rtt(&e->link, c->tcp_connect_ms);
}

size_t engine_link_batch_bytes(const sync_engine_t *e, int first_of_two)
{
  double want = e->link.bps > 0 ? e->link.bps * BATCH_LINK_MS / 1000.0 : (double)e->budget;
  /* Launched onto an idle link with a second batch right behind it: half, so that the two land
   * apart and the next launch always overlaps an upload. */
  if (first_of_two)
    want /= 2;
  if (e->link.cut_cap && want > (double)e->link.cut_cap)
    want = (double)e->link.cut_cap;
  if (want > (double)e->cfg.batch_max_bytes)
    want = (double)e->cfg.batch_max_bytes;
  return want < 1 ? 1 : (size_t)want;
}

long engine_link_timeout_ms(const sync_engine_t *e, size_t bytes_ahead)
{
  int known = e->link.bps > 0;
  double bps = known ? e->link.bps : FLOOR_BPS;
  /* Beyond what the link needs, the patience the low-speed limit gives other requests. */
  double ms = (known ? TIMEOUT_MARGIN : 1.0) * (double)bytes_ahead * 1000.0 / bps +
              4.0 * (double)e->link.rtt_ms + 1000.0 * (double)e->cfg.low_speed_time_s;
  return (long)(ms > TIMEOUT_MAX_MS ? TIMEOUT_MAX_MS : ms);
}

void engine_link_landed(sync_engine_t *e, int64_t t0, int64_t t1, int64_t setup_ms, int alone,
                        size_t bytes)
{
  engine_link_t *l = &e->link;
  double ms = (double)(t1 - (t0 > l->last_land_ms ? t0 : l->last_land_ms));
  if (alone)
    ms -= (double)(l->rtt_ms + setup_ms);
  if (ms < 1)
    ms = 1;
  l->last_land_ms = t1;
  l->acc_bytes += (double)bytes;
  l->acc_ms += ms;
  if (l->acc_ms > LINK_WINDOW_MS) {
    l->acc_bytes *= LINK_WINDOW_MS / l->acc_ms;
    l->acc_ms = LINK_WINDOW_MS;
  }
  l->bps = l->acc_bytes * 1000.0 / l->acc_ms;
  e->run.progress.upload_bytes_per_s = (int64_t)l->bps;
  if (l->cut_cap) {
    /* Grow, but stay below the batch that was cut, whose size is forgotten slowly. */
    double cap = (double)l->cut_cap * CUT_GROWTH, ceiling = (double)l->cut_ceiling * CEILING_RELAX;
    if (cap > ceiling * CEILING_SHARE)
      cap = ceiling * CEILING_SHARE;
    if (cap < (double)l->cut_cap)
      cap = (double)l->cut_cap;
    int gone = ceiling * CEILING_SHARE >= (double)e->cfg.batch_max_bytes;
    l->cut_ceiling = gone ? 0 : (size_t)ceiling;
    l->cut_cap = gone ? 0 : (size_t)cap;
  }
}

void engine_link_lost(sync_engine_t *e, int64_t t1, size_t bytes, int cut, int timed_out)
{
  engine_link_t *l = &e->link;
  l->last_land_ms = t1;
  if (cut) {
    size_t cap = bytes / 2 ? bytes / 2 : 1;
    if (!l->cut_cap || cap < l->cut_cap)
      l->cut_cap = cap;
    if (!l->cut_ceiling || bytes < l->cut_ceiling)
      l->cut_ceiling = bytes ? bytes : 1;
  }
  /* The link carried less than it was expected to: believe half the rate until answers say more. */
  if (timed_out && l->bps > 0) {
    l->acc_bytes /= 2;
    l->bps /= 2;
    e->run.progress.upload_bytes_per_s = (int64_t)l->bps;
  }
}
