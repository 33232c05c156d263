/* Internal: random (version 4) UUIDs, lower-case text "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
 *
 * Ownership: the caller provides the buffer (UUID_TEXT_LEN + 1 bytes). Threads: safe; the random
 * bytes come from libsodium, initialised on first use (sodium_init is idempotent and thread-safe).
 */
#ifndef SYNC_UUID_H
#define SYNC_UUID_H

#define UUID_TEXT_LEN 36

/* Writes a new UUID and its NUL. Returns 0, or -1 if libsodium cannot be initialised. */
int uuid_v4(char out[UUID_TEXT_LEN + 1]);

/* 1 if `s` has the shape of a UUID (36 chars, hex digits of either case and dashes), else 0. */
int uuid_is_valid(const char *s);

#endif
