/* Internal to syncsample: the PRNG, a small JSON writer and the data tables the generator draws
 * from (sample_data.c). Nothing here is part of any installed interface. */
#ifndef SYNC_SAMPLE_INTERNAL_H
#define SYNC_SAMPLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* ---- PRNG: xoshiro256** seeded through splitmix64 (sample_rng.c) ---- */
typedef struct srng {
  uint64_t s[4];
} srng_t;

void srng_seed(srng_t *r, uint64_t seed);
uint64_t srng_next(srng_t *r);
/* Uniform in [0, n); n > 0. */
uint32_t srng_below(srng_t *r, uint32_t n);
/* Uniform in [lo, hi] (inclusive). */
int srng_range(srng_t *r, int lo, int hi);
/* True with probability pct/100. */
int srng_pct(srng_t *r, int pct);
/* Index drawn with the given non-negative integer weights (sum > 0). */
size_t srng_weighted(srng_t *r, const int *weights, size_t n);
/* A random element of a string array. */
const char *srng_pick(srng_t *r, const char *const *items, size_t n);
/* Fills idx[0..k-1] with k distinct values from [0, n), k <= n. */
void srng_distinct(srng_t *r, size_t n, size_t k, size_t *idx);

#define SAMPLE_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SAMPLE_PICK(r, a) srng_pick((r), (a), SAMPLE_COUNT(a))

/* ---- JSON object writer (sample_json.c): keys in call order, strings escaped ---- */
typedef struct jbuf {
  char *data;
  size_t len, cap;
  int failed;   /* set on out of memory; later calls do nothing */
  int fields;   /* members written so far */
} sjbuf_t;

void sj_begin(sjbuf_t *b);
void sj_str(sjbuf_t *b, const char *key, const char *value);
void sj_int(sjbuf_t *b, const char *key, long long value);
void sj_bool(sjbuf_t *b, const char *key, int value);
void sj_strs(sjbuf_t *b, const char *key, const char *const *values, size_t n);
/* Closes the object and returns the text (owned by the caller), or NULL if anything failed. */
char *sj_end(sjbuf_t *b);

/* ---- dates: proleptic Gregorian, days since 1970-01-01 ---- */
int32_t sdate_from_ymd(int y, int m, int d);
void sdate_to_ymd(int32_t days, int *y, int *m, int *d);
void sdate_format(int32_t days, char out[11]);

/* ---- data tables (sample_data.c) ---- */
enum name_group { NG_JAVA, NG_SUNDA, NG_SASAK, NG_NTT, NG_SULTRA, NG_COUNT };

typedef struct sample_region {
  const char *code;        /* Kemendagri regency/city code "NN.NN" */
  const char *name;        /* "Kab. Ponorogo" */
  const char *police;      /* the Polres/Polresta of that area */
  int group;               /* enum name_group; -1 for transit/port sites that are not origins */
  const char *language;    /* local language choice name, "other" or NULL */
  const char *language_other; /* text when language is "other" */
} sample_region_t;

extern const sample_region_t sample_origins[];
extern const size_t sample_origin_count;
extern const sample_region_t sample_sites[];     /* transit and port cities */
extern const size_t sample_site_count;

typedef struct sample_names {
  const char *const *female_first; size_t n_female_first;
  const char *const *female_second; size_t n_female_second;
  const char *const *male_first; size_t n_male_first;
  const char *const *male_second; size_t n_male_second;
  int second_pct;          /* how often a second name / family name is added */
} sample_names_t;

extern const sample_names_t sample_name_groups[NG_COUNT];

typedef struct sample_foreign {
  const char *nationality;   /* free text, in Indonesian */
  const char *language;      /* languages_other / interpreter_language text */
  const char *const *names; size_t n_names;
} sample_foreign_t;

extern const sample_foreign_t sample_foreigners[];
extern const size_t sample_foreigner_count;

extern const char *const sample_ngos[];
extern const size_t sample_ngo_count;

/* Sectors, in the order of the form's "sectors" list. */
enum sector {
  SEC_DOMESTIC, SEC_FISHING, SEC_PLANTATION, SEC_CONSTRUCTION, SEC_ENTERTAINMENT,
  SEC_ONLINE_SCAM, SEC_FACTORY, SEC_OTHER, SEC_COUNT
};

typedef struct sample_jobs {
  const char *const *promised; size_t n_promised;
  const char *const *exploited; size_t n_exploited;   /* what the job turned out to be */
  const char *const *ordinary; size_t n_ordinary;     /* the job, no exploitation established */
} sample_jobs_t;

extern const sample_jobs_t sample_jobs[SEC_COUNT];
extern const char *const sample_sector_other[];
extern const size_t sample_sector_other_count;

/* ILO indicators, in form order. */
enum ilo {
  ILO_VULNERABILITY, ILO_DECEPTION, ILO_MOVEMENT, ILO_ISOLATION, ILO_VIOLENCE, ILO_THREATS,
  ILO_DOCUMENTS, ILO_WAGES, ILO_DEBT, ILO_CONDITIONS, ILO_OVERTIME, ILO_COUNT
};

typedef struct sample_note {
  int ilo;                 /* enum ilo */
  unsigned sectors;        /* bit mask of (1u << enum sector); 0 means any sector */
  const char *text;
} sample_note_t;
/* In sample_note_t.sectors: the note is about a child (any sector). */
#define SAMPLE_NOTE_CHILD (1u << 31)

extern const sample_note_t sample_ilo_notes[];
extern const size_t sample_ilo_note_count;

extern const char *const sample_officer_notes[];
extern const size_t sample_officer_note_count;
extern const char *const sample_other_needs[];
extern const size_t sample_other_need_count;

/* ---- one generated case (sample_case.c builds it, sample.c writes it) ---- */
enum case_kind { KIND_STRONG, KIND_NEEDS, KIND_NONE, KIND_REFUSED };
enum answer { ANS_NO, ANS_YES, ANS_UNKNOWN };
enum { N_ACTS = 6, N_MEANS = 9, N_PURPOSES = 6, N_NEEDS = 6, MAX_LANGS = 4, MAX_REFERRALS = 8 };
/* Categories in the order of the form's "result_categories" list. */
enum category { CAT_STRONG, CAT_NEEDS, CAT_NONE };

typedef struct sample_case {
  int kind;                       /* enum case_kind */
  /* context */
  int32_t interview;              /* days since the epoch */
  const sample_region_t *site;    /* where the interview takes place */
  const char *unit_type, *unit_type_other;
  char unit_name[160];
  int interpreter;
  const char *interpreter_language;
  int safe_to_talk;
  /* person */
  char full_name[96];             /* "" when not recorded */
  char phone[24];                 /* "" when not recorded */
  int female, child, age;
  int has_dob;
  int32_t dob;
  const sample_foreign_t *foreign;  /* NULL for Indonesian citizens */
  const sample_region_t *origin;    /* NULL for foreign nationals */
  int origin_code_known;
  const char *langs[MAX_LANGS];
  size_t n_langs;
  const char *languages_other;
  const char *id_document_status;
  /* migration */
  const char *recruited_by, *recruited_by_other;
  const char *job_promised, *job_actual;
  int sector;                     /* enum sector */
  const char *sector_other;
  int has_departure;
  int32_t departure;
  const char *transit, *destination, *destination_other, *destination_place;
  const char *migrant_status;
  /* indicators */
  unsigned char act[N_ACTS], means[N_MEANS], purpose[N_PURPOSES], ilo[ILO_COUNT];
  const char *ilo_note[ILO_COUNT];
  /* needs */
  int need[N_NEEDS];
  const char *need_other, *urgency;
  /* outcome */
  int category;                   /* enum category, as the form computes it */
  int officer_agrees;
  int officer_result;             /* enum category when officer_agrees is 0 */
  const char *officer_reason;
  const char *referrals[MAX_REFERRALS];
  size_t n_referrals;
  int has_follow_up;
  int32_t follow_up;
  char officer_notes[400];
} sample_case_t;

/* Choice names, in form order (sample_case.c, sample_assess.c). */
extern const char *const sample_sector_names[SEC_COUNT];
extern const char *const sample_destination_names[13];
extern const char *const sample_category_names[3];
extern const char *const sample_referral_names[8];
extern const char *const sample_unit_type_names[5];
extern const char *const sample_recruiter_names[6];
extern const char *const sample_id_status_names[4];
extern const char *const sample_migrant_status_names[3];
extern const char *const sample_urgency_names[3];
extern const char *const sample_language_names[10];

/* Item indices, in form order. */
enum { ACT_RECRUIT, ACT_TRANSPORT, ACT_HARBOUR, ACT_SEND, ACT_TRANSFER, ACT_RECEIPT };
enum { M_THREAT, M_VIOLENCE, M_ABDUCTION, M_CONFINE, M_FORGERY, M_DECEPTION, M_ABUSE, M_DEBT,
       M_PAYMENT };
enum { P_SEXUAL, P_LABOUR, P_SLAVERY, P_SERVITUDE, P_ORGANS, P_REPRODUCTIVE };
enum { NEED_MEDICAL, NEED_PSYCH, NEED_SHELTER, NEED_PROTECT, NEED_REPATRIATE, NEED_LEGAL };
#define SAMPLE_BIT(x) (1u << (x))

/* The anchor date as days since the epoch. */
int32_t sample_anchor_days(void);
/* Draws one complete, coherent case (sample_case.c). */
void sample_case_draw(srng_t *r, sample_case_t *c);
/* The category the form computes for these answers (age, AMP and ILO answers). */
int sample_case_category(const sample_case_t *c);
/* sample_assess.c: the indicators for c->kind / c->sector / c->child; then, once
 * c->category is set, the needs and the officer's outcome. */
void sample_draw_indicators(srng_t *r, sample_case_t *c);
void sample_draw_needs(srng_t *r, sample_case_t *c);
void sample_draw_outcome(srng_t *r, sample_case_t *c);
size_t sample_count_yes(const unsigned char *answers, size_t n);

#endif
