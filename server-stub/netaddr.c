/* Client address → the network it belongs to (netaddr.h). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const unsigned char V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void v4_prefix(const unsigned char *a, char out[NETADDR_PREFIX_MAX])
{
  snprintf(out, NETADDR_PREFIX_MAX, "%u.%u.%u.0/24", a[0], a[1], a[2]);
}

int netaddr_prefix(const char *addr, char out[NETADDR_PREFIX_MAX])
{
  unsigned char a[16];
  if (inet_pton(AF_INET, addr, a) == 1) {
    v4_prefix(a, out);
    return 0;
  }
  if (inet_pton(AF_INET6, addr, a) == 1) {
    if (memcmp(a, V4_MAPPED, sizeof V4_MAPPED) == 0)
      v4_prefix(a + 12, out);
    else
      snprintf(out, NETADDR_PREFIX_MAX, "%x:%x:%x:%x::/64", (unsigned)(a[0] << 8 | a[1]),
               (unsigned)(a[2] << 8 | a[3]), (unsigned)(a[4] << 8 | a[5]),
               (unsigned)(a[6] << 8 | a[7]));
    return 0;
  }
  snprintf(out, NETADDR_PREFIX_MAX, "%s", addr);
  return -1;
}
