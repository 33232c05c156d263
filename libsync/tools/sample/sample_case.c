/* Draws one coherent screening case: who, where, which sector and route (this file), then the
 * indicators, needs and outcome (sample_assess.c). Every choice is made so that the answers
 * satisfy the reference form's required / relevant / constraint rules. */
#include "sample_internal.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

const char *const sample_sector_names[SEC_COUNT] = {
  "domestic_work", "fishing", "plantation", "construction", "entertainment", "online_scam",
  "factory", "other"};
enum dest {
  D_MY, D_SA, D_TW, D_HK, D_KH, D_MM, D_PH, D_SG, D_AE, D_KR, D_JP, D_ID, D_OTHER, D_COUNT
};
const char *const sample_destination_names[D_COUNT] = {
  "malaysia", "saudi_arabia", "taiwan", "hong_kong", "cambodia", "myanmar", "philippines",
  "singapore", "uae", "south_korea", "japan", "indonesia", "other"};
const char *const sample_unit_type_names[5] = {"polres", "uptd_ppa", "dinsos", "ngo", "other"};
enum recruiter { RC_FAMILY, RC_ACQUAINTANCE, RC_SPONSOR, RC_P3MI, RC_ONLINE, RC_OTHER };
const char *const sample_recruiter_names[6] = {
  "family", "acquaintance", "sponsor", "p3mi", "online_ad", "other"};
const char *const sample_id_status_names[4] = {"held_self", "held_employer", "none", "forged"};
const char *const sample_migrant_status_names[3] = {
  "pmi_documented", "pmi_undocumented", "not_migrant_worker"};
const char *const sample_language_names[10] = {
  "indonesian", "javanese", "sundanese", "madurese", "sasak", "uab_meto", "bugis", "malay",
  "english", "other"};

static const int dest_weights[SEC_COUNT][D_COUNT] = {
  /*                  MY  SA  TW  HK  KH  MM  PH  SG  AE  KR  JP  ID  other */
  [SEC_DOMESTIC] =   {30, 20, 12, 15, 0,  0,  0,  8,  8,  0,  0,  7,  0},
  [SEC_FISHING] =    {0,  0,  35, 0,  0,  0,  0,  0,  0,  15, 0,  25, 25},
  [SEC_PLANTATION] = {85, 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  15, 0},
  [SEC_CONSTRUCTION] = {50, 25, 0, 0,  0,  0,  0,  0,  10, 5,  0,  10, 0},
  [SEC_ENTERTAINMENT] = {20, 0, 0, 0,  0,  0,  0,  5,  0,  0,  10, 65, 0},
  [SEC_ONLINE_SCAM] = {0, 0,  0,  0,  45, 30, 15, 0,  0,  0,  0,  0,  10},
  [SEC_FACTORY] =    {25, 0,  30, 0,  0,  0,  0,  0,  0,  25, 20, 0,  0},
  [SEC_OTHER] =      {40, 20, 0,  0,  0,  0,  0,  0,  0,  0,  0,  40, 0},
};

static const char *const place_my[] = {"Kuala Lumpur", "Johor Bahru", "Penang", "Kuching, Sarawak",
  "Selangor"};
static const char *const place_my_estate[] = {"Tawau, Sabah", "Lahad Datu, Sabah", "Sandakan, Sabah"};
static const char *const place_sa[] = {"Riyadh", "Jeddah", "Dammam"};
static const char *const place_tw[] = {"Taipei", "Kaohsiung", "Taichung"};
static const char *const place_hk[] = {"Kowloon", "Tuen Mun", "Sha Tin"};
static const char *const place_kh[] = {"Sihanoukville", "Phnom Penh", "Bavet"};
static const char *const place_mm[] = {"Myawaddy", "Shwe Kokko"};
static const char *const place_ph[] = {"Pampanga", "Pasay, Manila"};
static const char *const place_sg[] = {"Singapura"};
static const char *const place_ae[] = {"Dubai", "Abu Dhabi"};
static const char *const place_kr[] = {"Busan", "Ansan", "Incheon"};
static const char *const place_jp[] = {"Osaka", "Ibaraki", "Nagoya"};
static const char *const place_id_fish[] = {"Benjina, Kepulauan Aru", "Bitung", "Muara Baru, Jakarta"};
static const char *const place_id_ent[] = {"Batam", "Jakarta Barat", "Badung, Bali", "Tanjung Pinang"};
static const char *const place_id_other[] = {"Jakarta Selatan", "Tangerang Selatan", "Surabaya",
  "Kutai Kartanegara"};
static const char *const other_fish[] = {"Mauritius", "Afrika Selatan", "Fiji"};
static const char *const other_scam[] = {"Laos", "Thailand"};

static const char *const transit_my[] = {"Batam", "Nunukan", "Entikong", "Tanjung Pinang", "Dumai"};
static const char *const transit_far[] = {"Jakarta", "Surabaya", "Jakarta, Kuala Lumpur"};
static const char *const transit_mekong[] = {"Jakarta, Bangkok", "Batam, Singapura",
  "Jakarta, Kuala Lumpur", "Medan, Bangkok, Mae Sot"};
static const char *const transit_id[] = {"Surabaya", "Jakarta", "Makassar", "Semarang"};
static const char *const transit_sea[] = {"Jakarta, Busan", "Jakarta, Kaohsiung",
  "Jakarta, Port Louis"};

static const char *const recruiter_other[] = {"Agen di negara tujuan", "Tokoh masyarakat di desa",
  "Majikan sebelumnya", "Pacar yang dikenal lewat media sosial"};
static const char *const recruiter_other_sea[] = {"Pemilik kapal", "Agen awak kapal (manning agency)"};
static const char *const phone_prefix[] = {"812", "813", "821", "822", "852", "853", "817", "818",
  "819", "877", "878", "857", "856", "895", "896", "898", "838", "831"};

int32_t sample_anchor_days(void)
{
  return sdate_from_ymd(2026, 11, 1);
}

static void make_name(srng_t *r, sample_case_t *c)
{
  if (c->foreign) {
    snprintf(c->full_name, sizeof c->full_name, "%s",
             srng_pick(r, c->foreign->names, c->foreign->n_names));
    return;
  }
  const sample_names_t *g = &sample_name_groups[c->origin->group];
  const char *first = c->female ? srng_pick(r, g->female_first, g->n_female_first)
                                : srng_pick(r, g->male_first, g->n_male_first);
  const char *second = c->female ? srng_pick(r, g->female_second, g->n_female_second)
                                 : srng_pick(r, g->male_second, g->n_male_second);
  /* Sasak titles and Buton prefixes never stand alone. */
  int needs_second = !strcmp(first, "Baiq") || !strcmp(first, "Lalu") || !strcmp(first, "Wa Ode") ||
                     !strcmp(first, "La Ode") || !strcmp(first, "Muh.");
  if (needs_second || srng_pct(r, g->second_pct))
    snprintf(c->full_name, sizeof c->full_name, "%s %s", first, second);
  else
    snprintf(c->full_name, sizeof c->full_name, "%s", first);
}

static void make_phone(srng_t *r, sample_case_t *c)
{
  char digits[12];
  int n = srng_range(r, 7, 8);
  for (int i = 0; i < n; i++)
    digits[i] = (char)('0' + srng_below(r, 10));
  digits[n] = '\0';
  snprintf(c->phone, sizeof c->phone, "%s%s%s", srng_pct(r, 20) ? "+62" : "0",
           SAMPLE_PICK(r, phone_prefix), digits);
}

/* Date of birth giving exactly `age` whole years at the interview (days 1-28 only, so no
 * 29 February ambiguity). */
static int32_t make_dob(srng_t *r, int32_t interview, int age)
{
  int y, m, d;
  sdate_to_ymd(interview, &y, &m, &d);
  int bm = srng_range(r, 1, 12), bd = srng_range(r, 1, 28);
  int by = y - age;
  if (bm > m || (bm == m && bd > d))
    by--;
  return sdate_from_ymd(by, bm, bd);
}

static const sample_region_t *find_site(const char *code)
{
  for (size_t i = 0; i < sample_site_count; i++)
    if (!strcmp(sample_sites[i].code, code))
      return &sample_sites[i];
  assert(0);
  return &sample_sites[0];
}

static void draw_place(srng_t *r, sample_case_t *c, int dest)
{
  c->destination = sample_destination_names[dest];
  c->destination_other = NULL;
  const char *const *places = NULL;
  size_t n = 0;
#define USE(a) (places = (a), n = SAMPLE_COUNT(a))
  switch (dest) {
  case D_MY: if (c->sector == SEC_PLANTATION) USE(place_my_estate); else USE(place_my); break;
  case D_SA: USE(place_sa); break;
  case D_TW: USE(place_tw); break;
  case D_HK: USE(place_hk); break;
  case D_KH: USE(place_kh); break;
  case D_MM: USE(place_mm); break;
  case D_PH: USE(place_ph); break;
  case D_SG: USE(place_sg); break;
  case D_AE: USE(place_ae); break;
  case D_KR: USE(place_kr); break;
  case D_JP: USE(place_jp); break;
  case D_ID:
    if (c->sector == SEC_FISHING) USE(place_id_fish);
    else if (c->sector == SEC_ENTERTAINMENT) USE(place_id_ent);
    else USE(place_id_other);
    break;
  default:
    c->destination_other = c->sector == SEC_ONLINE_SCAM ? SAMPLE_PICK(r, other_scam)
                                                        : SAMPLE_PICK(r, other_fish);
  }
  c->destination_place = n && srng_pct(r, 80) ? srng_pick(r, places, n) : NULL;

  if (dest == D_MY || dest == D_SG)
    USE(transit_my);
  else if (dest == D_KH || dest == D_MM || dest == D_PH ||
           (dest == D_OTHER && c->sector == SEC_ONLINE_SCAM))
    USE(transit_mekong);
  else if (dest == D_OTHER)
    USE(transit_sea);
  else if (dest == D_ID)
    USE(transit_id);
  else
    USE(transit_far);
#undef USE
  if (c->sector == SEC_PLANTATION && dest == D_MY)
    c->transit = "Nunukan";
  else
    c->transit = srng_pct(r, 70) ? srng_pick(r, places, n) : NULL;
}

/* Where the interview happens: at home after return, or where the person was intercepted. */
static void draw_site(srng_t *r, sample_case_t *c, int dest)
{
  if (c->foreign) {
    c->site = find_site(srng_pct(r, 60) ? "71.72" : "31.75");
    return;
  }
  if (srng_pct(r, 50)) {
    c->site = c->origin;
    return;
  }
  if (c->sector == SEC_PLANTATION && dest == D_MY)
    c->site = find_site("65.04");
  else if ((dest == D_MY || dest == D_SG || dest == D_KH) && srng_pct(r, 60))
    c->site = find_site("21.71");
  else if (c->sector == SEC_FISHING)
    c->site = find_site(srng_pct(r, 60) ? "31.75" : srng_pct(r, 50) ? "71.72" : "35.78");
  else if (c->origin->group == NG_NTT)
    c->site = find_site("53.71");
  else if (c->origin->group == NG_SULTRA)
    c->site = find_site("73.71");
  else if (c->origin->group == NG_SASAK)
    c->site = find_site(srng_pct(r, 70) ? "52.71" : "35.78");
  else {
    static const char *const java[] = {"31.75", "35.78", "21.71"};
    c->site = find_site(SAMPLE_PICK(r, java));
  }
}

static void draw_unit(srng_t *r, sample_case_t *c)
{
  static const int w[] = {35, 30, 15, 15, 5};
  size_t t = srng_weighted(r, w, 5);
  c->unit_type = sample_unit_type_names[t];
  c->unit_type_other = NULL;
  switch (t) {
  case 0: snprintf(c->unit_name, sizeof c->unit_name, "%s", c->site->police); break;
  case 1: snprintf(c->unit_name, sizeof c->unit_name, "UPTD PPA %s", c->site->name); break;
  case 2: snprintf(c->unit_name, sizeof c->unit_name, "Dinas Sosial %s", c->site->name); break;
  case 3:
    snprintf(c->unit_name, sizeof c->unit_name, "%s",
             srng_pick(r, sample_ngos, sample_ngo_count));
    break;
  default:
    if (srng_pct(r, 50)) {
      c->unit_type_other = "Gugus Tugas TPPO";
      snprintf(c->unit_name, sizeof c->unit_name, "Gugus Tugas TPPO %s", c->site->name);
    } else {
      c->unit_type_other = "Pos pelayanan BP3MI";
      snprintf(c->unit_name, sizeof c->unit_name, "Pos Pelayanan BP3MI %s", c->site->name);
    }
  }
}

static void draw_languages(srng_t *r, sample_case_t *c)
{
  c->n_langs = 0;
  c->languages_other = NULL;
  c->interpreter = 0;
  c->interpreter_language = NULL;
  if (c->foreign) {
    c->langs[c->n_langs++] = "other";
    c->languages_other = c->foreign->language;
    if (srng_pct(r, 25))
      c->langs[c->n_langs++] = "english";
    c->interpreter = 1;
    c->interpreter_language = c->foreign->language;
    return;
  }
  int speaks_indonesian = c->origin->group != NG_NTT || srng_pct(r, 85);
  if (speaks_indonesian)
    c->langs[c->n_langs++] = "indonesian";
  c->langs[c->n_langs++] = c->origin->language;
  if (!strcmp(c->origin->language, "other"))
    c->languages_other = c->origin->language_other;
  if (!strcmp(c->destination, "malaysia") && srng_pct(r, 20))
    c->langs[c->n_langs++] = "malay";
  if (srng_pct(r, 4))
    c->langs[c->n_langs++] = "english";
  if (!speaks_indonesian || srng_pct(r, 6)) {
    c->interpreter = 1;
    c->interpreter_language = !strcmp(c->origin->language, "uab_meto") ? "Bahasa Dawan (Uab Meto)"
                              : !strcmp(c->origin->language, "sasak")  ? "Bahasa Sasak"
                              : !strcmp(c->origin->language, "madurese") ? "Bahasa Madura"
                              : c->languages_other ? c->languages_other
                                                   : "Bahasa Jawa";
  }
}

static int draw_age(srng_t *r, int child)
{
  static const int w[] = {5, 10, 20, 30, 35};   /* 13..17 */
  if (child)
    return 13 + (int)srng_weighted(r, w, 5);
  int age = 18 + srng_range(r, 0, 15) + srng_range(r, 0, 15);
  if (srng_pct(r, 10))
    age += srng_range(r, 0, 10);
  return age;
}

static int draw_sector(srng_t *r, const sample_case_t *c)
{
  static const int adult[SEC_COUNT] = {24, 20, 12, 8, 8, 14, 9, 5};
  static const int minor[SEC_COUNT] = {30, 8, 10, 0, 42, 0, 0, 10};
  int s = (int)srng_weighted(r, c->child ? minor : adult, SEC_COUNT);
  if (c->kind == KIND_NONE && s == SEC_ONLINE_SCAM)
    s = SEC_FACTORY;
  return s;
}

static void draw_migration(srng_t *r, sample_case_t *c, int dest)
{
  static const int w_child[] = {25, 35, 30, 0, 10, 0};
  static const int w_scam[] = {0, 20, 5, 0, 70, 5};
  static const int w_strong[] = {10, 20, 40, 10, 15, 5};
  static const int w_needs[] = {10, 20, 30, 25, 10, 5};
  static const int w_none[] = {15, 15, 10, 55, 5, 0};
  const int *w = c->child ? w_child : c->sector == SEC_ONLINE_SCAM ? w_scam
               : c->kind == KIND_NEEDS ? w_needs : c->kind == KIND_NONE ? w_none : w_strong;
  size_t rc = srng_weighted(r, w, 6);
  if (c->foreign)
    rc = RC_OTHER;
  if (rc == RC_P3MI && dest == D_ID)
    rc = RC_SPONSOR;   /* P3MI only place workers abroad */
  c->recruited_by = sample_recruiter_names[rc];
  c->recruited_by_other = rc != RC_OTHER ? NULL
                          : c->foreign ? "Agen penyalur di negara asal"
                          : c->sector == SEC_FISHING ? SAMPLE_PICK(r, recruiter_other_sea)
                                                     : SAMPLE_PICK(r, recruiter_other);

  c->sector_other = c->sector == SEC_OTHER
                        ? srng_pick(r, sample_sector_other, sample_sector_other_count) : NULL;

  /* Departure: before the interview and, for a child, not before the age of twelve. */
  c->has_departure = srng_pct(r, 85);
  int back_max = c->child ? (c->age - 12) * 365 + 150 : 1500;
  if (back_max < 30)
    back_max = 30;
  c->departure = c->interview - srng_range(r, 20, back_max);

  if (dest == D_ID) {
    c->migrant_status = "not_migrant_worker";
  } else {
    int undocumented = c->child ? 100 : c->sector == SEC_ONLINE_SCAM ? 90
                       : c->kind == KIND_NEEDS ? 55 : c->kind == KIND_NONE ? 25 : 70;
    if (rc == RC_P3MI && !c->child)
      undocumented = 20;
    c->migrant_status = srng_pct(r, undocumented) ? "pmi_undocumented" : "pmi_documented";
  }
}

/* The job turned out exploitative only if a purpose of exploitation is established (for
 * entertainment: sexual exploitation, which is what those descriptions say). */
static void draw_jobs(srng_t *r, sample_case_t *c)
{
  const sample_jobs_t *j = &sample_jobs[c->sector];
  int exploited = c->sector == SEC_ENTERTAINMENT ? c->purpose[P_SEXUAL] == ANS_YES
                                                 : sample_count_yes(c->purpose, N_PURPOSES) > 0;
  c->job_promised = srng_pct(r, 90) ? srng_pick(r, j->promised, j->n_promised) : NULL;
  if (!srng_pct(r, 85) || (!exploited && c->kind == KIND_NEEDS && srng_pct(r, 50)))
    c->job_actual = NULL;   /* not recorded, or intercepted before starting work */
  else if (exploited)
    c->job_actual = srng_pick(r, j->exploited, j->n_exploited);
  else
    c->job_actual = srng_pick(r, j->ordinary, j->n_ordinary);
}

static void draw_documents(srng_t *r, sample_case_t *c)
{
  static const int w_strong[] = {15, 50, 15, 20};
  static const int w_needs[] = {40, 35, 15, 10};
  static const int w_none[] = {85, 5, 10, 0};
  const int *w = c->kind == KIND_NONE ? w_none : c->kind == KIND_NEEDS ? w_needs : w_strong;
  size_t s = srng_weighted(r, w, 4);
  if (c->ilo[ILO_DOCUMENTS] == ANS_YES)
    s = 1;
  else if (c->means[M_FORGERY] == ANS_YES && srng_pct(r, 60))
    s = 3;
  else if (c->child && strcmp(c->destination, "indonesia") && s == 0)
    s = 3;   /* a child sent abroad travels on falsified papers */
  c->id_document_status = sample_id_status_names[s];
}

void sample_case_draw(srng_t *r, sample_case_t *c)
{
  memset(c, 0, sizeof *c);
  static const int kinds[] = {35, 35, 20, 10};
  c->kind = (int)srng_weighted(r, kinds, 4);
  c->interview = sample_anchor_days() - srng_range(r, 0, 729);
  c->child = srng_pct(r, 22);
  c->age = draw_age(r, c->child);
  c->sector = draw_sector(r, c);

  static const int female_pct[SEC_COUNT] = {92, 3, 40, 5, 92, 35, 55, 50};
  c->female = srng_pct(r, female_pct[c->sector]);
  c->has_dob = srng_pct(r, c->child ? 45 : 65);
  c->dob = make_dob(r, c->interview, c->age);

  int dest;
  if (c->sector == SEC_FISHING && srng_pct(r, 15)) {
    c->foreign = &sample_foreigners[srng_below(r, (uint32_t)sample_foreigner_count)];
    dest = D_ID;
  } else {
    c->origin = &sample_origins[srng_below(r, (uint32_t)sample_origin_count)];
    c->origin_code_known = srng_pct(r, 85);
    dest = c->child && srng_pct(r, 55) ? D_ID
                                       : (int)srng_weighted(r, dest_weights[c->sector], D_COUNT);
  }
  draw_place(r, c, dest);
  draw_site(r, c, dest);
  draw_unit(r, c);
  draw_languages(r, c);
  c->safe_to_talk = c->kind == KIND_REFUSED ? srng_pct(r, 70) : srng_pct(r, 98);

  if (srng_pct(r, c->child ? 60 : 70))
    make_name(r, c);
  if (srng_pct(r, 45))
    make_phone(r, c);

  draw_migration(r, c, dest);
  sample_draw_indicators(r, c);
  draw_jobs(r, c);
  draw_documents(r, c);
  c->category = sample_case_category(c);
  sample_draw_needs(r, c);
  sample_draw_outcome(r, c);
}
