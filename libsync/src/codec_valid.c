/* Text patterns of the protocol (common.schema.json) and the Device authorization header. Every
 * pattern is lower case where the schema says so, and every check stops at the first bad byte. */
#include "codec_internal.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_lower(char c) { return c >= 'a' && c <= 'z'; }
static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static int is_alnum(char c) { return is_digit(c) || is_lower(c) || is_upper(c); }

/* s starts with a lower-case 8-4-4-4-12 uuid (no NUL check after it). */
static int uuid_at(const char *s)
{
  for (int i = 0; i < PROTO_UUID_LEN; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i]))
      return 0;
  }
  return 1;
}

int proto_uuid_valid(const char *s)
{
  return s && strnlen(s, PROTO_UUID_LEN + 1) == PROTO_UUID_LEN && uuid_at(s);
}

int proto_hlc_valid(const char *s)
{
  if (!s || strnlen(s, PROTO_HLC_LEN + 1) != PROTO_HLC_LEN)
    return 0;
  for (int i = 0; i < 21; i++)
    if (i == 15 ? s[i] != '-' : !is_digit(s[i]))
      return 0;
  return s[21] == '-' && uuid_at(s + 22);
}

int proto_cursor_valid(const char *s)
{
  if (!s || !*s)
    return 0;
  size_t i = 0;
  for (; s[i]; i++)
    if (i >= PROTO_CURSOR_MAX ||
        !(is_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == ':' || s[i] == '-'))
      return 0;
  return 1;
}

int proto_sha256_valid(const char *s)
{
  if (!s || strnlen(s, PROTO_SHA256_LEN + 1) != PROTO_SHA256_LEN)
    return 0;
  for (int i = 0; i < PROTO_SHA256_LEN; i++)
    if (!is_hex(s[i]))
      return 0;
  return 1;
}

/* ^[a-z][a-z0-9_]{0,max-1}$ */
static int snake_valid(const char *s, size_t max)
{
  if (!s || !is_lower(s[0]))
    return 0;
  size_t i = 1;
  for (; s[i]; i++)
    if (i >= max || !(is_lower(s[i]) || is_digit(s[i]) || s[i] == '_'))
      return 0;
  return 1;
}

int codec_form_id_valid(const char *s) { return snake_valid(s, PROTO_FORM_ID_MAX); }
int codec_code_valid(const char *s) { return snake_valid(s, PROTO_CODE_MAX); }

int codec_conflict_field_valid(const char *s)
{
  return s && (strcmp(s, "$deleted") == 0 || snake_valid(s, PROTO_FIELD_MAX));
}

int codec_server_version_valid(const char *s)
{
  if (!s || strnlen(s, PROTO_VERSION_TEXT_MAX + 1) > PROTO_VERSION_TEXT_MAX)
    return 0;
  size_t i = 0;
  for (int part = 0; part < 3; part++) {
    if (part > 0 && s[i++] != '.')
      return 0;
    if (!is_digit(s[i]))
      return 0;
    while (is_digit(s[i]))
      i++;
  }
  if (s[i] == '\0')
    return 1;
  if (s[i] != '-' && s[i] != '+')
    return 0;
  if (!s[++i])
    return 0;
  for (; s[i]; i++)
    if (!(is_alnum(s[i]) || s[i] == '.' || s[i] == '-'))
      return 0;
  return 1;
}

int codec_label_key_valid(const char *s)
{
  size_t i = 0;
  if (!s)
    return 0;
  while (is_lower(s[i]))
    i++;
  if (i < 2 || i > 3)
    return 0;
  if (s[i] == '\0')
    return 1;
  if (s[i++] != '-')
    return 0;
  size_t start = i;
  while (is_alnum(s[i]))
    i++;
  return s[i] == '\0' && i - start >= 2 && i - start <= 8;
}

/* 43 characters of base64url without padding. */
int codec_secret_valid(const char *s)
{
  if (!s || strnlen(s, PROTO_SECRET_LEN + 1) != PROTO_SECRET_LEN)
    return 0;
  for (int i = 0; i < PROTO_SECRET_LEN; i++)
    if (!(is_alnum(s[i]) || s[i] == '-' || s[i] == '_'))
      return 0;
  return 1;
}

static int b64_value(char c)
{
  if (is_upper(c))
    return c - 'A';
  if (is_lower(c))
    return c - 'a' + 26;
  if (is_digit(c))
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

long codec_base64_bytes(const char *s, size_t max_chars)
{
  size_t n = s ? strnlen(s, max_chars + 1) : 0;
  if (n < 4 || n > max_chars || n % 4 != 0)
    return -1;
  size_t pad = s[n - 1] != '=' ? 0 : s[n - 2] != '=' ? 1 : 2;
  for (size_t i = 0; i < n - pad; i++)
    if (b64_value(s[i]) < 0)
      return -1;
  /* Canonical: the bits of the last character that pad does not use must be zero (libsodium's
   * decoder refuses the other spellings, so an encoder must never produce them). */
  int last = b64_value(s[n - pad - 1]);
  if ((pad == 1 && (last & 0x3)) || (pad == 2 && (last & 0xf)))
    return -1;
  return (long)(n / 4 * 3 - pad);
}

int codec_sealed_valid(const char *s)
{
  return codec_base64_bytes(s, PROTO_MAX_SEALED) > 0;
}

int codec_key_valid(const char *s)
{
  return codec_base64_bytes(s, PROTO_KEY_B64_LEN) == 32;
}

int codec_signature_valid(const char *s)
{
  return codec_base64_bytes(s, PROTO_SIG_B64_LEN) == 64;
}

sync_err_t proto_auth_format(const char *device_id, const char *secret, char *buf, size_t len)
{
  if (!buf || !proto_uuid_valid(device_id) || !codec_secret_valid(secret))
    return SYNC_ERR_INVALID_ARG;
  int n = snprintf(buf, len, "%s %s:%s", PROTO_AUTH_SCHEME, device_id, secret);
  if (n < 0 || (size_t)n >= len) {
    if (len > 0)
      buf[0] = '\0';
    return SYNC_ERR_TOO_LARGE;
  }
  return SYNC_OK;
}

sync_err_t proto_auth_parse(const char *value, char device_id[PROTO_UUID_LEN + 1],
                            char secret[PROTO_SECRET_LEN + 1])
{
  static const char scheme[] = PROTO_AUTH_SCHEME;
  const size_t slen = sizeof scheme - 1;
  if (device_id)
    device_id[0] = '\0';
  if (secret)
    secret[0] = '\0';
  if (!value || !device_id || !secret)
    return value ? SYNC_ERR_INVALID_ARG : SYNC_ERR_AUTH;
  for (size_t i = 0; i < slen; i++) {
    char c = value[i];
    if (is_upper(c))
      c = (char)(c - 'A' + 'a');
    char want = is_upper(scheme[i]) ? (char)(scheme[i] - 'A' + 'a') : scheme[i];
    if (c != want)
      return SYNC_ERR_AUTH;
  }
  const char *p = value + slen;
  if (p[0] != ' ' || strnlen(p + 1, PROTO_UUID_LEN + 1 + PROTO_SECRET_LEN + 1) !=
                         PROTO_UUID_LEN + 1 + PROTO_SECRET_LEN)
    return SYNC_ERR_AUTH;
  p++;
  if (!uuid_at(p) || p[PROTO_UUID_LEN] != ':' || !codec_secret_valid(p + PROTO_UUID_LEN + 1))
    return SYNC_ERR_AUTH;
  memcpy(device_id, p, PROTO_UUID_LEN);
  device_id[PROTO_UUID_LEN] = '\0';
  memcpy(secret, p + PROTO_UUID_LEN + 1, PROTO_SECRET_LEN + 1);
  return SYNC_OK;
}
