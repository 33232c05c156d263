/* GUI test scenario: every field type (see test_app_gui.c). */
#include "gui-support.h"

static const char ALL_TYPES_FORM[] =
  "{\"format\":1,\"form_id\":\"gui_all_types\",\"version\":1,\"default_language\":\"id\","
  "\"languages\":[\"id\",\"en\"],\"title\":{\"id\":\"Semua jenis isian\",\"en\":\"All field types\"},"
  "\"choice_lists\":{\"colours\":[{\"name\":\"red\",\"label\":{\"id\":\"Merah\",\"en\":\"Red\"}},"
  "{\"name\":\"blue\",\"label\":{\"id\":\"Biru\",\"en\":\"Blue\"}}]},"
  "\"sections\":[{\"name\":\"one\",\"label\":{\"id\":\"Satu\",\"en\":\"One\"},\"fields\":["
  "{\"name\":\"t\",\"type\":\"text\",\"label\":{\"id\":\"Teks\",\"en\":\"Text\"},\"required\":true},"
  "{\"name\":\"n\",\"type\":\"integer\",\"label\":{\"id\":\"Bilangan\",\"en\":\"Integer\"},"
  "\"constraint\":\". >= 0 and . <= 10\"},"
  "{\"name\":\"d\",\"type\":\"decimal\",\"label\":{\"id\":\"Desimal\",\"en\":\"Decimal\"}},"
  "{\"name\":\"dt\",\"type\":\"date\",\"label\":{\"id\":\"Tanggal\",\"en\":\"Date\"}},"
  "{\"name\":\"so\",\"type\":\"select_one\",\"choices\":\"colours\",\"label\":{\"id\":\"Satu warna\",\"en\":\"One colour\"}},"
  "{\"name\":\"sm\",\"type\":\"select_multiple\",\"choices\":\"colours\",\"label\":{\"id\":\"Warna\",\"en\":\"Colours\"}},"
  "{\"name\":\"yn\",\"type\":\"yes_no\",\"label\":{\"id\":\"Ya atau tidak\",\"en\":\"Yes or no\"}},"
  "{\"name\":\"shown\",\"type\":\"text\",\"label\":{\"id\":\"Hanya jika ya\",\"en\":\"Only if yes\"},"
  "\"relevant\":\"${yn} = true()\"},"
  "{\"name\":\"nt\",\"type\":\"note\",\"label\":{\"id\":\"Catatan\",\"en\":\"A note\"}},"
  "{\"name\":\"c\",\"type\":\"calculate\",\"calculation\":\"${n} * 2\"}]},"
  "{\"name\":\"two\",\"label\":{\"id\":\"Dua\",\"en\":\"Two\"},\"relevant\":\"${t} != 'skip'\",\"fields\":["
  "{\"name\":\"last\",\"type\":\"text\",\"label\":{\"id\":\"Terakhir\",\"en\":\"Last\"}}]}]}";

static GtkWidget *
input_of (const char *field)
{
  return find_named (fa_form_page_get_field_widget (form_page (), field), "input");
}

gboolean
scenario_fields (void)
{
  sync_store_t *store;
  cJSON *v, *want, *saved;
  sync_record_status_t status;
  GtkWidget *calc_value;

  /* no store yet: the officer creates the passphrase first */
  CHECK (unlock_app (TEST_PASSPHRASE), "unlock");
  store = fa_app_get_store (app);
  CHECK (store != NULL, "no store");
  CHECK (sync_form_add (store, ALL_TYPES_FORM, strlen (ALL_TYPES_FORM), NULL, NULL) == SYNC_OK,
         "form: %s", sync_store_errmsg (store));
  CHECK (fa_window_new_record (main_window (), "gui_all_types", NULL), "open");
  pump (50);

  /* integer: a constraint error, a type error (from the library, in the UI language), then right */
  CHECK (type_text (input_of ("n"), "12"), "n");
  settle ();
  CHECK (field_error_is ("n", TRUE), "no constraint error for 12 > 10");
  CHECK (type_text (input_of ("n"), "tujuh"), "n");
  settle ();
  CHECK (field_error_is ("n", TRUE), "no type error for letters in an integer");
  note ("integer type error: %s", fa_field_base_get_error (FA_FIELD_BASE (fa_form_page_get_field_widget (form_page (), "n"))));
  CHECK (type_text (input_of ("n"), "7"), "n");
  /* decimal with the Indonesian decimal comma, a date typed day first */
  CHECK (type_text (input_of ("d"), "2,5"), "d");
  CHECK (type_text (input_of ("dt"), "20-10-2026"), "dt");
  CHECK (type_text (input_of ("t"), "halo"), "t");
  press (find_named (fa_form_page_get_field_widget (form_page (), "so"), "choice-blue"));
  press (find_named (fa_form_page_get_field_widget (form_page (), "sm"), "choice-red"));
  press (find_named (fa_form_page_get_field_widget (form_page (), "sm"), "choice-blue"));
  press (find_named (fa_form_page_get_field_widget (form_page (), "yn"), "yes"));
  settle ();
  CHECK (field_error_is ("n", FALSE), "the error stayed after a valid answer");
  CHECK (gtk_widget_get_visible (fa_form_page_get_field_widget (form_page (), "shown")),
         "skip logic: 'shown' is hidden although yn is yes");
  press (find_named (fa_form_page_get_field_widget (form_page (), "yn"), "no"));
  settle ();
  CHECK (!gtk_widget_get_visible (fa_form_page_get_field_widget (form_page (), "shown")),
         "skip logic: 'shown' is still asked after no");
  calc_value = find_named (fa_form_page_get_field_widget (form_page (), "c"), "value");
  CHECK (g_strcmp0 (gtk_label_get_text (GTK_LABEL (calc_value)), "14") == 0, "calculated value shows '%s'",
         gtk_label_get_text (GTK_LABEL (calc_value)));
  CHECK (gtk_widget_get_visible (fa_form_page_get_field_widget (form_page (), "nt")), "the note is not shown");

  /* the autosave a second later holds every answer, typed as the form says */
  pump (1300);
  CHECK (fa_form_page_get_uuid (form_page ()) != NULL, "no autosave");
  saved = store_payload (fa_form_page_get_uuid (form_page ()), &status);
  want = cJSON_Parse ("{\"t\":\"halo\",\"n\":7,\"d\":2.5,\"dt\":\"2026-10-20\",\"so\":\"blue\","
                      "\"sm\":[\"red\",\"blue\"],\"yn\":false,\"c\":14}");
  CHECK (saved != NULL && status == SYNC_STATUS_DRAFT, "the draft is not in the store");
  CHECK (cJSON_Compare (want, saved, TRUE), "draft payload %s", cJSON_PrintUnformatted (saved));

  /* a reopened draft shows the same answers in the widgets */
  {
    g_autofree char *uuid = g_strdup (fa_form_page_get_uuid (form_page ()));
    fa_form_page_close (form_page ());
    CHECK (fa_form_page_open_record (form_page (), app, uuid, NULL), "reopen");
    v = fa_field_base_get_value (FA_FIELD_BASE (fa_form_page_get_field_widget (form_page (), "d")));
    CHECK (cJSON_IsNumber (v) && v->valuedouble == 2.5, "decimal reads back wrong");
    cJSON_Delete (v);
    v = fa_field_base_get_value (FA_FIELD_BASE (fa_form_page_get_field_widget (form_page (), "sm")));
    CHECK (cJSON_Compare (v, cJSON_GetObjectItemCaseSensitive (want, "sm"), TRUE), "select_multiple reads back wrong");
    cJSON_Delete (v);
  }
  /* section relevance: "skip" as text hides part two */
  CHECK (type_text (input_of ("t"), "skip"), "t");
  settle ();
  CHECK (!fa_form_page_can_go_next (form_page ()) || (fa_form_page_next (form_page ()), fa_form_page_is_reviewing (form_page ())),
         "part two was not skipped");
  note ("all field types work");
  cJSON_Delete (want);
  cJSON_Delete (saved);
  return TRUE;
}
