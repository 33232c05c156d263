/* Dates of the expression language: whole days since 1970-01-01 in the proleptic Gregorian
 * calendar, years 0000-9999 ("YYYY-MM-DD"). Conversions are Howard Hinnant's days_from_civil /
 * civil_from_days (http://howardhinnant.github.io/date_algorithms.html). */
#include <math.h>
#include "expr_internal.h"

static int is_leap(long long y)
{
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(long long y, int m)
{
  static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static long long days_from_civil(long long y, int m, int d)
{
  long long era, yoe, doy, doe;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
  long long era, doe, yoe, doy, mp;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int two_digits(const char *s)
{
  return (s[0] - '0') * 10 + (s[1] - '0');
}

int expr_parse_date(const char *text, int32_t *days)
{
  static const char shape[] = "dddd-dd-dd";
  long long y;
  int m, d;

  if (text == NULL)
    return -1;
  for (int i = 0; i < 10; i++) {   /* stops at a NUL: it never matches the shape */
    int is_digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == 'd' ? !is_digit : text[i] != '-')
      return -1;
  }
  if (text[10] != '\0')
    return -1;
  y = two_digits(text) * 100 + two_digits(text + 2);
  m = two_digits(text + 5);
  d = two_digits(text + 8);
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
    return -1;
  if (days != NULL)
    *days = (int32_t)days_from_civil(y, m, d);
  return 0;
}

void expr_format_date(int32_t days, char out[11])
{
  long long y, z = days;
  int m, d;
  /* Days outside 0000-01-01..9999-12-31 have no YYYY-MM-DD form: show the nearest end. */
  if (z < EXPR_DAY_MIN)
    z = EXPR_DAY_MIN;
  if (z > EXPR_DAY_MAX)
    z = EXPR_DAY_MAX;
  civil_from_days(z, &y, &m, &d);
  out[0] = (char)('0' + y / 1000);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
}

int expr_value_to_date(const expr_value_t *v, int32_t *days)
{
  switch (v->kind) {
  case EXPR_DATE:
    *days = v->days;
    return 1;
  case EXPR_STR:
    return v->str != NULL && expr_parse_date(v->str, days) == 0;
  case EXPR_NUM:
    if (v->num != trunc(v->num) || v->num < EXPR_DAY_MIN || v->num > EXPR_DAY_MAX)
      return 0;
    *days = (int32_t)v->num;
    return 1;
  default:
    return 0;
  }
}

int expr_age_years(int32_t from, int32_t to)
{
  long long y1, y2;
  int m1, d1, m2, d2;
  long long years;
  if (to < from)
    return -expr_age_years(to, from);
  civil_from_days(from, &y1, &m1, &d1);
  civil_from_days(to, &y2, &m2, &d2);
  years = y2 - y1;
  /* Not yet the birthday in year y2. A 29 February birthday comes on 1 March in common years. */
  if (m2 < m1 || (m2 == m1 && d2 < d1))
    years--;
  return (int)years;
}
