/* Version 4 UUIDs from libsodium's CSPRNG (uuid.h). */
#include "uuid.h"

#include <sodium.h>
#include <string.h>

int uuid_v4(char out[UUID_TEXT_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  unsigned char b[16];
  if (sodium_init() < 0)
    return -1;
  randombytes_buf(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  char *p = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      *p++ = '-';
    *p++ = hex[b[i] >> 4];
    *p++ = hex[b[i] & 0x0f];
  }
  *p = '\0';
  return 0;
}

int uuid_is_valid(const char *s)
{
  if (strnlen(s, UUID_TEXT_LEN + 1) != UUID_TEXT_LEN)
    return 0;
  for (int i = 0; i < UUID_TEXT_LEN; i++) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-')
        return 0;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return 0;
    }
  }
  return 1;
}
