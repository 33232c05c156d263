/* syncctl init / status. */
#include <stdio.h>

#include "commands.h"

/* --kdf test where the library would refuse it: said here, before a passphrase is asked for
 * (a refused creation otherwise reads as a short passphrase). 1 after the message. */
static int test_kdf_refused(sync_kdf_strength_t kdf)
{
  if (kdf != SYNC_KDF_TEST || sync_store_test_kdf_allowed())
    return 0;
  cli_usage_error("--kdf test hanya untuk pengujian, tanpa perlindungan nyata (%s=1 di tempat "
                  "pengujian berjalan) / --kdf test is for test suites only and gives no real "
                  "protection (%s=1 where tests run)",
                  SYNC_ALLOW_TEST_KDF_ENV, SYNC_ALLOW_TEST_KDF_ENV);
  return 1;
}

int cmd_init(cli_t *cli, int argc, char **argv)
{
  const char *pos[1], *kdf = NULL;
  cli_opt_t opts[] = {{"kdf", &kdf, NULL}, {NULL, NULL, NULL}};
  if (cli_parse(argc, argv, opts, pos, 0) < 0 || cli_parse_kdf(kdf, &cli->kdf) != EXIT_OK ||
      test_kdf_refused(cli->kdf))
    return EXIT_USAGE;
  int rc = cli_open_store(cli, 1);
  if (rc != EXIT_OK)
    return rc;
  if (cli->json)
    printf("{\"ok\":true,\"store\":\"%s\",\"device_id\":\"%s\",\"schema_version\":%d}\n", cli->store_path,
           sync_store_device_id(cli->store), sync_store_schema_version(cli->store));
  else
    printf("store %s ready (device %s, schema v%d)\n", cli->store_path, sync_store_device_id(cli->store),
           sync_store_schema_version(cli->store));
  return EXIT_OK;
}

int cmd_status(cli_t *cli, int argc, char **argv)
{
  int rc = cli_open_store_no_args(cli, argc, argv);
  if (rc != EXIT_OK)
    return rc;
  sync_store_stats_t st;
  sync_err_t err = sync_store_stats(cli->store, &st);
  if (err != SYNC_OK)
    return cli_fail(cli, err, "status");
  char last[32] = "never";
  if (st.last_sync_ms)
    cli_iso_time(st.last_sync_ms, last, sizeof last);
  if (cli->json) {
    printf("{\"ok\":true,\"device_id\":\"%s\",\"forms\":%lld,\"drafts\":%lld,\"finals\":%lld,"
           "\"deleted\":%lld,\"outbox_pending\":%lld,\"outbox_acked\":%lld,\"outbox_refused\":%lld,\"conflicts\":%lld,"
           "\"last_sync\":%s%s%s}\n",
           sync_store_device_id(cli->store), (long long)st.forms, (long long)st.drafts,
           (long long)st.finals, (long long)st.deleted, (long long)st.outbox_pending,
           (long long)st.outbox_acked, (long long)st.outbox_refused, (long long)st.conflicts, st.last_sync_ms ? "\"" : "",
           st.last_sync_ms ? last : "null", st.last_sync_ms ? "\"" : "");
    return EXIT_OK;
  }
  printf("store           %s\n", cli->store_path);
  printf("device          %s\n", sync_store_device_id(cli->store));
  printf("forms           %lld\n", (long long)st.forms);
  printf("drafts          %lld\n", (long long)st.drafts);
  printf("final records   %lld\n", (long long)st.finals);
  printf("deleted         %lld\n", (long long)st.deleted);
  printf("waiting to send %lld\n", (long long)st.outbox_pending);
  printf("acknowledged    %lld\n", (long long)st.outbox_acked);
  printf("refused         %lld\n", (long long)st.outbox_refused);
  printf("conflicts       %lld\n", (long long)st.conflicts);
  printf("last sync       %s\n", last);
  return EXIT_OK;
}
