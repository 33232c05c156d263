/* Parsed form versions for payload validation, loaded from the database on first use and kept:
 * versions are immutable, so an entry never goes stale. */
#include "srv_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct form_entry {
  char form_id[PROTO_FORM_ID_MAX + 1];
  int version;
  form_t *form;
  form_entry_t *next;
};

static const form_t *find(srv_t *s, const char *form_id, int version)
{
  for (form_entry_t *e = s->forms; e; e = e->next)
    if (e->version == version && strcmp(e->form_id, form_id) == 0)
      return e->form;
  return NULL;
}

sync_err_t forms_lookup(srv_t *s, db_conn_t *c, const char *form_id, int version,
                        const form_t **out)
{
  *out = NULL;
  pthread_mutex_lock(&s->forms_lock);
  const form_t *f = find(s, form_id, version);
  pthread_mutex_unlock(&s->forms_lock);
  if (f) {
    *out = f;
    return SYNC_OK;
  }
  char *definition = NULL;
  sync_err_t e = db_form_get(c, form_id, version, &definition, NULL);
  if (e != SYNC_OK)
    return e;
  char errbuf[256];
  form_t *parsed = form_parse(definition, strlen(definition), &e, errbuf, sizeof errbuf);
  free(definition);
  if (!parsed)
    return e == SYNC_OK ? SYNC_ERR_FORM : e;
  form_entry_t *ent = calloc(1, sizeof *ent);
  if (!ent) {
    form_free(parsed);
    return SYNC_ERR_NOMEM;
  }
  strncpy(ent->form_id, form_id, PROTO_FORM_ID_MAX);
  ent->version = version;
  ent->form = parsed;
  pthread_mutex_lock(&s->forms_lock);
  if ((f = find(s, form_id, version)) != NULL) {   /* another thread was faster */
    form_free(parsed);
    free(ent);
  } else {
    ent->next = s->forms;
    s->forms = ent;
    f = parsed;
  }
  pthread_mutex_unlock(&s->forms_lock);
  *out = f;
  return SYNC_OK;
}

void forms_cache_free(srv_t *s)
{
  while (s->forms) {
    form_entry_t *e = s->forms;
    s->forms = e->next;
    form_free(e->form);
    free(e);
  }
}

int32_t forms_today(void)
{
  return (int32_t)(time(NULL) / 86400);
}

sync_err_t forms_validate(void *ctx, const char *form_id, int version, const char *payload,
                          issue_list_t *issues)
{
  forms_vctx_t *v = ctx;
  const form_t *f;
  sync_err_t e = forms_lookup(v->s, v->c, form_id, version, &f);
  if (e != SYNC_OK)
    return e;
  e = form_validate(f, payload, strlen(payload), VALIDATE_VALUES, "en", forms_today(), NULL,
                    issues);
  if (e == SYNC_ERR_JSON)
    e = SYNC_ERR_VALIDATION;
  return e;
}
