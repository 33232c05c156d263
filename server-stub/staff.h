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
/* The login limit (SECURITY.md 2.4): failures slow the next attempt, they never lock a name.
 * Counted over STAFF_LOGIN_WINDOW_MS; a network is netaddr_prefix's (/24, /64). Each rule adds a
 * delay of STAFF_DELAY_FIRST_MS after its free failures, doubling per further failure up to
 * STAFF_DELAY_MAX_MS, counted from the last failure it counts:
 * - this name from this network (since its last success there): 3 free failures;
 * - every name from this network: 20 free failures (one network trying many names);
 * - this name from every network: 30 free failures; then a network that has failed for the
 *   name and never signed in with it from there must wait after each of its own failures.
 *   A network with no failure for the name, or where the name has signed in before, is not
 *   slowed by what other networks did: nobody elsewhere can keep a user out.
 * The same rules and answers apply to names that do not exist. */
#define STAFF_LOGIN_WINDOW_MS (60LL * 60 * 1000)
#define STAFF_PAIR_FREE_FAILS 3
#define STAFF_NETWORK_FREE_FAILS 20
#define STAFF_NAME_FREE_FAILS 30
#define STAFF_DELAY_FIRST_MS 5000LL
#define STAFF_DELAY_MAX_MS (5LL * 60 * 1000)

/* ^[a-z0-9][a-z0-9._-]{0,63}$, e.g. "siti.rahma". */
int staff_name_ok(const char *name);
/* 0 on success; -1 if the password is too short/long or hashing ran out of memory. */
int staff_hash_password(const char *password, size_t len, char out[DB_PWHASH_MAX]);
/* 1 if the password matches the stored hash. A NULL hash burns the same time (unknown user). */
int staff_verify_password(const char *pwhash, const char *password, size_t len);

/* db_login_gate_fn: 0 when an attempt with failures `f` may go on at `now`, else the seconds to
 * wait (>= 1). */
int staff_login_wait(const db_login_failures_t *f, int64_t now);

/* A fresh session token (text for the cookie) and its SHA-256 (for the database). */
int staff_new_token(char token[STAFF_TOKEN_TEXT], unsigned char sha256[32]);
/* SHA-256 of a token text from a cookie; -1 when the text cannot be a token. */
int staff_token_hash(const char *token, unsigned char sha256[32]);

#endif
