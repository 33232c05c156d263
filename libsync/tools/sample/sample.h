/* syncsample: deterministic, realistic answer sets ("payloads") for the reference TPPO screening
 * form (proto/forms/tppo_screening.v1.json), for demos, tests and benchmarks.
 *
 * Every payload is valid under form_validate(..., VALIDATE_FINAL, ...) with the reference form and
 * any today() on or after the anchor date 2026-11-01: interview dates fall in the two years up to
 * that anchor, so the same seed gives the same bytes on every day and every platform. Calculated
 * fields are never written (the library computes them). The case mix is about 35% strong
 * indication, 35% needs further assessment, 20% no indication and 10% consent refused (context
 * only); about 20% of the people screened are children.
 *
 * Ownership: sample_gen_new() returns a generator the caller frees with sample_gen_free()
 * (NULL is a no-op). sample_gen_next() returns a malloc'd, NUL-terminated JSON object the caller
 * frees with free(). Threads: a generator is not thread-safe; use one per thread.
 */
#ifndef SYNC_SAMPLE_H
#define SYNC_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sample_gen sample_gen_t;

/* The anchor date of generated interview dates ("YYYY-MM-DD"); no generated date is later than
 * this except follow-up dates, which may be up to 60 days after the interview. */
#define SAMPLE_ANCHOR_DATE "2026-11-01"

/* form_json: the form definition. It is parsed and checked: the generator supports form
 * "tppo_screening" version 1 and refuses a definition that lacks a field or choice it writes.
 * On failure returns NULL and writes a message into err (errlen bytes, may be 0). */
sample_gen_t *sample_gen_new(const char *form_json, size_t len, uint64_t seed, char *err,
                             size_t errlen);

/* The next payload: a malloc'd JSON object text the caller frees, or NULL when out of memory.
 * The same seed gives the same sequence. */
char *sample_gen_next(sample_gen_t *g);

void sample_gen_free(sample_gen_t *g);

#endif
