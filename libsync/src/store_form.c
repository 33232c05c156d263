/* Form definitions in the store (sync/form.h) and the handle's cache of parsed forms. A definition
 * is stored encrypted under the data key (store_crypto.h): it may hold the key of the
 * duplicate-detection hashes. Its digest, title and language stay clear for checks and listings. */
#include "store_crypto.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORM_ERRBUF 512

/* ---- cache -------------------------------------------------------------------------------- */

void store_form_hash(sync_store_t *s, const char *form_id, int version, char out[65])
{
  sqlite3_stmt *st;
  out[0] = '\0';
  if (store_stmt(s, STMT_FORM_HASH, &st) != SYNC_OK)
    return;
  sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    snprintf(out, 65, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_reset(st);
}

static form_t *cache_find(const sync_store_t *s, const char *id, int version)
{
  for (size_t i = 0; i < s->nforms; i++) {
    if (s->forms[i].version == version && strcmp(s->forms[i].id, id) == 0)
      return s->forms[i].form;
  }
  return NULL;
}

/* The cached form of (id, version) while it is still the stored one. Another handle (the sync
 * engine's) may have replaced the definition with the server's since it was parsed; outside a
 * transaction of our own that is checked against the stored digest, and a stale entry dropped
 * (inside one, no other handle can commit). */
static form_t *cache_find_current(sync_store_t *s, const char *id, int version)
{
  for (size_t i = 0; i < s->nforms; i++) {
    store_form_entry_t *e = &s->forms[i];
    if (e->version != version || strcmp(e->id, id) != 0)
      continue;
    if (sqlite3_get_autocommit(s->db)) {
      char now[65];
      store_form_hash(s, id, version, now);
      if (strcmp(now, e->sha256) != 0) {
        form_free(e->form);
        s->forms[i] = s->forms[--s->nforms];
        return NULL;
      }
    }
    return e->form;
  }
  return NULL;
}

/* Takes ownership of f (frees it when it cannot be cached). Returns the cached form or NULL. */
static form_t *cache_put(sync_store_t *s, form_t *f)
{
  const char *id = form_id(f);
  int version = form_version(f);
  form_t *have = cache_find(s, id, version);
  if (have) {
    form_free(f);
    return have;
  }
  if (s->nforms == s->forms_cap) {
    size_t cap = s->forms_cap ? s->forms_cap * 2 : 4;
    store_form_entry_t *e = realloc(s->forms, cap * sizeof *e);
    if (!e) {
      form_free(f);
      return NULL;
    }
    s->forms = e;
    s->forms_cap = cap;
  }
  store_form_entry_t *e = &s->forms[s->nforms++];
  snprintf(e->id, sizeof e->id, "%s", id);
  e->version = version;
  store_form_hash(s, id, version, e->sha256);
  e->form = f;
  return f;
}

void store_form_cache_flush(sync_store_t *s)
{
  for (size_t i = 0; i < s->nforms; i++)
    form_free(s->forms[i].form);
  s->nforms = 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

/* Resolves version 0 to the newest stored version of form_id. */
static sync_err_t resolve_version(sync_store_t *s, const char *id, int version, int *out)
{
  if (version > 0) {
    *out = version;
    return SYNC_OK;
  }
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_FORM_NEWEST, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int newest = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  int rrc = sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot look up the form");
  if (newest <= 0)
    return store_fail(s, SYNC_ERR_NOT_FOUND, "form '%s' is not in this store", id);
  *out = newest;
  return SYNC_OK;
}

/* The stored definition text of (id, version), decrypted, malloc'd. */
static sync_err_t load_definition(sync_store_t *s, const char *id, int version, char **out, size_t *len)
{
  sqlite3_stmt *st;
  char ad[STORE_AD_MAX];
  sync_err_t err = store_stmt(s, STMT_FORM_DEF, &st);
  if (err)
    return err;
  *out = NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    store_value_ad_int(ad, COL_FORM_DEFINITION, id, version);
    err = sqlite3_column_type(st, 0) != SQLITE_BLOB
            ? SYNC_ERR_CRYPTO
            : store_value_decrypt(s, ad, sqlite3_column_blob(st, 0),
                                  (size_t)sqlite3_column_bytes(st, 0), out, len);
    if (err == SYNC_ERR_NOMEM)
      err = store_fail(s, err, "out of memory reading form '%s'", id);
    else if (err)
      err = store_fail(s, SYNC_ERR_CORRUPT, "form '%s' version %d: the stored definition is not "
                       "encrypted or fails authentication (store damaged or altered)", id, version);
  }
  int rrc = sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return store_fail(s, SYNC_ERR_NOT_FOUND, "form '%s' version %d is not in this store", id, version);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot read the form");
  return err;
}

sync_err_t store_form_get(sync_store_t *s, const char *form_id_, int version, const form_t **out,
                          int *resolved)
{
  int v;
  sync_err_t err = resolve_version(s, form_id_, version, &v);
  if (err)
    return err;
  form_t *f = cache_find_current(s, form_id_, v);
  if (!f) {
    char *def, errbuf[FORM_ERRBUF] = "";
    size_t len;
    if ((err = load_definition(s, form_id_, v, &def, &len)) != SYNC_OK)
      return err;
    f = form_parse(def, len, &err, errbuf, sizeof errbuf);
    free(def);
    if (!f)
      return store_fail(s, err ? err : SYNC_ERR_FORM, "stored form '%s' v%d cannot be loaded: %s",
                        form_id_, v, errbuf);
    if (!(f = cache_put(s, f)))
      return store_fail(s, SYNC_ERR_NOMEM, "out of memory caching form '%s'", form_id_);
  }
  *out = f;
  if (resolved)
    *resolved = v;
  return SYNC_OK;
}

/* ---- sync_form_check / sync_form_add ------------------------------------------------------ */

sync_err_t sync_form_check(const char *json, size_t len, char **out_errmsg)
{
  if (out_errmsg)
    *out_errmsg = NULL;
  if (!json)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t err = SYNC_OK;
  char errbuf[FORM_ERRBUF] = "";
  form_t *f = form_parse(json, len, &err, errbuf, sizeof errbuf);
  if (f) {
    form_free(f);
    return SYNC_OK;
  }
  if (out_errmsg)
    *out_errmsg = strdup(errbuf);
  return err ? err : SYNC_ERR_FORM;
}

/* What the forms table keeps besides the definition: the digest that decides whether a re-add is
 * identical, and the title for listings. Filled from the definition form_parse accepted. */
typedef struct form_facts {
  char sha256[crypto_hash_sha256_BYTES * 2 + 1];
  char *title;              /* label object, minified JSON */
  char default_language[16];
} form_facts_t;

static sync_err_t form_facts(sync_store_t *s, const char *json, size_t len, form_facts_t *facts)
{
  sync_err_t err = SYNC_OK;
  char *minified = NULL;
  cJSON *doc = cJSON_ParseWithLength(json, len);
  if (!doc || !(minified = cJSON_PrintUnformatted(doc))) {
    err = store_fail(s, SYNC_ERR_NOMEM, "out of memory reading the form definition");
    goto done;
  }
  /* Whitespace and layout do not make a different form; content does. */
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, (const unsigned char *)minified, strlen(minified));
  sodium_bin2hex(facts->sha256, sizeof facts->sha256, digest, sizeof digest);
  const cJSON *lang = cJSON_GetObjectItemCaseSensitive(doc, "default_language");
  snprintf(facts->default_language, sizeof facts->default_language, "%s",
           cJSON_IsString(lang) ? lang->valuestring : "");
  const cJSON *title = cJSON_GetObjectItemCaseSensitive(doc, "title");
  facts->title = cJSON_IsObject(title) ? cJSON_PrintUnformatted(title) : strdup("{}");
  if (!facts->title)
    err = store_fail(s, SYNC_ERR_NOMEM, "out of memory reading the form definition");
done:
  free(minified);
  cJSON_Delete(doc);
  return err;
}

/* In a write transaction: stores the form as `origin` says (store_internal.h: form_put_t). */
static sync_err_t put_form(sync_store_t *s, const form_t *f, const char *json, size_t len,
                           const form_facts_t *facts, form_origin_t origin, form_put_t *out)
{
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_FORM_HASH, &st);
  if (err)
    return err;
  *out = FORM_PUT_SAME;
  sqlite3_bind_text(st, 1, form_id(f), -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, form_version(f));
  int rc = sqlite3_step(st);
  int same = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), facts->sha256) == 0;
  int from_server = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 1), "server") == 0;
  int rrc = sqlite3_reset(st), existed = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot look up the form");
  if (existed) {
    /* The server's definition is the form: it replaces a local one, and a local one never
     * replaces it (a form bundled with an app is a fallback until the first pull). */
    if (origin == FORM_ORIGIN_LOCAL) {
      if (same || from_server) {
        *out = same ? FORM_PUT_SAME : FORM_PUT_KEPT_SERVER;
        return SYNC_OK;
      }
      return store_fail(s, SYNC_ERR_EXISTS, "form '%s' version %d is already stored with different "
                        "content; publish the change as a new version", form_id(f), form_version(f));
    }
    if (same && from_server)
      return SYNC_OK;
  }

  if ((err = store_stmt(s, STMT_FORM_INSERT, &st)) != SYNC_OK)
    return err;
  /* The definition is encrypted like answers: it holds the duplicate-detection key (SECURITY.md 9). */
  char ad[STORE_AD_MAX];
  store_value_ad_int(ad, COL_FORM_DEFINITION, form_id(f), form_version(f));
  if ((err = store_value_bind(s, st, 3, ad, json, len)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    return err;
  }
  sqlite3_bind_text(st, 1, form_id(f), -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, form_version(f));
  sqlite3_bind_text(st, 4, facts->sha256, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, facts->title, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, facts->default_language, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, store_now_ms());
  sqlite3_bind_text(st, 8, origin == FORM_ORIGIN_SERVER ? "server" : "local", -1, SQLITE_STATIC);
  rc = store_step_done(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(s, rc, "cannot store the form");
  *out = !existed ? FORM_PUT_ADDED : same ? FORM_PUT_SAME : FORM_PUT_REPLACED;
  return SYNC_OK;
}

sync_err_t store_form_put(sync_store_t *store, const char *json, size_t len, form_origin_t origin,
                          char *out_id, int *out_version, form_put_t *outcome)
{
  sync_err_t err = SYNC_OK;
  char errbuf[FORM_ERRBUF] = "";
  form_facts_t facts = { .title = NULL };
  form_put_t put = FORM_PUT_SAME;
  form_t *f = form_parse(json, len, &err, errbuf, sizeof errbuf);
  if (!f)
    return store_fail(store, err ? err : SYNC_ERR_FORM, "%s", errbuf);
  if ((err = form_facts(store, json, len, &facts)) != SYNC_OK)
    goto done;
  if ((err = store_write_begin(store, UNDO_SAVEPOINT)) != SYNC_OK)
    goto done;
  err = put_form(store, f, json, len, &facts, origin, &put);
  err = store_write_end(store, err == SYNC_OK, err);
  if (err == SYNC_OK) {
    if (out_id)
      snprintf(out_id, SYNC_FORM_ID_MAX + 1, "%s", form_id(f));
    if (out_version)
      *out_version = form_version(f);
    if (outcome)
      *outcome = put;
    if (put == FORM_PUT_REPLACED)
      store_form_cache_flush(store); /* the old definition must not be served again */
    if (put == FORM_PUT_ADDED || put == FORM_PUT_REPLACED) {
      cache_put(store, f); /* a cache miss later only costs a reparse */
      f = NULL;
    }
  }
done:
  form_free(f);
  free(facts.title);
  return err;
}

sync_err_t sync_form_add(sync_store_t *store, const char *json, size_t len, char *out_id, int *out_version)
{
  if (out_id)
    out_id[0] = '\0';
  if (out_version)
    *out_version = 0;
  if (!store || !json)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "json is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  sync_err_t err = store_check_writable(store);
  return err ? err : store_form_put(store, json, len, FORM_ORIGIN_LOCAL, out_id, out_version, NULL);
}

/* ---- sync_form_get_json ------------------------------------------------------------------- */

sync_err_t sync_form_get_json(sync_store_t *store, const char *form_id_, int version, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!store || !form_id_ || !out_json || version < 0)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "invalid argument") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  int v;
  size_t len;
  sync_err_t err = resolve_version(store, form_id_, version, &v);
  if (err == SYNC_OK)
    err = load_definition(store, form_id_, v, out_json, &len);
  return err;
}

/* ---- sync_form_list ----------------------------------------------------------------------- */

typedef struct form_list_item {
  char *id;
  int version;
  char *default_language;
  cJSON *title; /* label object */
} form_list_item_t;

struct sync_form_list {
  form_list_item_t *items;
  size_t count;
};

static char *dup_column(sqlite3_stmt *st, int col)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return strdup(v ? v : "");
}

sync_err_t sync_form_list(sync_store_t *store, sync_form_list_t **out)
{
  if (out)
    *out = NULL;
  if (!store || !out)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(store, STMT_FORM_LIST, &st);
  if (err)
    return err;
  sync_form_list_t *list = calloc(1, sizeof *list);
  size_t cap = 0;
  int rc;
  if (!list)
    goto nomem;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (list->count == cap) {
      cap = cap ? cap * 2 : 8;
      form_list_item_t *items = realloc(list->items, cap * sizeof *items);
      if (!items)
        goto nomem;
      list->items = items;
    }
    form_list_item_t *it = &list->items[list->count++];
    it->id = dup_column(st, 0);
    it->version = sqlite3_column_int(st, 1);
    it->title = cJSON_Parse((const char *)sqlite3_column_text(st, 2));
    it->default_language = dup_column(st, 3);
    if (!it->id || !it->default_language || !it->title)
      goto nomem;
  }
  int rrc = sqlite3_reset(st);
  if (rc != SQLITE_DONE) {
    sync_form_list_free(list);
    return store_fail_sqlite(store, rrc != SQLITE_OK ? rrc : rc, "cannot list the forms");
  }
  *out = list;
  return SYNC_OK;
nomem:
  sqlite3_reset(st);
  sync_form_list_free(list);
  return store_fail(store, SYNC_ERR_NOMEM, "out of memory listing the forms");
}

size_t sync_form_list_count(const sync_form_list_t *list)
{
  return list ? list->count : 0;
}

const char *sync_form_list_id(const sync_form_list_t *list, size_t i)
{
  return list && i < list->count ? list->items[i].id : NULL;
}

int sync_form_list_version(const sync_form_list_t *list, size_t i)
{
  return list && i < list->count ? list->items[i].version : 0;
}

const char *sync_form_list_title(const sync_form_list_t *list, size_t i, const char *language)
{
  if (!list || i >= list->count)
    return NULL;
  const form_list_item_t *it = &list->items[i];
  const cJSON *t = language ? cJSON_GetObjectItemCaseSensitive(it->title, language) : NULL;
  if (!cJSON_IsString(t))
    t = cJSON_GetObjectItemCaseSensitive(it->title, it->default_language);
  return cJSON_IsString(t) ? t->valuestring : "";
}

void sync_form_list_free(sync_form_list_t *list)
{
  if (!list)
    return;
  for (size_t i = 0; i < list->count; i++) {
    free(list->items[i].id);
    free(list->items[i].default_language);
    cJSON_Delete(list->items[i].title);
  }
  free(list->items);
  free(list);
}

/* ---- sync_form_evaluate ------------------------------------------------------------------- */

sync_err_t sync_form_evaluate(sync_store_t *store, const char *form_id_, int version,
                              const char *payload_json, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!store || !form_id_ || !payload_json || !out_json || version < 0)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "invalid argument") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 1);
  size_t len = strnlen(payload_json, SYNC_MAX_PAYLOAD + 1);
  if (len > SYNC_MAX_PAYLOAD)
    return store_fail(store, SYNC_ERR_TOO_LARGE, "the payload is larger than %u bytes", SYNC_MAX_PAYLOAD);
  const form_t *f;
  sync_err_t err = store_form_get(store, form_id_, version, &f, NULL);
  if (err)
    return err;
  err = form_evaluate(f, payload_json, len, store->language, store_today_days(), out_json, &store->issues);
  if (err == SYNC_ERR_JSON)
    return store_fail_issues(store, err);
  if (err)
    return store_fail(store, err, "cannot evaluate the answers: %s", sync_strerror(err));
  return SYNC_OK;
}
