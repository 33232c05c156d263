/* Training a form's compression dictionary (seal_v2.h, proto/SECURITY.md 4) from sample answers.
 * Central tools only (syncserver form publish, bench_seal): devices receive the result inside the
 * form definition. The samples must be synthetic (the form is public, and so is the dictionary). */
#include "seal_v2.h"

#include <stdlib.h>
#include <string.h>
#include <zdict.h>

sync_err_t seal_dict_train(const char *const *samples, const size_t *lens, size_t n,
                           size_t dict_size, unsigned char **out, size_t *out_len)
{
  *out = NULL;
  *out_len = 0;
  if (!n || n > UINT32_MAX || dict_size < 1024 || dict_size > SEAL_DICT_MAX)
    return SYNC_ERR_INVALID_ARG;
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += lens[i];
  char *all = malloc(total ? total : 1);
  unsigned char *dict = malloc(dict_size);
  size_t *sizes = malloc(n * sizeof *sizes);
  sync_err_t rc = SYNC_ERR_NOMEM;
  if (!all || !dict || !sizes)
    goto done;
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    memcpy(all + at, samples[i], lens[i]);
    sizes[i] = lens[i];
    at += lens[i];
  }
  size_t got = ZDICT_trainFromBuffer(dict, dict_size, all, sizes, (unsigned)n);
  rc = SYNC_ERR_INVALID_ARG;   /* too few or too small samples for a dictionary */
  if (ZDICT_isError(got) || ZDICT_getDictID(dict, got) == 0)
    goto done;
  *out = dict;
  *out_len = got;
  dict = NULL;
  rc = SYNC_OK;
done:
  free(all);
  free(dict);
  free(sizes);
  return rc;
}
