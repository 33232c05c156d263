/* Loopback-only address parsing (addr.h). */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, int *port)
{
  if (!*s || strlen(s) > 5)
    return -1;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9')
      return -1;
  long v = strtol(s, NULL, 10);
  if (v > 65535)
    return -1;
  *port = (int)v;
  return 0;
}

np_addr_status_t np_addr_parse(const char *text, np_addr_t *out, char *err, size_t errlen)
{
  char host[64];
  const char *port_text;
  int port;

  memset(out, 0, sizeof *out);
  if (!text)
    text = "";
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof host)
      goto syntax;
    memcpy(host, text + 1, (size_t)(end - text - 1));
    host[end - text - 1] = '\0';
    port_text = end + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host || memchr(text, ':', (size_t)(colon - text)))
      goto syntax;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    port_text = colon + 1;
  }
  if (parse_port(port_text, &port) != 0)
    goto syntax;
  if (strcmp(host, "localhost") == 0)
    strcpy(host, "127.0.0.1");

  struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    out->len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    out->len = sizeof *v6;
  } else {
    snprintf(err, errlen, "'%s': not a numeric IPv4/IPv6 address (no DNS; use 127.0.0.1 or [::1])",
             text);
    return NP_ADDR_SYNTAX;
  }
  if (!np_addr_is_loopback(out)) {
    snprintf(err, errlen, "'%s' is not a loopback address: only 127.0.0.0/8 and ::1 are allowed",
             text);
    return NP_ADDR_NOT_LOOPBACK;
  }
  return NP_ADDR_OK;

syntax:
  snprintf(err, errlen, "'%s': expected HOST:PORT or [V6]:PORT with a port in 0..65535", text);
  return NP_ADDR_SYNTAX;
}

int np_addr_is_loopback(const np_addr_t *a)
{
  if (a->ss.ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  if (a->ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;
    return IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  }
  return 0;
}

void np_addr_format(const np_addr_t *a, char *buf, size_t len)
{
  char host[INET6_ADDRSTRLEN] = "?";
  if (a->ss.ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    snprintf(buf, len, "%s:%d", host, np_addr_port(a));
  } else {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    snprintf(buf, len, "[%s]:%d", host, np_addr_port(a));
  }
}

int np_addr_port(const np_addr_t *a)
{
  if (a->ss.ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
  if (a->ss.ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
  return -1;
}
