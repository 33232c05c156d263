/* Hybrid logical clock (hlc.h). */
#include "hlc.h"

#include <stdio.h>
#include <string.h>

static int64_t clamp_pt(int64_t ms)
{
  if (ms < 0)
    return 0;
  return ms > HLC_PT_MAX ? HLC_PT_MAX : ms;
}

int hlc_compare(hlc_t a, hlc_t b)
{
  if (a.pt != b.pt)
    return a.pt < b.pt ? -1 : 1;
  if (a.counter != b.counter)
    return a.counter < b.counter ? -1 : 1;
  return 0;
}

/* Moves `ts` one step forward: counter + 1, or the next millisecond when the counter is full. */
static hlc_t step(hlc_t ts)
{
  if (ts.counter < HLC_COUNTER_MAX) {
    ts.counter++;
  } else if (ts.pt < HLC_PT_MAX) {
    ts.pt++;
    ts.counter = 0;
  }
  /* else: the clock is at the end of the text format (year 33658); it stays there. */
  return ts;
}

hlc_t hlc_tick(hlc_t *state, int64_t wall_ms)
{
  int64_t wall = clamp_pt(wall_ms);
  hlc_t next;
  if (wall > state->pt) {
    next.pt = wall;
    next.counter = 0;
  } else {
    next = step(*state);
  }
  *state = next;
  return next;
}

int hlc_receive(hlc_t *state, hlc_t remote, int64_t wall_ms, int64_t max_drift_ms, hlc_t *out)
{
  int64_t wall = clamp_pt(wall_ms);
  if (remote.pt < 0 || remote.pt > HLC_PT_MAX || remote.counter > HLC_COUNTER_MAX)
    return -1;
  if (max_drift_ms > 0 && remote.pt > wall && remote.pt - wall > max_drift_ms)
    return -1;

  hlc_t next;
  if (wall > state->pt && wall > remote.pt) {
    next.pt = wall;
    next.counter = 0;
  } else {
    /* The larger of the two logical clocks, one step on. */
    next = step(hlc_compare(*state, remote) >= 0 ? *state : remote);
  }
  *state = next;
  if (out)
    *out = next;
  return 0;
}

int hlc_format_state(hlc_t ts, char *buf, size_t len)
{
  if (ts.pt < 0 || ts.pt > HLC_PT_MAX || ts.counter > HLC_COUNTER_MAX)
    return -1;
  int n = snprintf(buf, len, "%015lld-%05u", (long long)ts.pt, (unsigned)ts.counter);
  return n == HLC_STATE_LEN && (size_t)n < len ? 0 : -1;
}

int hlc_format(hlc_t ts, const char *node, char *buf, size_t len)
{
  size_t nlen = strlen(node);
  if (nlen > HLC_NODE_MAX || len < HLC_STATE_LEN + 1 + nlen + 1)
    return -1;
  if (hlc_format_state(ts, buf, len) != 0)
    return -1;
  buf[HLC_STATE_LEN] = '-';
  memcpy(buf + HLC_STATE_LEN + 1, node, nlen + 1);
  return 0;
}

static int parse_digits(const char *s, size_t n, int64_t *out)
{
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

int hlc_parse(const char *text, hlc_t *ts, const char **node)
{
  size_t len = strnlen(text, HLC_TEXT_MAX + 1);
  int64_t pt, counter;
  if (len < HLC_STATE_LEN || text[15] != '-' || parse_digits(text, 15, &pt) != 0 ||
      parse_digits(text + 16, 5, &counter) != 0)
    return -1;
  if (len > HLC_STATE_LEN) {
    if (text[HLC_STATE_LEN] != '-' || len > HLC_TEXT_MAX - 1)
      return -1;
  }
  ts->pt = pt;
  ts->counter = (uint32_t)counter;
  if (node)
    *node = len > HLC_STATE_LEN ? text + HLC_STATE_LEN + 1 : text + len;
  return 0;
}
