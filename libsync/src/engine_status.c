/* Status of the sync engine (engine_internal.h): the shared status struct, throttled progress
 * reports and the plain-words messages people read, in Bahasa Indonesia and English. */
#include "engine_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct message_text {
  const char *id, *en;
} message_text_t;

/* %d: seconds; %lld: a count. */
static const message_text_t MESSAGES[] = {
  [MSG_NONE] = {"", ""},
  [MSG_CONNECTING] = {"Menghubungi server…", "Connecting to the server…"},
  [MSG_PUSHING] = {"Mengirim catatan ke server…", "Sending records to the server…"},
  [MSG_PULLING] = {"Menerima pembaruan dari server…", "Receiving updates from the server…"},
  [MSG_RETRY_OFFLINE] = {"Tidak ada koneksi ke server. Mencoba lagi dalam %lld detik.",
                         "No connection to the server. Retrying in %lld s."},
  [MSG_RETRY_BUSY] = {"Server sedang sibuk. Mencoba lagi dalam %lld detik.",
                      "The server is busy. Retrying in %lld s."},
  [MSG_RETRY_SERVER] = {"Server sedang bermasalah. Mencoba lagi dalam %lld detik.",
                        "The server reported a problem. Retrying in %lld s."},
  [MSG_RETRY_BAD_REPLY] = {"Jawaban server tidak dapat dibaca. Mencoba lagi dalam %lld detik.",
                           "The server's reply could not be read. Retrying in %lld s."},
  [MSG_RETRY_TLS] = {"Identitas server tidak dapat diverifikasi (jaringan mungkin meminta login, "
                     "atau sertifikat tidak dipercaya). Mencoba lagi dalam %lld detik.",
                     "The server's identity could not be verified (the network may ask for a "
                     "login, or the certificate is not trusted). Retrying in %lld s."},
  [MSG_GAVE_UP_TLS] = {"Identitas server tidak dapat diverifikasi (jaringan mungkin meminta login, "
                       "atau sertifikat tidak dipercaya). Data aman di perangkat ini.",
                       "The server's identity could not be verified (the network may ask for a "
                       "login, or the certificate is not trusted). Your data is safe on this "
                       "device."},
  [MSG_GAVE_UP_OFFLINE] = {"Tidak ada koneksi ke server. Data aman di perangkat ini dan akan "
                           "dikirim saat koneksi kembali.",
                           "No connection to the server. Your data is safe on this device and "
                           "will be sent when the connection is back."},
  [MSG_GAVE_UP_SERVER] = {"Server sedang bermasalah. Data aman di perangkat ini; coba lagi nanti.",
                          "The server reported a problem. Your data is safe on this device; "
                          "try again later."},
  [MSG_GAVE_UP_BAD_REPLY] = {"Jawaban server tidak dapat dibaca. Data aman di perangkat ini; "
                             "hubungi admin pusat bila berulang.",
                             "The server's reply could not be read. Your data is safe on this "
                             "device; contact central admin if this continues."},
  [MSG_AUTH] = {"Perangkat ini ditolak server (kredensial tidak dikenal). Daftarkan ulang "
                "perangkat dengan kode baru dari admin pusat.",
                "This device was refused by the server (unknown credential). Enrol the device "
                "again with a new code from central admin."},
  [MSG_EXPIRED] = {"Kredensial perangkat ini sudah kedaluwarsa. Daftarkan ulang perangkat dengan "
                   "kode baru dari admin pusat. Data tetap tersimpan di perangkat.",
                   "This device's credential has expired. Enrol the device again with a new code "
                   "from central admin. Data stays on this device."},
  [MSG_REVOKED] = {"Perangkat ini telah dicabut oleh pusat. Hubungi admin Gugus Tugas. Data tetap "
                   "tersimpan di perangkat.",
                   "This device was revoked by the central office. Contact the Task Force admin. "
                   "Data stays on this device."},
  [MSG_RECEIPT_SIGNATURE] = {"Tanda tangan tanda terima server tidak sah; tidak ada catatan yang "
                             "ditandai terkirim. Hubungi admin pusat. Data tetap tersimpan di "
                             "perangkat.",
                             "The server's receipt signature does not verify; no record was "
                             "marked as delivered. Contact central admin. Data stays on this "
                             "device."},
  [MSG_FORBIDDEN] = {"Server menolak permintaan perangkat ini. Hubungi admin pusat.",
                     "The server refused this device's request. Contact central admin."},
  [MSG_PROTOCOL] = {"Aplikasi dan server tidak cocok (versi protokol berbeda). Perbarui aplikasi "
                    "atau hubungi admin pusat.",
                    "The app and the server do not match (protocol version). Update the app or "
                    "contact central admin."},
  [MSG_STORE] = {"Penyimpanan di perangkat ini bermasalah; sinkronisasi dihentikan.",
                 "Storage on this device failed; sync stopped."},
  [MSG_CANCELLED] = {"Sinkronisasi dibatalkan.", "Sync cancelled."},
  [MSG_DEVICE_OFFLINE] = {"Perangkat sedang offline. Sinkronisasi menunggu koneksi.",
                          "This device is offline. Sync waits for a connection."},
  [MSG_REJECTED] = {"%lld catatan ditolak dan menunggu petugas: perbaiki atau kirim ulang "
                    "(lihat daftar catatan yang ditolak).",
                    "%lld records were refused and wait for the officer: correct them or send "
                    "them again (see the refused records)."},
  [MSG_PURGED] = {"%lld catatan lama dihapus dari perangkat sesuai masa simpan (tanda terima "
                  "tetap ada).",
                  "%lld old records were purged from this device by the retention rule (their "
                  "receipts are kept)."},
  [MSG_STOPPED] = {"Sinkronisasi otomatis berhenti.", "Automatic sync stopped."},
};

void engine_message(const sync_engine_t *e, engine_msg_t msg, long long n, char *buf, size_t len)
{
  const message_text_t *m = &MESSAGES[msg];
  const char *text = strcmp(e->language, "en") == 0 ? m->en : m->id;
  const char *hole = strstr(text, "%lld");
  if (hole)
    snprintf(buf, len, "%.*s%lld%s", (int)(hole - text), text, n, hole + 4);
  else
    snprintf(buf, len, "%s", text);
}

void engine_notify(sync_engine_t *e)
{
  if (!e->cfg.on_status)
    return;
  sync_status_t snap;
  pthread_mutex_lock(&e->lock);
  snap = e->status;
  e->last_notify_ms = engine_mono_ms();
  pthread_mutex_unlock(&e->lock);
  e->cfg.on_status(&snap, e->cfg.user_data);
}

void engine_set_state(sync_engine_t *e, sync_state_t state, sync_err_t err, const char *message)
{
  pthread_mutex_lock(&e->lock);
  e->status.state = state;
  e->status.last_error = err;
  if (message)
    snprintf(e->status.message, sizeof e->status.message, "%s", message);
  pthread_mutex_unlock(&e->lock);
  engine_notify(e);
}

void engine_progress(sync_engine_t *e, int force)
{
  const sync_progress_t *p = &e->run.progress;
  int64_t pending = p->records_total - p->records_done - e->run.failed;
  int due;
  pthread_mutex_lock(&e->lock);
  e->status.progress = *p;
  e->status.pending = pending > 0 ? pending : 0;
  due = force || engine_mono_ms() - e->last_notify_ms >= ENGINE_NOTIFY_EVERY_MS;
  pthread_mutex_unlock(&e->lock);
  if (due)
    engine_notify(e);
}
