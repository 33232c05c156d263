/* Central staff logins for the dashboard: passwords hashed with libsodium's crypto_pwhash_str
 * (Argon2id, "interactive" limits: 64 MiB, 2 passes), session tokens of 32 random bytes of which
 * only the SHA-256 is stored, and the login rate limit. Separate from device credentials: a
 * device secret never opens the dashboard and a staff password never authenticates a device.
 */
#ifndef SRV_STAFF_H
#define SRV_STAFF_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define STAFF_PASSWORD_MIN 10
#define STAFF_PASSWORD_MAX 1024
#define STAFF_TOKEN_TEXT 44                /* 32 bytes, base64url without padding (43) + NUL */
#define STAFF_LOGIN_WINDOW_MS (15LL * 60 * 1000)
#define STAFF_MAX_FAILS_PER_NAME 5         /* in the window, then 429 for that name */
#define STAFF_MAX_FAILS_PER_PEER 20        /* in the window, then 429 for that address */

/* ^[a-z0-9][a-z0-9._-]{0,63}$, e.g. "siti.rahma". */
int staff_name_ok(const char *name);
/* 0 on success; -1 if the password is too short/long or hashing ran out of memory. */
int staff_hash_password(const char *password, size_t len, char out[DB_PWHASH_MAX]);
/* 1 if the password matches the stored hash. A NULL hash burns the same time (unknown user). */
int staff_verify_password(const char *pwhash, const char *password, size_t len);

/* A fresh session token (text for the cookie) and its SHA-256 (for the database). */
int staff_new_token(char token[STAFF_TOKEN_TEXT], unsigned char sha256[32]);
/* SHA-256 of a token text from a cookie; -1 when the text cannot be a token. */
int staff_token_hash(const char *token, unsigned char sha256[32]);

#endif
