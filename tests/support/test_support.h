/* Shared helpers for the test programs: temporary directories, reading repo files. Include after
 * the cmocka prerequisites. Every returned string belongs to the caller (free()). */
#ifndef SYNC_TEST_SUPPORT_H
#define SYNC_TEST_SUPPORT_H

/* A well-formed (64-byte, canonical base64) Ed25519 signature that signs nothing of ours. */
#define TS_SIG88 "zmHIOmo9kA4yYOWaj2tqymJ8uiz7jQko/pLFnFr4YuA5Z6oswU8HHcarcHNBx00ZK+s8tB98BAh4cNGYRWLfBg=="

#include <stddef.h>

/* A fresh empty directory under $TMPDIR (or /tmp); removed with ts_rmtree(). */
char *ts_tempdir(void);
/* Removes a directory tree (best effort). */
void ts_rmtree(const char *path);
/* path joined: "<dir>/<name>". */
char *ts_path(const char *dir, const char *name);
/* Whole file contents, NUL-terminated; *len (may be NULL) gets the size. NULL if unreadable. */
char *ts_read_file(const char *path, size_t *len);
/* 1 when the `len` bytes at `data` (may be NULL) hold the `n` bytes of `needle` somewhere. */
int ts_bytes_hold(const void *data, size_t len, const void *needle, size_t n);
/* 1 when the file holds the `n` bytes of `needle` (0 when it cannot be read). */
int ts_file_holds(const char *path, const void *needle, size_t n);
/* A file of the source tree, e.g. ts_source_file("proto/forms/tppo_screening.v1.json"). */
char *ts_source_file(const char *relpath, size_t *len);
/* A golden test vector, proto/golden/<name>; a missing one ends the test program (the repo is
 * incomplete). */
char *ts_golden(const char *name, size_t *len);
/* tests/support/make-test-ca.sh in `dir`: ca.pem, srv.pem, srv.key for 127.0.0.1; *pin (may be
 * NULL) gets the server key's "sha256//..." pin. -1 when certtool is missing or fails. */
int ts_make_test_ca(const char *dir, char **pin);

#endif
