/* Internal: hybrid logical clock (proto/FORMS.md, "Record timestamps (HLC)").
 *
 * A timestamp is a physical part (ms since the Unix epoch) and a counter. The physical part of a
 * clock never goes backwards, even when the wall clock does; the counter orders events within one
 * millisecond. Text form: "%015lld-%05u-<node id>", which sorts in time order.
 *
 * These functions are pure: the caller passes the wall clock and owns the state (the store keeps it
 * in its meta table, see store_hlc_stamp() in store_util.c). Ownership: nothing here allocates. Threads: a state is
 * plain data; guard it as you guard its owner.
 */
#ifndef SYNC_HLC_H
#define SYNC_HLC_H

#include <stddef.h>
#include <stdint.h>

#define HLC_PT_MAX 999999999999999LL   /* 15 digits: the text format's limit */
#define HLC_COUNTER_MAX 99999u         /* 5 digits */
#define HLC_NODE_MAX 64                /* longest node (device) id in the text form */
#define HLC_STATE_LEN 21               /* "ppppppppppppppp-ccccc" */
#define HLC_TEXT_MAX (HLC_STATE_LEN + 1 + HLC_NODE_MAX + 1)

typedef struct hlc {
  int64_t pt;        /* physical part, ms since the epoch, 0..HLC_PT_MAX */
  uint32_t counter;  /* 0..HLC_COUNTER_MAX */
} hlc_t;

/* Orders two timestamps: <0, 0, >0. */
int hlc_compare(hlc_t a, hlc_t b);

/* A local event (a write): advances *state past both itself and `wall_ms` and returns the new
 * timestamp. When the counter would overflow, the physical part moves on by one millisecond. */
hlc_t hlc_tick(hlc_t *state, int64_t wall_ms);

/* A remote timestamp arrives (sync): advances *state past the remote one, the local one and the
 * wall clock, and stores the resulting timestamp in *out. Returns -1 (state unchanged) when the
 * remote clock is more than `max_drift_ms` ahead of `wall_ms` (a broken clock must not drag ours
 * into the future) or out of range; max_drift_ms <= 0 disables the check. */
int hlc_receive(hlc_t *state, hlc_t remote, int64_t wall_ms, int64_t max_drift_ms, hlc_t *out);

/* "ppppppppppppppp-ccccc" (HLC_STATE_LEN chars + NUL) into buf; -1 if it does not fit. */
int hlc_format_state(hlc_t ts, char *buf, size_t len);
/* Full text "ppppppppppppppp-ccccc-<node>"; -1 if it does not fit or node is too long. */
int hlc_format(hlc_t ts, const char *node, char *buf, size_t len);
/* Parses the state or full text form. *node (may be NULL) points at the node id inside `text`
 * ("" for the state form). Returns 0, or -1 for malformed text. */
int hlc_parse(const char *text, hlc_t *ts, const char **node);

#endif
