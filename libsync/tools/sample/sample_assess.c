/* The assessment half of a generated case: which act / means / purpose and ILO indicators are
 * answered yes for the drawn case kind and sector, what the person needs, and what the officer
 * decides and refers to. The category computed here mirrors the form's calculations exactly, so
 * an officer who disagrees always picks a different category (the form's constraint). */
#include "sample_internal.h"

#include <stdio.h>
#include <string.h>

#define B(x) SAMPLE_BIT(x)

const char *const sample_category_names[3] = {
  "strong_indication", "needs_assessment", "no_indication"};
enum referral { R_UPTD, R_DINSOS, R_RPTC, R_LPSK, R_BP3MI, R_HOSPITAL, R_POLICE, R_NONE };
const char *const sample_referral_names[8] = {
  "uptd_ppa", "dinsos", "rptc", "lpsk", "bp3mi", "hospital", "police_investigation", "none"};
const char *const sample_urgency_names[3] = {"immediate", "within_week", "routine"};

/* Which indicators are plausible in each sector (bit masks). */
typedef struct profile {
  unsigned acts, means, purposes, ilos;
} profile_t;

static const profile_t profiles[SEC_COUNT] = {
  [SEC_DOMESTIC] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_HARBOUR) | B(ACT_SEND) | B(ACT_RECEIPT),
    B(M_DECEPTION) | B(M_FORGERY) | B(M_DEBT) | B(M_ABUSE) | B(M_CONFINE) | B(M_PAYMENT),
    B(P_LABOUR) | B(P_SERVITUDE) | B(P_SLAVERY),
    B(ILO_VULNERABILITY) | B(ILO_DECEPTION) | B(ILO_MOVEMENT) | B(ILO_ISOLATION) |
      B(ILO_VIOLENCE) | B(ILO_DOCUMENTS) | B(ILO_WAGES) | B(ILO_OVERTIME) | B(ILO_CONDITIONS)},
  [SEC_FISHING] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_SEND) | B(ACT_TRANSFER) | B(ACT_RECEIPT),
    B(M_DECEPTION) | B(M_DEBT) | B(M_ABUSE) | B(M_FORGERY) | B(M_VIOLENCE) | B(M_THREAT) |
      B(M_CONFINE),
    B(P_LABOUR) | B(P_SLAVERY),
    B(ILO_DECEPTION) | B(ILO_ISOLATION) | B(ILO_VIOLENCE) | B(ILO_THREATS) | B(ILO_DOCUMENTS) |
      B(ILO_WAGES) | B(ILO_DEBT) | B(ILO_CONDITIONS) | B(ILO_OVERTIME)},
  [SEC_PLANTATION] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_HARBOUR) | B(ACT_SEND),
    B(M_DECEPTION) | B(M_DEBT) | B(M_ABUSE) | B(M_FORGERY),
    B(P_LABOUR),
    B(ILO_VULNERABILITY) | B(ILO_DECEPTION) | B(ILO_ISOLATION) | B(ILO_DOCUMENTS) |
      B(ILO_WAGES) | B(ILO_DEBT) | B(ILO_CONDITIONS) | B(ILO_OVERTIME)},
  [SEC_CONSTRUCTION] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_HARBOUR) | B(ACT_SEND),
    B(M_DECEPTION) | B(M_DEBT) | B(M_ABUSE) | B(M_THREAT),
    B(P_LABOUR),
    B(ILO_DECEPTION) | B(ILO_THREATS) | B(ILO_DOCUMENTS) | B(ILO_WAGES) | B(ILO_DEBT) |
      B(ILO_CONDITIONS) | B(ILO_OVERTIME)},
  [SEC_ENTERTAINMENT] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_HARBOUR) | B(ACT_TRANSFER) | B(ACT_RECEIPT),
    B(M_DECEPTION) | B(M_DEBT) | B(M_CONFINE) | B(M_THREAT) | B(M_VIOLENCE) | B(M_PAYMENT) |
      B(M_ABUSE) | B(M_ABDUCTION),
    B(P_SEXUAL) | B(P_LABOUR),
    B(ILO_VULNERABILITY) | B(ILO_DECEPTION) | B(ILO_MOVEMENT) | B(ILO_ISOLATION) |
      B(ILO_VIOLENCE) | B(ILO_THREATS) | B(ILO_DEBT) | B(ILO_WAGES)},
  [SEC_ONLINE_SCAM] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_SEND) | B(ACT_TRANSFER) | B(ACT_RECEIPT),
    B(M_DECEPTION) | B(M_CONFINE) | B(M_VIOLENCE) | B(M_THREAT) | B(M_DEBT),
    B(P_LABOUR) | B(P_SLAVERY),
    B(ILO_DECEPTION) | B(ILO_MOVEMENT) | B(ILO_ISOLATION) | B(ILO_VIOLENCE) | B(ILO_THREATS) |
      B(ILO_DOCUMENTS) | B(ILO_DEBT) | B(ILO_OVERTIME)},
  [SEC_FACTORY] = {
    B(ACT_RECRUIT) | B(ACT_SEND) | B(ACT_HARBOUR),
    B(M_DECEPTION) | B(M_DEBT) | B(M_FORGERY),
    B(P_LABOUR),
    B(ILO_DECEPTION) | B(ILO_DOCUMENTS) | B(ILO_WAGES) | B(ILO_DEBT) | B(ILO_OVERTIME) |
      B(ILO_CONDITIONS)},
  [SEC_OTHER] = {
    B(ACT_RECRUIT) | B(ACT_TRANSPORT) | B(ACT_HARBOUR),
    B(M_DECEPTION) | B(M_ABUSE) | B(M_DEBT),
    B(P_LABOUR) | B(P_SERVITUDE),
    B(ILO_VULNERABILITY) | B(ILO_DECEPTION) | B(ILO_WAGES) | B(ILO_CONDITIONS) |
      B(ILO_MOVEMENT)},
};

static const char *const reasons[3][3][2] = {
  [CAT_STRONG][CAT_NEEDS] = {
    "Keterangan korban belum konsisten; perlu asesmen lanjutan oleh UPTD PPA.",
    "Unsur cara masih perlu diperkuat dengan keterangan saksi."},
  [CAT_STRONG][CAT_NONE] = {
    "Setelah klarifikasi, korban bekerja sesuai kontrak dan pulang atas kemauan sendiri.",
    "Keterangan awal keliru; pekerjaan sesuai perjanjian dan tidak ada pihak yang mengeksploitasi."},
  [CAT_NEEDS][CAT_STRONG] = {
    "Ada bukti tambahan dari dokumen perjalanan dan keterangan saksi.",
    "Korban diancam dan utangnya dipakai untuk menahannya; unsur cara terpenuhi."},
  [CAT_NEEDS][CAT_NONE] = {
    "Kasus perselisihan hubungan kerja, bukan TPPO; ditangani BP3MI.",
    "Korban berangkat secara mandiri dan tidak ada pihak yang mengeksploitasi."},
  [CAT_NONE][CAT_NEEDS] = {
    "Korban tampak takut dan keterangannya berubah-ubah; perlu wawancara ulang.",
    "Ada indikasi jeratan utang yang belum terungkap."},
  [CAT_NONE][CAT_STRONG] = {
    "Informasi dari keluarga menunjukkan korban dijual kepada penampung.",
    "Saksi lain dari tempat kerja yang sama menerangkan adanya penyekapan."},
};

size_t sample_count_yes(const unsigned char *a, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += a[i] == ANS_YES;
  return k;
}

int sample_case_category(const sample_case_t *c)
{
  size_t acts = sample_count_yes(c->act, N_ACTS), means = sample_count_yes(c->means, N_MEANS);
  size_t purposes = sample_count_yes(c->purpose, N_PURPOSES);
  size_t ilos = sample_count_yes(c->ilo, ILO_COUNT);
  if (acts > 0 && purposes > 0 && (c->child || means > 0))
    return CAT_STRONG;
  if (ilos >= 2 || acts > 0 || purposes > 0)
    return CAT_NEEDS;
  return CAT_NONE;
}

/* Marks between kmin and kmax of the items in `mask` as yes (fewer if the mask is smaller). */
static void mark(srng_t *r, unsigned char *a, unsigned mask, int kmin, int kmax)
{
  size_t pool[32], n = 0, idx[32];
  for (size_t i = 0; i < 32; i++)
    if (mask & B(i))
      pool[n++] = i;
  if (kmax > (int)n)
    kmax = (int)n;
  if (kmin > kmax)
    kmin = kmax;
  size_t k = (size_t)srng_range(r, kmin, kmax);
  srng_distinct(r, n, k, idx);
  for (size_t i = 0; i < k; i++)
    a[pool[idx[i]]] = ANS_YES;
}

/* Every item not yet "yes" becomes "unknown" with probability unknown_pct, else "no". */
static void settle(srng_t *r, unsigned char *a, size_t n, int unknown_pct)
{
  for (size_t i = 0; i < n; i++)
    if (a[i] != ANS_YES)
      a[i] = srng_pct(r, unknown_pct) ? ANS_UNKNOWN : ANS_NO;
}

void sample_draw_indicators(srng_t *r, sample_case_t *c)
{
  const profile_t *p = &profiles[c->sector];
  memset(c->act, ANS_NO, sizeof c->act);
  memset(c->means, ANS_NO, sizeof c->means);
  memset(c->purpose, ANS_NO, sizeof c->purpose);
  memset(c->ilo, ANS_NO, sizeof c->ilo);
  int unknown = 12;
  if (c->kind == KIND_STRONG || c->kind == KIND_REFUSED) {
    mark(r, c->act, p->acts, 1, 4);
    if (!c->child || srng_pct(r, 60))
      mark(r, c->means, p->means, c->child ? 0 : 1, 4);
    if (c->sector == SEC_ENTERTAINMENT && srng_pct(r, 85))
      c->purpose[P_SEXUAL] = ANS_YES;
    else
      mark(r, c->purpose, p->purposes, 1, 2);
    mark(r, c->ilo, p->ilos, 2, 7);
  } else if (c->kind == KIND_NEEDS) {
    /* a: act and purpose but no means established (adults only: a child would be "strong");
     * b: an act but no purpose; c: no AMP element, two or more ILO indicators. */
    int v = (int)srng_below(r, 100);
    if (v < 35 && !c->child) {
      mark(r, c->act, p->acts, 1, 2);
      mark(r, c->purpose, p->purposes, 1, 1);
      mark(r, c->ilo, p->ilos, 0, 3);
      settle(r, c->means, N_MEANS, 40);
    } else if (v < 70) {
      mark(r, c->act, p->acts, 1, 2);
      mark(r, c->means, p->means, 0, 2);
      mark(r, c->ilo, p->ilos, 0, 3);
      unknown = 25;
    } else {
      mark(r, c->means, p->means, 0, 1);
      mark(r, c->ilo, p->ilos, 2, 4);
      unknown = 20;
    }
  } else {
    if (srng_pct(r, 60)) {
      static const int mild[] = {ILO_WAGES, ILO_OVERTIME, ILO_CONDITIONS};
      c->ilo[mild[srng_below(r, 3)]] = ANS_YES;
    }
    unknown = 8;
  }
  settle(r, c->act, N_ACTS, unknown);
  settle(r, c->means, N_MEANS, unknown);
  settle(r, c->purpose, N_PURPOSES, unknown);
  settle(r, c->ilo, ILO_COUNT, unknown);

  for (int i = 0; i < ILO_COUNT; i++) {
    c->ilo_note[i] = NULL;
    if (c->ilo[i] != ANS_YES || !srng_pct(r, 85))
      continue;
    const char *cands[16];
    size_t n = 0;
    for (size_t j = 0; j < sample_ilo_note_count && n < 16; j++) {
      const sample_note_t *note = &sample_ilo_notes[j];
      unsigned sectors = note->sectors & ~SAMPLE_NOTE_CHILD;
      if (note->ilo != i || ((note->sectors & SAMPLE_NOTE_CHILD) && !c->child))
        continue;
      if (sectors == 0 || (sectors & B(c->sector)))
        cands[n++] = note->text;
    }
    if (n)
      c->ilo_note[i] = srng_pick(r, cands, n);
  }
}

void sample_draw_needs(srng_t *r, sample_case_t *c)
{
  static const int base[3][N_NEEDS] = {
    [CAT_STRONG] = {60, 80, 65, 45, 0, 75},
    [CAT_NEEDS] = {30, 50, 30, 20, 0, 45},
    [CAT_NONE] = {5, 10, 5, 3, 0, 30},
  };
  int away = c->foreign || c->site != c->origin;
  for (int i = 0; i < N_NEEDS; i++) {
    int pct = base[c->category][i];
    if (i == NEED_REPATRIATE)
      pct = !away ? 3 : c->category == CAT_STRONG ? 85 : c->category == CAT_NEEDS ? 50 : 15;
    if (c->child && (i == NEED_PSYCH || i == NEED_SHELTER))
      pct += 20;
    c->need[i] = srng_pct(r, pct);
  }
  c->need_other = srng_pct(r, 15) ? srng_pick(r, sample_other_needs, sample_other_need_count) : NULL;
  int any = 0;
  for (int i = 0; i < N_NEEDS; i++)
    any |= c->need[i];
  static const int w[3][3] = {[CAT_STRONG] = {40, 45, 15}, [CAT_NEEDS] = {15, 45, 40},
                              [CAT_NONE] = {0, 20, 80}};
  c->urgency = any ? sample_urgency_names[srng_weighted(r, w[c->category], 3)] : NULL;
}

static void add_referral(sample_case_t *c, int which)
{
  for (size_t i = 0; i < c->n_referrals; i++)
    if (c->referrals[i] == sample_referral_names[which])
      return;
  c->referrals[c->n_referrals++] = sample_referral_names[which];
}

void sample_draw_outcome(srng_t *r, sample_case_t *c)
{
  c->officer_agrees = srng_pct(r, 85);
  int final = c->category;
  c->officer_reason = NULL;
  if (!c->officer_agrees) {
    static const int other[3][2] = {[CAT_STRONG] = {CAT_NEEDS, CAT_NONE},
                                    [CAT_NEEDS] = {CAT_STRONG, CAT_NONE},
                                    [CAT_NONE] = {CAT_NEEDS, CAT_STRONG}};
    static const int first_pct[3] = {85, 55, 90};
    final = other[c->category][srng_pct(r, first_pct[c->category]) ? 0 : 1];
    c->officer_result = final;
    c->officer_reason = reasons[c->category][final][srng_below(r, 2)];
  }

  int pmi = !strncmp(c->migrant_status, "pmi_", 4);
  int flags[8] = {0};
  if (final == CAT_STRONG) {
    flags[R_POLICE] = srng_pct(r, 85);
    flags[R_UPTD] = c->child || srng_pct(r, 70);
    flags[R_LPSK] = srng_pct(r, 35);
    flags[R_RPTC] = srng_pct(r, 30);
    flags[R_BP3MI] = pmi && srng_pct(r, 60);
    flags[R_HOSPITAL] = srng_pct(r, c->need[NEED_MEDICAL] ? 80 : 5);
    flags[R_DINSOS] = srng_pct(r, 25);
    if (!flags[R_POLICE] && !flags[R_UPTD])
      flags[R_POLICE] = 1;
  } else if (final == CAT_NEEDS) {
    flags[R_UPTD] = c->child || srng_pct(r, 55);
    flags[R_DINSOS] = srng_pct(r, 40);
    flags[R_BP3MI] = pmi && srng_pct(r, 50);
    flags[R_HOSPITAL] = c->need[NEED_MEDICAL] && srng_pct(r, 70);
    flags[R_POLICE] = srng_pct(r, 20);
    flags[R_RPTC] = srng_pct(r, 10);
    if (!flags[R_UPTD] && !flags[R_DINSOS] && !flags[R_BP3MI])
      flags[R_DINSOS] = 1;
  } else if (srng_pct(r, 40)) {
    flags[pmi ? R_BP3MI : R_DINSOS] = 1;
    flags[R_HOSPITAL] = c->need[NEED_MEDICAL];
  } else {
    flags[R_NONE] = 1;
  }
  c->n_referrals = 0;
  for (int i = 0; i < 8; i++)
    if (flags[i])
      add_referral(c, i);

  static const int days[3][2] = {[CAT_STRONG] = {1, 14}, [CAT_NEEDS] = {3, 30}, [CAT_NONE] = {7, 60}};
  c->has_follow_up = !flags[R_NONE] || srng_pct(r, 20);
  c->follow_up = c->interview + srng_range(r, days[final][0], days[final][1]);

  c->officer_notes[0] = '\0';
  if (srng_pct(r, 40)) {
    const char *a = srng_pick(r, sample_officer_notes, sample_officer_note_count);
    const char *b = srng_pick(r, sample_officer_notes, sample_officer_note_count);
    if (a != b && srng_pct(r, 25))
      snprintf(c->officer_notes, sizeof c->officer_notes, "%s %s", a, b);
    else
      snprintf(c->officer_notes, sizeof c->officer_notes, "%s", a);
  }
}
