/* syncsample public API: checks that the form definition is the one the generator knows, then
 * writes one drawn case (sample_case.c) as a payload, keys in form order. */
#include "sample.h"
#include "sample_internal.h"

#include "form_def.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample_gen {
  srng_t rng;
};

static const char *const act_fields[N_ACTS] = {
  "act_recruitment", "act_transport", "act_harbouring", "act_sending", "act_transfer",
  "act_receipt"};
static const char *const means_fields[N_MEANS] = {
  "means_threat", "means_violence", "means_abduction", "means_confinement", "means_forgery",
  "means_deception", "means_abuse_of_power", "means_debt_bondage", "means_payment"};
static const char *const purpose_fields[N_PURPOSES] = {
  "purpose_sexual", "purpose_forced_labour", "purpose_slavery", "purpose_servitude",
  "purpose_organ_removal", "purpose_reproductive"};
static const char *const ilo_fields[ILO_COUNT] = {
  "ilo_abuse_of_vulnerability", "ilo_deception", "ilo_restriction_of_movement", "ilo_isolation",
  "ilo_physical_sexual_violence", "ilo_intimidation_threats", "ilo_retention_of_documents",
  "ilo_withholding_wages", "ilo_debt_bondage", "ilo_abusive_conditions", "ilo_excessive_overtime"};
static const char *const need_fields[N_NEEDS] = {
  "need_medical", "need_psychological", "need_shelter", "need_protection", "need_repatriation",
  "need_legal_aid"};
static const char *const answer_names[3] = {"no", "yes", "unknown"};

/* ---- checking the definition ---------------------------------------------------------------- */

static size_t find_field(const form_t *f, const char *name)
{
  size_t n = form_field_count(f);
  for (size_t i = 0; i < n; i++)
    if (!strcmp(form_field_name(f, i), name))
      return i;
  return (size_t)-1;
}

static int need_field(const form_t *f, const char *name, field_type_t type, char *err,
                      size_t errlen)
{
  size_t i = find_field(f, name);
  if (i == (size_t)-1 || form_field_type(f, i) != type) {
    if (errlen)
      snprintf(err, errlen, "form has no field '%s' of the type the sample generator writes", name);
    return -1;
  }
  return 0;
}

static int need_choices(const form_t *f, const char *name, const char *const *choices, size_t n,
                        char *err, size_t errlen)
{
  size_t i = find_field(f, name);
  if (i == (size_t)-1)
    return need_field(f, name, FIELD_SELECT_ONE, err, errlen);
  for (size_t c = 0; c < n; c++) {
    size_t k, count = form_field_choice_count(f, i);
    for (k = 0; k < count; k++)
      if (!strcmp(form_field_choice_name(f, i, k), choices[c]))
        break;
    if (k == count) {
      if (errlen)
        snprintf(err, errlen, "field '%s' has no choice '%s' the sample generator writes", name,
                 choices[c]);
      return -1;
    }
  }
  return 0;
}

static int check_form(const form_t *f, char *err, size_t errlen)
{
  static const struct { const char *name; field_type_t type; } plain[] = {
    {"interview_date", FIELD_DATE}, {"regency_code", FIELD_TEXT}, {"unit_type_other", FIELD_TEXT},
    {"unit_name", FIELD_TEXT}, {"interpreter_used", FIELD_YES_NO},
    {"interpreter_language", FIELD_TEXT}, {"safe_to_talk", FIELD_YES_NO},
    {"full_name", FIELD_TEXT}, {"phone", FIELD_TEXT}, {"dob", FIELD_DATE},
    {"estimated_age", FIELD_INTEGER}, {"nationality_other", FIELD_TEXT},
    {"origin_regency_code", FIELD_TEXT}, {"languages", FIELD_SELECT_MULTIPLE},
    {"languages_other", FIELD_TEXT}, {"recruited_by_other", FIELD_TEXT},
    {"job_promised", FIELD_TEXT}, {"job_actual", FIELD_TEXT}, {"sector_other", FIELD_TEXT},
    {"departure_date", FIELD_DATE}, {"transit_place", FIELD_TEXT},
    {"destination_country_other", FIELD_TEXT}, {"destination_place", FIELD_TEXT},
    {"need_other", FIELD_TEXT}, {"officer_agrees", FIELD_YES_NO}, {"officer_reason", FIELD_TEXT},
    {"referral_to", FIELD_SELECT_MULTIPLE}, {"follow_up_date", FIELD_DATE},
    {"officer_notes", FIELD_TEXT},
  };
  for (size_t i = 0; i < SAMPLE_COUNT(plain); i++)
    if (need_field(f, plain[i].name, plain[i].type, err, errlen))
      return -1;
  for (size_t i = 0; i < N_NEEDS; i++)
    if (need_field(f, need_fields[i], FIELD_YES_NO, err, errlen))
      return -1;
  char note[64];
  for (size_t i = 0; i < ILO_COUNT; i++) {
    snprintf(note, sizeof note, "%s_note", ilo_fields[i]);
    if (need_field(f, note, FIELD_TEXT, err, errlen))
      return -1;
  }

  static const char *const yes_no[] = {"yes", "no"};
  static const char *const sexes[] = {"female", "male"};
  static const char *const nationalities[] = {"indonesia", "other"};
  static const struct { const char *name; const char *const *choices; size_t n; } sel[] = {
    {"unit_type", sample_unit_type_names, 5}, {"consent", yes_no, 2}, {"sex", sexes, 2},
    {"nationality", nationalities, 2}, {"languages", sample_language_names, 10},
    {"id_document_status", sample_id_status_names, 4},
    {"recruited_by", sample_recruiter_names, 6}, {"sector", sample_sector_names, SEC_COUNT},
    {"destination_country", sample_destination_names, 13},
    {"migrant_status", sample_migrant_status_names, 3}, {"urgency", sample_urgency_names, 3},
    {"officer_result", sample_category_names, 3}, {"referral_to", sample_referral_names, 8},
  };
  for (size_t i = 0; i < SAMPLE_COUNT(sel); i++)
    if (need_choices(f, sel[i].name, sel[i].choices, sel[i].n, err, errlen))
      return -1;
  const char *const *groups[4] = {act_fields, means_fields, purpose_fields, ilo_fields};
  const size_t sizes[4] = {N_ACTS, N_MEANS, N_PURPOSES, ILO_COUNT};
  for (size_t g = 0; g < 4; g++)
    for (size_t i = 0; i < sizes[g]; i++)
      if (need_choices(f, groups[g][i], answer_names, 3, err, errlen))
        return -1;

  /* Province codes: every region the generator uses. */
  char code[3] = {0};
  for (size_t i = 0; i < sample_origin_count + sample_site_count; i++) {
    const sample_region_t *reg = i < sample_origin_count ? &sample_origins[i]
                                                         : &sample_sites[i - sample_origin_count];
    memcpy(code, reg->code, 2);
    const char *one[1] = {code};
    if (need_choices(f, "province", one, 1, err, errlen) ||
        need_choices(f, "origin_province", one, 1, err, errlen))
      return -1;
  }
  return 0;
}

sample_gen_t *sample_gen_new(const char *form_json, size_t len, uint64_t seed, char *err,
                             size_t errlen)
{
  if (errlen)
    err[0] = '\0';
  if (!form_json) {
    if (errlen)
      snprintf(err, errlen, "no form definition");
    return NULL;
  }
  sync_err_t code;
  char perr[256] = "";
  form_t *f = form_parse(form_json, len, &code, perr, sizeof perr);
  if (!f) {
    if (errlen)
      snprintf(err, errlen, "form definition rejected: %s", perr);
    return NULL;
  }
  sample_gen_t *g = NULL;
  if (strcmp(form_id(f), "tppo_screening") != 0 || form_version(f) != 1) {
    if (errlen)
      snprintf(err, errlen, "form '%s' v%d is not supported (the sample generator knows "
               "tppo_screening v1)", form_id(f), form_version(f));
    goto done;
  }
  if (check_form(f, err, errlen))
    goto done;
  g = calloc(1, sizeof *g);
  if (!g) {
    if (errlen)
      snprintf(err, errlen, "out of memory");
    goto done;
  }
  srng_seed(&g->rng, seed);
done:
  form_free(f);
  return g;
}

void sample_gen_free(sample_gen_t *g)
{
  free(g);
}

/* ---- writing a case --------------------------------------------------------------------------- */

static void put_date(sjbuf_t *b, const char *key, int32_t days)
{
  char text[11];
  sdate_format(days, text);
  sj_str(b, key, text);
}

static void put_opt(sjbuf_t *b, const char *key, const char *value)
{
  if (value && *value)
    sj_str(b, key, value);
}

static void write_context(sjbuf_t *b, const sample_case_t *c)
{
  char province[3] = {c->site->code[0], c->site->code[1], '\0'};
  put_date(b, "interview_date", c->interview);
  sj_str(b, "province", province);
  sj_str(b, "regency_code", c->site->code);
  sj_str(b, "unit_type", c->unit_type);
  put_opt(b, "unit_type_other", c->unit_type_other);
  sj_str(b, "unit_name", c->unit_name);
  sj_bool(b, "interpreter_used", c->interpreter);
  if (c->interpreter)
    sj_str(b, "interpreter_language", c->interpreter_language);
  sj_bool(b, "safe_to_talk", c->safe_to_talk);
  sj_str(b, "consent", c->kind == KIND_REFUSED ? "no" : "yes");
}

static void write_person(sjbuf_t *b, const sample_case_t *c)
{
  put_opt(b, "full_name", c->full_name);
  put_opt(b, "phone", c->phone);
  sj_str(b, "sex", c->female ? "female" : "male");
  if (c->has_dob)
    put_date(b, "dob", c->dob);
  else
    sj_int(b, "estimated_age", c->age);
  if (c->foreign) {
    sj_str(b, "nationality", "other");
    sj_str(b, "nationality_other", c->foreign->nationality);
  } else {
    char province[3] = {c->origin->code[0], c->origin->code[1], '\0'};
    sj_str(b, "nationality", "indonesia");
    sj_str(b, "origin_province", province);
    if (c->origin_code_known)
      sj_str(b, "origin_regency_code", c->origin->code);
  }
  sj_strs(b, "languages", c->langs, c->n_langs);
  put_opt(b, "languages_other", c->languages_other);
  sj_str(b, "id_document_status", c->id_document_status);
}

static void write_migration(sjbuf_t *b, const sample_case_t *c)
{
  sj_str(b, "recruited_by", c->recruited_by);
  put_opt(b, "recruited_by_other", c->recruited_by_other);
  put_opt(b, "job_promised", c->job_promised);
  put_opt(b, "job_actual", c->job_actual);
  sj_str(b, "sector", sample_sector_names[c->sector]);
  put_opt(b, "sector_other", c->sector_other);
  if (c->has_departure)
    put_date(b, "departure_date", c->departure);
  put_opt(b, "transit_place", c->transit);
  sj_str(b, "destination_country", c->destination);
  put_opt(b, "destination_country_other", c->destination_other);
  put_opt(b, "destination_place", c->destination_place);
  sj_str(b, "migrant_status", c->migrant_status);
}

static void write_indicators(sjbuf_t *b, const sample_case_t *c)
{
  for (size_t i = 0; i < N_ACTS; i++)
    sj_str(b, act_fields[i], answer_names[c->act[i]]);
  for (size_t i = 0; i < N_MEANS; i++)
    sj_str(b, means_fields[i], answer_names[c->means[i]]);
  for (size_t i = 0; i < N_PURPOSES; i++)
    sj_str(b, purpose_fields[i], answer_names[c->purpose[i]]);
  char note[64];
  for (size_t i = 0; i < ILO_COUNT; i++) {
    sj_str(b, ilo_fields[i], answer_names[c->ilo[i]]);
    if (c->ilo[i] == ANS_YES && c->ilo_note[i]) {
      snprintf(note, sizeof note, "%s_note", ilo_fields[i]);
      sj_str(b, note, c->ilo_note[i]);
    }
  }
}

static void write_needs_outcome(sjbuf_t *b, const sample_case_t *c)
{
  for (size_t i = 0; i < N_NEEDS; i++)
    sj_bool(b, need_fields[i], c->need[i]);
  put_opt(b, "need_other", c->need_other);
  put_opt(b, "urgency", c->urgency);
  sj_bool(b, "officer_agrees", c->officer_agrees);
  if (!c->officer_agrees) {
    sj_str(b, "officer_result", sample_category_names[c->officer_result]);
    sj_str(b, "officer_reason", c->officer_reason);
  }
  sj_strs(b, "referral_to", c->referrals, c->n_referrals);
  if (c->has_follow_up)
    put_date(b, "follow_up_date", c->follow_up);
  put_opt(b, "officer_notes", c->officer_notes);
}

char *sample_gen_next(sample_gen_t *g)
{
  if (!g)
    return NULL;
  sample_case_t c;
  sample_case_draw(&g->rng, &c);
  sjbuf_t b;
  sj_begin(&b);
  write_context(&b, &c);
  if (c.kind != KIND_REFUSED) {   /* without consent only the anonymous context is kept */
    write_person(&b, &c);
    write_migration(&b, &c);
    write_indicators(&b, &c);
    write_needs_outcome(&b, &c);
  }
  return sj_end(&b);
}
