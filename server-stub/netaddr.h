/* Client addresses grouped by network: the unit that connection caps and failure limits count
 * (proto/SECURITY.md). One attacker rarely has one address, but usually has one network: a /24
 * of IPv4 or a /64 of IPv6 (the smallest block an ISP gives one customer). An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) counts as the IPv4 address it is.
 * Threads: pure functions, callable from any thread.
 */
#ifndef SRV_NETADDR_H
#define SRV_NETADDR_H

#include <stddef.h>

/* Enough for "ffff:ffff:ffff:ffff::/64" and "255.255.255.0/24" with their NUL. */
#define NETADDR_PREFIX_MAX 32

/* Writes the network of the address text `addr` ("203.0.113.7", "2001:db8::1",
 * "::ffff:203.0.113.7") as "203.0.113.0/24" or "2001:db8:0:0::/64". Returns 0, or -1 when
 * `addr` is not an address (out is then `addr` itself, cut to fit, so callers still count it). */
int netaddr_prefix(const char *addr, char out[NETADDR_PREFIX_MAX]);

#endif
