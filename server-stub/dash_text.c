/* Dashboard wording (dash_text.h). */
#include "dash_text.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const TEXT[T_COUNT_][2] = {
  [T_TITLE] = {"Dasbor Gugus Tugas TPPO", "TPPO Task Force Dashboard"},
  [T_SUBTITLE] = {"Rekapitulasi skrining korban perdagangan orang dari semua daerah",
                  "Victim screenings for trafficking in persons from every district"},
  [T_LOGIN_TITLE] = {"Masuk ke dasbor", "Sign in to the dashboard"},
  [T_LOGIN_INTRO] = {"Khusus staf Gugus Tugas pusat dan provinsi. Akun dibuat oleh admin server.",
                     "For central and provincial task force staff. Accounts are made by the"
                     " server admin."},
  [T_NAME] = {"Nama pengguna", "User name"},
  [T_PASSWORD] = {"Kata sandi", "Password"},
  [T_LOGIN] = {"Masuk", "Sign in"},
  [T_LOGOUT] = {"Keluar", "Sign out"},
  [T_BAD_LOGIN] = {"Nama pengguna atau kata sandi salah.", "Wrong user name or password."},
  [T_LOGGED_OUT] = {"Anda sudah keluar.", "You are signed out."},
  [T_SESSION_ENDED] = {"Sesi berakhir. Silakan masuk lagi.", "Your session ended. Please sign in"
                       " again."},
  [T_SIGNED_IN_AS] = {"Masuk sebagai", "Signed in as"},
  [T_FILTER] = {"Saring", "Filter"},
  [T_FROM] = {"Dari tanggal", "From"},
  [T_TO] = {"Sampai tanggal", "To"},
  [T_PROVINCE] = {"Provinsi", "Province"},
  [T_ALL_PROVINCES] = {"Semua provinsi", "All provinces"},
  [T_APPLY] = {"Terapkan", "Apply"},
  [T_RESET] = {"Hapus saringan", "Clear filter"},
  [T_PERIOD_NOTE] = {"Periode menurut tanggal wawancara.", "Period by interview date."},
  [T_RECORDS] = {"Skrining", "Screenings"},
  [T_STRONG] = {"Indikasi kuat TPPO", "Strong indication"},
  [T_NEEDS] = {"Perlu asesmen lanjutan", "Needs assessment"},
  [T_CHILDREN] = {"Anak (di bawah 18)", "Children (under 18)"},
  [T_REFERRED] = {"Dirujuk (status pusat)", "Referred (central status)"},
  [T_SILENT_DEVICES] = {"Perangkat tidak sinkron", "Devices not syncing"},
  [T_BY_PROVINCE] = {"Per provinsi wawancara", "By province of interview"},
  [T_BY_MONTH] = {"Per bulan wawancara", "By month of interview"},
  [T_RESULT] = {"Hasil skrining", "Screening result"},
  [T_CHILD_ADULT] = {"Anak dan dewasa", "Children and adults"},
  [T_SECTOR] = {"Sektor pekerjaan", "Work sector"},
  [T_DESTINATION] = {"Negara tujuan", "Destination country"},
  [T_REFERRALS] = {"Hasil rujukan (pusat)", "Referral outcome (central)"},
  [T_CASE_STATUS] = {"Status kasus (pusat)", "Case status (central)"},
  [T_BY_REGENCY] = {"Kabupaten/kota terbanyak", "Regencies and cities with most screenings"},
  [T_REGENCY] = {"Kode kab./kota", "Regency code"},
  [T_COUNT] = {"Jumlah", "Count"},
  [T_DEVICES] = {"Perangkat lapangan", "Field devices"},
  [T_DEVICE] = {"Perangkat", "Device"},
  [T_UNIT] = {"Unit", "Unit"},
  [T_LAST_SEEN] = {"Terakhir terhubung", "Last connected"},
  [T_LAST_PUSH] = {"Terakhir mengirim", "Last sent records"},
  [T_RECEIVED] = {"Revisi diterima", "Revisions received"},
  [T_CONFLICTS] = {"Konflik belum ditinjau", "Conflicts to review"},
  [T_STATUS] = {"Status", "Status"},
  [T_NEVER] = {"belum pernah", "never"},
  [T_SILENT_FOR] = {"tidak sinkron", "silent for"},
  [T_DAYS] = {"hari", "days"},
  [T_ACTIVE] = {"aktif", "active"},
  [T_REVOKED] = {"dicabut", "revoked"},
  [T_EXPIRED] = {"kredensial kedaluwarsa", "credential expired"},
  [T_EXPIRES_IN] = {"kredensial habis dalam", "credential ends in"},
  [T_CHILD] = {"Anak (< 18 tahun)", "Child (under 18)"},
  [T_ADULT] = {"Dewasa", "Adult"},
  [T_AGE_UNKNOWN] = {"Usia tidak tercatat", "Age not recorded"},
  [T_NO_CONSENT] = {"Tanpa persetujuan (data minimal)", "No consent (minimal data)"},
  [T_NOT_ASSESSED] = {"Belum dinilai", "Not assessed"},
  [T_NOT_SET] = {"Tidak diisi", "Not answered"},
  [T_NOTHING] = {"Belum ada data untuk saringan ini.", "No records for this filter yet."},
  [T_RESULT_NOTE] = {"Memakai penilaian petugas bila berbeda dari hasil hitungan.",
                     "Uses the officer's judgement where it differs from the computed result."},
  [T_REFERRAL_NOTE] = {"Dicatat Gugus Tugas pusat (syncserver record set-status); terbaca juga"
                       " untuk formulir tersegel.",
                       "Set by central staff (syncserver record set-status); readable also when"
                       " the form is sealed."},
  [T_CASE_NOTE] = {"Rekaman yang belum diberi status dihitung sebagai Baru.",
                   "Records without a status count as New."},
  [T_DEVICES_NOTE] = {"Disorot: perangkat aktif yang tidak terhubung lebih dari",
                      "Highlighted: active devices that have not connected for more than"},
  [T_GENERATED] = {"Dibuat", "Generated"},
  [T_SWITCH_LANG] = {"English", "Bahasa Indonesia"},
  [T_PLATFORM] = {"Perekrutan lewat media sosial", "Recruitment through social media"},
  [T_PLATFORM_NOTE] = {"Ditanyakan sejak formulir versi 2; satu orang bisa menyebut beberapa.",
                       "Asked since form version 2; one person can name several."},
  [T_NO_FORM] = {"Formulir skrining belum diterbitkan di server ini.",
                 "The screening form is not published on this server yet."},
  [T_BAD_FILTER] = {"Saringan tidak sah; ditampilkan tanpa saringan itu.",
                    "Invalid filter; shown without it."},
  [T_SHOWN_TOP] = {"15 teratas", "top 15"},
  [T_MONTH_NOTE] = {"Rekaman final, tanpa yang dihapus.", "Final records, deletions excluded."},
  [T_DUPES] = {"Kemungkinan duplikat", "Likely duplicates"},
  [T_DUPE_GROUPS] = {"kelompok", "group(s)"},
  [T_DUPES_NOTE] = {"Catatan dengan sidik identitas yang sama (nama, tanggal lahir ... tidak"
                    " pernah dikirim terbuka). Periksa lewat syncserver duplicates.",
                    "Records with the same identity fingerprint (names, dates of birth ... never"
                    " travel in clear). Review with syncserver duplicates."},
  [T_GROUP] = {"Kelompok", "Group"},
  [T_RECORD] = {"Catatan", "Record"},
  [T_INTERVIEW_DATE] = {"Tanggal wawancara", "Interview date"},
  [T_FIRST_RECEIVED] = {"Diterima server", "Received"},
};

const char *dash_t(const char *lang, dash_text_t key)
{
  int en = lang && strcmp(lang, "en") == 0;
  return key < T_COUNT_ && TEXT[key][en] ? TEXT[key][en] : "";
}

const char *dash_month(const char *lang, int m)
{
  static const char *const ID[] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun",
                                   "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
  static const char *const EN[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (m < 1 || m > 12)
    return "?";
  return lang && strcmp(lang, "en") == 0 ? EN[m - 1] : ID[m - 1];
}

const char *dash_int(const char *lang, int64_t v, char *buf, unsigned len)
{
  char digits[32];
  int neg = v < 0;
  unsigned long long u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  snprintf(digits, sizeof digits, "%llu", u);
  char sep = lang && strcmp(lang, "en") == 0 ? ',' : '.';
  size_t n = strlen(digits), o = 0;
  if (neg && o + 1 < len)
    buf[o++] = '-';
  for (size_t i = 0; i < n && o + 2 < len; i++) {
    if (i && (n - i) % 3 == 0)
      buf[o++] = sep;
    buf[o++] = digits[i];
  }
  buf[o] = '\0';
  return buf;
}

const char *dash_time(const char *lang, int64_t ms, char *buf, unsigned len)
{
  if (ms <= 0) {
    snprintf(buf, len, "%s", "");
    return buf;
  }
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, len, "%d %s %d %02d:%02d UTC", tm.tm_mday, dash_month(lang, tm.tm_mon + 1),
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min);
  return buf;
}
