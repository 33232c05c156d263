/* The dashboard's own words in Bahasa Indonesia (first) and English. Labels of provinces,
 * sectors, choices etc. come from the form definition (catalog.h), not from here. */
#ifndef SRV_DASH_TEXT_H
#define SRV_DASH_TEXT_H

#include <stdint.h>

typedef enum dash_text {
  T_TITLE, T_SUBTITLE, T_LOGIN_TITLE, T_LOGIN_INTRO, T_NAME, T_PASSWORD, T_LOGIN, T_LOGOUT,
  T_BAD_LOGIN, T_LOGGED_OUT, T_SESSION_ENDED, T_SIGNED_IN_AS,
  T_FILTER, T_FROM, T_TO, T_PROVINCE, T_ALL_PROVINCES, T_APPLY, T_RESET, T_PERIOD_NOTE,
  T_RECORDS, T_STRONG, T_NEEDS, T_CHILDREN, T_REFERRED, T_SILENT_DEVICES,
  T_BY_PROVINCE, T_BY_MONTH, T_RESULT, T_CHILD_ADULT, T_SECTOR, T_DESTINATION, T_REFERRALS,
  T_CASE_STATUS, T_BY_REGENCY, T_REGENCY, T_COUNT, T_DEVICES, T_DEVICE, T_UNIT, T_LAST_SEEN,
  T_LAST_PUSH, T_RECEIVED, T_CONFLICTS, T_STATUS, T_NEVER, T_SILENT_FOR, T_DAYS, T_ACTIVE,
  T_REVOKED, T_EXPIRED, T_EXPIRES_IN, T_CHILD, T_ADULT, T_AGE_UNKNOWN, T_NO_CONSENT, T_NOT_ASSESSED, T_NOT_SET,
  T_NOTHING, T_RESULT_NOTE, T_REFERRAL_NOTE, T_CASE_NOTE, T_DEVICES_NOTE, T_GENERATED,
  T_SWITCH_LANG, T_PLATFORM, T_PLATFORM_NOTE, T_NO_FORM, T_BAD_FILTER, T_SHOWN_TOP, T_MONTH_NOTE,
  T_DUPES, T_DUPE_GROUPS, T_DUPES_NOTE, T_GROUP, T_RECORD, T_INTERVIEW_DATE, T_FIRST_RECEIVED,
  T_COUNT_
} dash_text_t;

/* The text in "en" or else Indonesian. */
const char *dash_t(const char *lang, dash_text_t key);
/* Short month name, m = 1..12. */
const char *dash_month(const char *lang, int m);
/* 12345 as "12.345" (id) or "12,345" (en). */
const char *dash_int(const char *lang, int64_t v, char *buf, unsigned len);
/* "25 Nov 2026 10:30 UTC" for ms since the epoch ("" for 0). */
const char *dash_time(const char *lang, int64_t ms, char *buf, unsigned len);

#endif
