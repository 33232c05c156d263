/* The compression dictionary `syncserver form publish --seal-to` puts in a sealed form's
 * `encryption` block (proto/FORMS.md "Encryption", SECURITY.md 4): trained on synthetic answers
 * of the form (the sample generator, fixed seed, so the same definition always publishes the same
 * dictionary), never on real records.
 * Threads: the admin command's one thread; nothing is shared. */
#ifndef SRV_ADMIN_DICT_H
#define SRV_ADMIN_DICT_H

#include <stddef.h>

struct cJSON;

#define ADMIN_DICT_BYTES   (32u * 1024u)  /* bench_seal measures 16/32/64 KiB */
#define ADMIN_DICT_SAMPLES 2000u
#define ADMIN_DICT_SEED    0x5ea1d1c7u

/* Adds "dictionary" and "dictionary_id" to `enc` for the definition `doc`. A form the sample
 * generator does not know gets none (a note on stderr; its answers are compressed without one).
 * 0, or -1 after a message on stderr. */
int admin_form_dictionary(const struct cJSON *doc, struct cJSON *enc);

#endif
