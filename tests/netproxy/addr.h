/* Address parsing for netproxy: "127.0.0.1:8080", "[::1]:0", "localhost:8080". Only loopback
 * addresses (127.0.0.0/8 and ::1) are accepted, so the proxy can never send traffic off the
 * machine. Numeric addresses only (no DNS); "localhost" means 127.0.0.1. */
#ifndef NETPROXY_ADDR_H
#define NETPROXY_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct np_addr {
  struct sockaddr_storage ss;
  socklen_t len;
} np_addr_t;

typedef enum np_addr_status {
  NP_ADDR_OK = 0,
  NP_ADDR_SYNTAX,       /* not host:port */
  NP_ADDR_NOT_LOOPBACK, /* a well-formed address that is not 127.0.0.0/8 or ::1 */
} np_addr_status_t;

/* Parses text into *out. On failure writes a one-line reason into err. */
np_addr_status_t np_addr_parse(const char *text, np_addr_t *out, char *err, size_t errlen);
/* 1 when the address is 127.0.0.0/8 or ::1. */
int np_addr_is_loopback(const np_addr_t *a);
/* "127.0.0.1:8080" / "[::1]:8080". */
void np_addr_format(const np_addr_t *a, char *buf, size_t len);
int np_addr_port(const np_addr_t *a);

#endif
