/* Reference-form helpers for the central-staff tests (exports, review, dashboard): a server with
 * the reference form tppo_screening v1 (and v2), realistic canonical payloads from the sample
 * generator, and pushes over HTTP exactly as a device sends them (codec push writer, LZ4). Include
 * after server_fixture.h. Every returned string belongs to the caller. */
#ifndef TPPO_FIXTURE_H
#define TPPO_FIXTURE_H

#include <stddef.h>

#include "form_def.h"
#include "server_fixture.h"

#define TPPO_V1 "proto/forms/tppo_screening.v1.json"
#define TPPO_V2 "proto/forms/tppo_screening.v2.json"

/* A fresh directory and database with the reference form v1 published (not the server tests'
 * own form). 0 on success. */
int tppo_prepare(server_t *s);
/* Publishes a form file of the source tree; 0 on success. */
int tppo_publish(const server_t *s, const char *relpath);

typedef struct tppo_gen tppo_gen_t;
/* A payload generator: the sample generator's answers made canonical by form_validate (final
 * rules, today = 2026-11-01) with the given version of the reference form. Version 2 payloads
 * also answer recruitment_platform (when consent was given). */
tppo_gen_t *tppo_gen_new(unsigned long long seed, int version);
void tppo_gen_free(tppo_gen_t *g);
/* The next canonical payload; `edit` (may be NULL) changes the answers before validation. NULL
 * if the edited answers do not validate. */
typedef void (*tppo_edit_fn)(void *ctx, cJSON *answers, size_t index);
char *tppo_gen_next(tppo_gen_t *g, tppo_edit_fn edit, void *ctx);

/* Pushes n payloads of form version `version` as new records of `dev` (batches of up to 200,
 * LZ4). uuids (may be NULL) gets each record's uuid. 0 when every change was stored. */
int tppo_push(const server_t *s, const device_t *dev, int version, char **payloads, size_t n,
              char (*uuids)[40]);
/* tppo_push for an encrypted form (as published): each change carries the clear part of the
 * answers, the full answers sealed to the form's key and the duplicate-detection hash, as a
 * device's finalize makes them. */
int tppo_push_sealed(const server_t *s, const device_t *dev, const form_t *form, char **payloads,
                     size_t n, char (*uuids)[40]);
/* A raw pull page for dev after `cursor` (NULL: from the start), decoded; NULL on failure. */
struct proto_pull_resp;
struct proto_pull_resp *tppo_pull(const server_t *s, const device_t *dev, const char *cursor);

/* The label of choice `name` of field `field` in a form file of the source tree (test oracle,
 * read with cJSON independently of the server's code). "" if unknown. Static buffer. */
const char *tppo_choice_label(const char *relpath, const char *field, const char *name,
                              const char *lang);

#endif
