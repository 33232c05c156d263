/* syncctl sample: deterministic, realistic answers of a stored form, printed as JSON lines or
 * saved as final records (--save, in batched transactions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sample.h"

static int save_samples(cli_t *cli, sample_gen_t *gen, const char *form, long count)
{
  long saved = 0;
  sync_err_t err = sync_store_begin(cli->store);
  for (long i = 0; i < count && err == SYNC_OK; i++) {
    char *payload = sample_gen_next(gen);
    if (!payload) {
      err = SYNC_ERR_NOMEM;
      break;
    }
    err = sync_record_create(cli->store, form, 0, payload, SYNC_STATUS_FINAL, NULL);
    free(payload);
    if (err == SYNC_OK && ++saved % 500 == 0) {
      err = sync_store_commit(cli->store);
      if (err == SYNC_OK)
        err = sync_store_begin(cli->store);
    }
  }
  if (err != SYNC_OK) {
    sync_store_rollback(cli->store);
    return cli_fail(cli, err, "sample --save");
  }
  if ((err = sync_store_commit(cli->store)) != SYNC_OK)
    return cli_fail(cli, err, "sample --save");
  if (cli->json)
    printf("{\"ok\":true,\"saved\":%ld}\n", saved);
  else
    printf("saved %ld sample record(s) of form %s\n", saved, form);
  return EXIT_OK;
}

int cmd_sample(cli_t *cli, int argc, char **argv)
{
  const char *form = NULL, *count_opt = "10", *seed_opt = "1", *pos[1];
  int save = 0;
  cli_opt_t opts[] = {{"form", &form, NULL}, {"count", &count_opt, NULL}, {"seed", &seed_opt, NULL},
                      {"save", NULL, &save}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0 || !form)
    return cli_usage_error("usage: sample --form ID [--count N] [--seed S] [--save]");
  long count = strtol(count_opt, NULL, 10);
  if (count < 0)
    return cli_usage_error("--count takes a number >= 0");
  uint64_t seed = strtoull(seed_opt, NULL, 10);
  int rc = cli_open_store(cli, 0);
  if (rc != EXIT_OK)
    return rc;
  char *def;
  sync_err_t err = sync_form_get_json(cli->store, form, 0, &def);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "sample");
  char why[256] = "";
  sample_gen_t *gen = sample_gen_new(def, strlen(def), seed, why, sizeof why);
  sync_free(def);
  if (!gen) {
    fprintf(stderr, "syncctl: sample: %s\n", why);
    return EXIT_FAIL;
  }
  if (save) {
    rc = save_samples(cli, gen, form, count);
  } else {
    for (long i = 0; i < count; i++) {
      char *payload = sample_gen_next(gen);
      if (!payload) {
        rc = EXIT_FAIL;
        break;
      }
      puts(payload);
      free(payload);
    }
  }
  sample_gen_free(gen);
  return rc;
}
