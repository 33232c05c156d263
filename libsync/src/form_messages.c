/* Built-in validation messages, Indonesian first (the field language) and English. A form's own
 * required_message / constraint_message take precedence (see form_validate.c). */
#include "form_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const MESSAGES[FMSG_COUNT_][2] = {
  [FMSG_REQUIRED] = { "Wajib diisi.", "Required." },
  [FMSG_CONSTRAINT] = { "Jawaban tidak memenuhi batasan.",
                        "The answer does not meet the constraint." },
  [FMSG_CHOICE_UNKNOWN] = { "Pilihan tidak dikenal.", "Unknown choice." },
  [FMSG_CHOICE_REPEATED] = { "Pilihan yang sama dipilih lebih dari sekali.",
                             "The same choice is selected more than once." },
  [FMSG_UNKNOWN_FIELD] = { "Bukan pertanyaan di formulir ini.", "Not a question of this form." },
  [FMSG_NOTE_ANSWER] = { "Catatan tidak memiliki jawaban.", "A note takes no answer." },
  [FMSG_TYPE_TEXT] = { "Harus berupa teks.", "Must be text." },
  [FMSG_TEXT_TOO_LONG] = { "Teks terlalu panjang (maksimal 10.000 byte).",
                           "The text is too long (at most 10,000 bytes)." },
  [FMSG_TEXT_UTF8] = { "Teks mengandung karakter yang tidak valid.",
                       "The text contains invalid characters (not UTF-8)." },
  [FMSG_TYPE_INTEGER] = { "Harus berupa bilangan bulat.", "Must be a whole number." },
  [FMSG_INTEGER_RANGE] = { "Bilangan terlalu besar.", "The number is too large." },
  [FMSG_TYPE_DECIMAL] = { "Harus berupa angka.", "Must be a number." },
  [FMSG_TYPE_DATE] = { "Harus berupa tanggal yang valid (TTTT-BB-HH).",
                       "Must be a valid date (YYYY-MM-DD)." },
  [FMSG_TYPE_SELECT_ONE] = { "Harus berupa satu pilihan.", "Must be one choice." },
  [FMSG_TYPE_SELECT_MULTIPLE] = { "Harus berupa daftar pilihan.", "Must be a list of choices." },
  [FMSG_TYPE_YES_NO] = { "Harus berupa ya atau tidak.", "Must be yes or no (true or false)." },
  [FMSG_EXPRESSION] = { "Aturan formulir tidak dapat dihitung",
                        "A rule of the form could not be evaluated" },
  [FMSG_JSON_MALFORMED] = { "Data jawaban bukan JSON yang valid",
                            "The answers are not valid JSON" },
  [FMSG_JSON_NOT_OBJECT] = { "Data jawaban harus berupa objek JSON.",
                             "The answers must be a JSON object." },
  [FMSG_JSON_DUPLICATE] = { "Pertanyaan yang sama muncul lebih dari sekali",
                            "The same question appears more than once" },
  [FMSG_JSON_NUL] = { "Data jawaban mengandung karakter NUL.",
                      "The answers contain a NUL character." },
  [FMSG_TOO_LARGE] = { "Data jawaban terlalu besar (maksimal 1 MiB).",
                       "The answers are too large (at most 1 MiB)." },
};

const char *form_msg(form_msg_t m, int en)
{
  if ((unsigned)m >= FMSG_COUNT_)
    return "?";
  return MESSAGES[m][en ? 1 : 0];
}

void form_msg_more_unknown(char *buf, size_t len, size_t more, int en)
{
  if (en)
    snprintf(buf, len, "And %zu more keys that are not questions of this form.", more);
  else
    snprintf(buf, len, "Dan %zu kunci lain yang bukan pertanyaan di formulir ini.", more);
}

int form_msg_is_en(const char *lang)
{
  return lang && strcmp(lang, "en") == 0;
}

const char *form_attr_name(form_attr_t a)
{
  static const char *const names[ATTR_COUNT_] = {
    [ATTR_RELEVANT] = "relevant", [ATTR_REQUIRED] = "required", [ATTR_CONSTRAINT] = "constraint",
    [ATTR_CALCULATION] = "calculation" };
  return (unsigned)a < ATTR_COUNT_ ? names[a] : "?";
}
