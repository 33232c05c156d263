/* syncctl: which fields of a form are calculated (from the stored definition), cached per version. */
#include "computed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct form_calcs {
  char id[SYNC_FORM_ID_MAX + 1];
  int version;
  cJSON *names;   /* array of calculated field names */
} form_calcs_t;

struct computed {
  sync_store_t *store;
  form_calcs_t *forms;
  size_t count;
};

computed_t *computed_new(sync_store_t *store)
{
  computed_t *c = calloc(1, sizeof *c);
  if (c)
    c->store = store;
  return c;
}

void computed_free(computed_t *c)
{
  if (!c)
    return;
  for (size_t i = 0; i < c->count; i++)
    cJSON_Delete(c->forms[i].names);
  free(c->forms);
  free(c);
}

static cJSON *load_calc_names(sync_store_t *store, const char *id, int version)
{
  cJSON *names = cJSON_CreateArray();
  char *json = NULL;
  if (sync_form_get_json(store, id, version, &json) != SYNC_OK)
    return names;
  cJSON *def = cJSON_Parse(json);
  sync_free(json);
  const cJSON *section, *field;
  cJSON_ArrayForEach(section, cJSON_GetObjectItemCaseSensitive(def, "sections")) {
    cJSON_ArrayForEach(field, cJSON_GetObjectItemCaseSensitive(section, "fields")) {
      const cJSON *type = cJSON_GetObjectItemCaseSensitive(field, "type");
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(field, "name");
      if (cJSON_IsString(type) && strcmp(type->valuestring, "calculate") == 0 && cJSON_IsString(name))
        cJSON_AddItemToArray(names, cJSON_CreateString(name->valuestring));
    }
  }
  cJSON_Delete(def);
  return names;
}

static const cJSON *calc_names(computed_t *c, const char *id, int version)
{
  for (size_t i = 0; i < c->count; i++)
    if (c->forms[i].version == version && strcmp(c->forms[i].id, id) == 0)
      return c->forms[i].names;
  form_calcs_t *grown = realloc(c->forms, (c->count + 1) * sizeof *grown);
  if (!grown)
    return NULL;
  c->forms = grown;
  form_calcs_t *f = &c->forms[c->count++];
  snprintf(f->id, sizeof f->id, "%s", id);
  f->version = version;
  f->names = load_calc_names(c->store, id, version);
  return f->names;
}

cJSON *computed_values(computed_t *c, const sync_record_t *rec)
{
  cJSON *out = cJSON_CreateObject();
  const cJSON *names = calc_names(c, sync_record_form_id(rec), sync_record_form_version(rec));
  cJSON *payload = cJSON_Parse(sync_record_payload(rec));
  const cJSON *name;
  cJSON_ArrayForEach(name, names) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, name->valuestring);
    if (v)
      cJSON_AddItemToObject(out, name->valuestring, cJSON_Duplicate(v, 1));
  }
  cJSON_Delete(payload);
  return out;
}

void computed_text(computed_t *c, const sync_record_t *rec, char *out, size_t outlen)
{
  cJSON *vals = computed_values(c, rec);
  size_t used = 0;
  out[0] = '\0';
  const cJSON *v;
  cJSON_ArrayForEach(v, vals) {
    char *text = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
    int n = snprintf(out + used, outlen - used, "%s%s=%s", used ? " " : "", v->string,
                     text ? text : v->valuestring);
    free(text);
    if (n < 0 || (size_t)n >= outlen - used)
      break;
    used += (size_t)n;
  }
  cJSON_Delete(vals);
}
