/* Data tables for the sample generator: real Kemendagri regency codes of known origin areas of
 * migrant workers and of transit/port cities, common Indonesian names by region, and short case
 * texts in Bahasa Indonesia. The people and organisations are invented; the places are real. */
#include "sample_internal.h"

/* Origin areas (and places where returnees are screened). Codes: Kemendagri / BPS, which agree
 * for these provinces. */
const sample_region_t sample_origins[] = {
  {"35.02", "Kab. Ponorogo", "Polres Ponorogo", NG_JAVA, "javanese", NULL},
  {"35.04", "Kab. Tulungagung", "Polres Tulungagung", NG_JAVA, "javanese", NULL},
  {"35.05", "Kab. Blitar", "Polres Blitar", NG_JAVA, "javanese", NULL},
  {"35.07", "Kab. Malang", "Polres Malang", NG_JAVA, "javanese", NULL},
  {"35.09", "Kab. Jember", "Polres Jember", NG_JAVA, "madurese", NULL},
  {"35.10", "Kab. Banyuwangi", "Polresta Banyuwangi", NG_JAVA, "javanese", NULL},
  {"33.01", "Kab. Cilacap", "Polresta Cilacap", NG_JAVA, "javanese", NULL},
  {"33.24", "Kab. Kendal", "Polres Kendal", NG_JAVA, "javanese", NULL},
  {"33.27", "Kab. Pemalang", "Polres Pemalang", NG_JAVA, "javanese", NULL},
  {"33.28", "Kab. Tegal", "Polres Tegal", NG_JAVA, "javanese", NULL},
  {"33.29", "Kab. Brebes", "Polres Brebes", NG_JAVA, "javanese", NULL},
  {"32.02", "Kab. Sukabumi", "Polres Sukabumi", NG_SUNDA, "sundanese", NULL},
  {"32.03", "Kab. Cianjur", "Polres Cianjur", NG_SUNDA, "sundanese", NULL},
  {"32.09", "Kab. Cirebon", "Polresta Cirebon", NG_JAVA, "javanese", NULL},
  {"32.12", "Kab. Indramayu", "Polres Indramayu", NG_JAVA, "javanese", NULL},
  {"32.15", "Kab. Karawang", "Polres Karawang", NG_SUNDA, "sundanese", NULL},
  {"52.02", "Kab. Lombok Tengah", "Polres Lombok Tengah", NG_SASAK, "sasak", NULL},
  {"52.03", "Kab. Lombok Timur", "Polres Lombok Timur", NG_SASAK, "sasak", NULL},
  {"53.03", "Kab. Kupang", "Polres Kupang", NG_NTT, "uab_meto", NULL},
  {"53.04", "Kab. Timor Tengah Selatan", "Polres Timor Tengah Selatan", NG_NTT, "uab_meto", NULL},
  {"53.10", "Kab. Sikka", "Polres Sikka", NG_NTT, "other", "Bahasa Sikka"},
  {"74.04", "Kab. Kolaka", "Polres Kolaka", NG_SULTRA, "other", "Bahasa Tolaki"},
};
const size_t sample_origin_count = SAMPLE_COUNT(sample_origins);

/* Transit and port cities where people are intercepted or disembarked. */
const sample_region_t sample_sites[] = {
  {"21.71", "Kota Batam", "Polresta Barelang", -1, NULL, NULL},
  {"65.04", "Kab. Nunukan", "Polres Nunukan", -1, NULL, NULL},
  {"31.75", "Kota Jakarta Utara", "Polres Metro Jakarta Utara", -1, NULL, NULL},
  {"35.78", "Kota Surabaya", "Polrestabes Surabaya", -1, NULL, NULL},
  {"53.71", "Kota Kupang", "Polresta Kupang Kota", -1, NULL, NULL},
  {"71.72", "Kota Bitung", "Polres Bitung", -1, NULL, NULL},
  {"73.71", "Kota Makassar", "Polrestabes Makassar", -1, NULL, NULL},
  {"52.71", "Kota Mataram", "Polresta Mataram", -1, NULL, NULL},
};
const size_t sample_site_count = SAMPLE_COUNT(sample_sites);

#define LIST(a) a, SAMPLE_COUNT(a)

static const char *const java_f1[] = {"Siti", "Sri", "Tri", "Dwi", "Eka", "Nur", "Rini", "Endang",
  "Anik", "Yuni", "Sulastri", "Suwarni", "Winarsih", "Sumiati", "Tutik", "Ratna", "Puji", "Umi"};
static const char *const java_f2[] = {"Aminah", "Wahyuni", "Handayani", "Lestari", "Rahayu",
  "Astuti", "Susilowati", "Hidayah", "Puspitasari", "Ningsih", "Suryani", "Kusumawati", "Fitriani",
  "Maryam", "Mulyani"};
static const char *const java_m1[] = {"Slamet", "Agus", "Budi", "Joko", "Eko", "Heri", "Wahyu",
  "Sugeng", "Bambang", "Ahmad", "Rudi", "Yusuf", "Teguh", "Imam", "Arif", "Hadi", "Sutrisno"};
static const char *const java_m2[] = {"Santoso", "Susilo", "Prasetyo", "Kurniawan", "Hidayat",
  "Setiawan", "Fauzi", "Hartono", "Saputra", "Wibowo", "Nugroho", "Riyadi", "Purnomo", "Maulana"};
static const char *const sunda_f1[] = {"Euis", "Neneng", "Iis", "Cucu", "Lilis", "Yayah", "Enung",
  "Siti", "Rina", "Dewi", "Nining", "Tati", "Imas", "Wulan"};
static const char *const sunda_f2[] = {"Rohmah", "Suryani", "Nurhayati", "Kurniasih", "Komalasari",
  "Rahmawati", "Sumarni", "Hasanah", "Juwita"};
static const char *const sunda_m1[] = {"Asep", "Dede", "Ujang", "Cecep", "Dadan", "Yayan", "Ade",
  "Iwan", "Dedi", "Jajang", "Encep"};
static const char *const sunda_m2[] = {"Saepudin", "Sunandar", "Hermawan", "Supriatna", "Kurniawan",
  "Hidayat", "Rustandi", "Sopian", "Permana"};
static const char *const sasak_f1[] = {"Baiq", "Siti", "Nur", "Rabiah", "Masitah", "Hadijah",
  "Saenah", "Rohani", "Hajar"};
static const char *const sasak_f2[] = {"Rosmawati", "Hasanah", "Aini", "Fitriani", "Maryam",
  "Zuhriah", "Patimah"};
static const char *const sasak_m1[] = {"Lalu", "Muhammad", "Ahmad", "Saeful", "Hairul",
  "Zulkifli", "Mahsun", "Sapri", "Sahnan"};
static const char *const sasak_m2[] = {"Hadi", "Anwar", "Rizal", "Bahri", "Fauzan", "Hamdi",
  "Azhari", "Sukri"};
static const char *const ntt_f1[] = {"Maria", "Yohana", "Marselina", "Adriana", "Yuliana",
  "Mariana", "Agustina", "Ermelinda", "Paulina", "Seravina", "Imelda", "Dorkas", "Yuliati"};
static const char *const ntt_m1[] = {"Yohanes", "Petrus", "Yosef", "Marten", "Agustinus",
  "Aloysius", "Frans", "Yakobus", "Adrianus", "Melkianus", "Dominggus", "Simon", "Yeremias"};
static const char *const ntt_fam[] = {"Bria", "Nahak", "Seran", "Tefa", "Banunaek", "Kolo",
  "Taneo", "Benu", "Nenobais", "Tallo", "Lake", "Mau", "Neonbasu", "Sanam", "Parera", "Moa"};
static const char *const sultra_f1[] = {"Sitti", "Nur", "Hasna", "Wa Ode", "Jumriani", "Sukmawati",
  "Rahmawati"};
static const char *const sultra_f2[] = {"Rahma", "Hasmiati", "Nurhaeda", "Asriani", "Halija"};
static const char *const sultra_m1[] = {"Muh.", "Andi", "Rahmat", "Syamsul", "Arman", "La Ode",
  "Jumadil"};
static const char *const sultra_m2[] = {"Arsyad", "Ismail", "Kadir", "Ramli", "Halim", "Saleh"};

const sample_names_t sample_name_groups[NG_COUNT] = {
  [NG_JAVA] = {LIST(java_f1), LIST(java_f2), LIST(java_m1), LIST(java_m2), 65},
  [NG_SUNDA] = {LIST(sunda_f1), LIST(sunda_f2), LIST(sunda_m1), LIST(sunda_m2), 70},
  [NG_SASAK] = {LIST(sasak_f1), LIST(sasak_f2), LIST(sasak_m1), LIST(sasak_m2), 85},
  [NG_NTT] = {LIST(ntt_f1), LIST(ntt_fam), LIST(ntt_m1), LIST(ntt_fam), 100},
  [NG_SULTRA] = {LIST(sultra_f1), LIST(sultra_f2), LIST(sultra_m1), LIST(sultra_m2), 80},
};

static const char *const names_mm[] = {"Aung Min Thu", "Kyaw Zin Oo", "Zaw Lin Htet", "Min Naing",
  "Thet Paing Soe"};
static const char *const names_kh[] = {"Sok Dara", "Chea Vuthy", "Rath Sophal", "Kim Sokha"};
static const char *const names_vn[] = {"Nguyen Van Hung", "Tran Minh Duc", "Le Van Thanh"};

const sample_foreign_t sample_foreigners[] = {
  {"Myanmar", "Bahasa Myanmar", LIST(names_mm)},
  {"Kamboja", "Bahasa Khmer", LIST(names_kh)},
  {"Vietnam", "Bahasa Vietnam", LIST(names_vn)},
};
const size_t sample_foreigner_count = SAMPLE_COUNT(sample_foreigners);

const char *const sample_ngos[] = {
  "Yayasan Pelita Migran", "Perkumpulan Sahabat Pekerja Migran", "LBH Peduli Buruh Migran",
  "Yayasan Rumah Aman Perempuan", "Jaringan Relawan Anti-TPPO", "Lembaga Pendamping Korban Nusantara",
};
const size_t sample_ngo_count = SAMPLE_COUNT(sample_ngos);

static const char *const dom_p[] = {
  "Pengasuh lansia dengan gaji tinggi dan libur setiap minggu",
  "Pekerja rumah tangga dengan gaji Rp 7 juta per bulan",
  "Pengasuh anak di keluarga kecil, kontrak dua tahun",
  "Penjaga toko milik keluarga majikan",
  "Pekerja rumah tangga, makan dan tempat tinggal ditanggung majikan",
};
static const char *const dom_x[] = {
  "PRT tanpa hari libur, bekerja di tiga rumah keluarga majikan",
  "PRT yang tidak boleh keluar rumah dan gajinya ditahan majikan",
  "Merawat lansia siang dan malam tanpa istirahat yang cukup",
  "PRT yang dipindahkan dari satu majikan ke majikan lain oleh agen",
};
static const char *const dom_o[] = {"Pekerja rumah tangga", "Pengasuh lansia", "Pengasuh anak"};
static const char *const fish_p[] = {
  "ABK kapal ikan berbendera asing, gaji USD 450 per bulan",
  "ABK kapal penangkap cumi, kontrak dua tahun",
  "Juru masak di kapal ikan, gaji Rp 6 juta per bulan",
  "ABK kapal niaga dengan sertifikat BST dibiayai perusahaan",
};
static const char *const fish_x[] = {
  "ABK kapal longline di laut lepas, bekerja hampir 20 jam sehari",
  "ABK kapal ikan yang berbulan-bulan tidak bersandar dan gajinya tidak dibayar",
  "Dipindahkan ke kapal lain di tengah laut tanpa persetujuan",
  "Bekerja di kapal penangkap ikan tanpa kontrak dan tanpa gaji",
};
static const char *const fish_o[] = {"ABK kapal ikan", "ABK kapal penangkap cumi"};
static const char *const plant_p[] = {
  "Pekerja kebun kelapa sawit, gaji dua kali UMR",
  "Pemanen sawit dengan mes dan makan ditanggung perusahaan",
  "Pekerja perkebunan dengan gaji harian Rp 150 ribu",
};
static const char *const plant_x[] = {
  "Pemanen sawit dengan target yang tidak mungkin dipenuhi dan upah dipotong",
  "Bekerja di kebun terpencil tanpa gaji selama berbulan-bulan",
  "Buruh kebun tanpa izin kerja yang diancam dilaporkan ke polisi",
};
static const char *const plant_o[] = {"Pemanen kelapa sawit", "Perawat tanaman di perkebunan"};
static const char *const cons_p[] = {
  "Tukang bangunan dengan gaji Rp 8 juta per bulan",
  "Pekerja proyek konstruksi, visa kerja diurus perusahaan",
  "Operator alat berat pada proyek pembangunan",
};
static const char *const cons_x[] = {
  "Buruh bangunan tanpa gaji yang tinggal di bedeng proyek",
  "Bekerja di proyek konstruksi 14 jam sehari dan paspor ditahan mandor",
};
static const char *const cons_o[] = {"Tukang bangunan", "Buruh proyek konstruksi"};
static const char *const ent_p[] = {
  "Pelayan restoran, gaji Rp 3 juta per bulan",
  "Pelayan kafe dengan mes gratis",
  "Penari di acara hotel",
  "Pemandu karaoke keluarga dengan gaji tetap",
  "Penjaga toko pakaian",
};
static const char *const ent_x[] = {
  "Dipaksa menemani tamu dan melayani tamu secara seksual di tempat hiburan malam",
  "Pemandu lagu yang dipaksa minum dan melayani tamu",
  "Dipaksa bekerja di panti pijat dengan layanan seksual",
};
static const char *const ent_o[] = {"Pelayan restoran", "Pelayan kafe"};
static const char *const scam_p[] = {
  "Customer service di perusahaan investasi di Thailand, gaji USD 1.000",
  "Admin marketing daring, tiket dan visa ditanggung",
  "Operator data entry di perusahaan gim daring",
  "Penerjemah untuk perusahaan e-commerce",
};
static const char *const scam_x[] = {
  "Operator penipuan daring (scam) di kompleks tertutup yang dijaga",
  "Dipaksa menjalankan penipuan asmara dan investasi palsu dengan target harian",
  "Menjalankan judi daring ilegal di kompleks yang dijaga petugas bersenjata",
};
static const char *const scam_o[] = {"Customer service daring"};
static const char *const fac_p[] = {
  "Operator pabrik elektronik, kontrak tiga tahun",
  "Operator produksi komponen otomotif",
  "Peserta magang teknis di pabrik pengolahan makanan",
  "Buruh pabrik sarung tangan karet",
};
static const char *const fac_x[] = {
  "Operator pabrik dengan lembur paksa dan gaji dipotong untuk utang agen",
  "Bekerja di pabrik lain dari yang tertera di kontrak, tanpa gaji penuh",
};
static const char *const fac_o[] = {"Operator pabrik", "Operator produksi"};
static const char *const oth_p[] = {
  "Penjaga toko kelontong", "Pekerja salon kecantikan", "Pekerja peternakan ayam",
};
static const char *const oth_x[] = {
  "Dipaksa mengemis dan menjual barang di jalan", "Pekerja peternakan tanpa upah",
};
static const char *const oth_o[] = {"Pekerja toko", "Pekerja salon"};

const sample_jobs_t sample_jobs[SEC_COUNT] = {
  [SEC_DOMESTIC] = {LIST(dom_p), LIST(dom_x), LIST(dom_o)},
  [SEC_FISHING] = {LIST(fish_p), LIST(fish_x), LIST(fish_o)},
  [SEC_PLANTATION] = {LIST(plant_p), LIST(plant_x), LIST(plant_o)},
  [SEC_CONSTRUCTION] = {LIST(cons_p), LIST(cons_x), LIST(cons_o)},
  [SEC_ENTERTAINMENT] = {LIST(ent_p), LIST(ent_x), LIST(ent_o)},
  [SEC_ONLINE_SCAM] = {LIST(scam_p), LIST(scam_x), LIST(scam_o)},
  [SEC_FACTORY] = {LIST(fac_p), LIST(fac_x), LIST(fac_o)},
  [SEC_OTHER] = {LIST(oth_p), LIST(oth_x), LIST(oth_o)},
};

const char *const sample_sector_other[] = {
  "Pengemis dan pedagang asongan", "Salon kecantikan", "Peternakan", "Toko dan warung",
};
const size_t sample_sector_other_count = SAMPLE_COUNT(sample_sector_other);

#define S(x) (1u << (x))
const sample_note_t sample_ilo_notes[] = {
  {ILO_VULNERABILITY, 0,
   "Berasal dari keluarga miskin dan berutang kepada sponsor sebelum berangkat."},
  {ILO_VULNERABILITY, 0, "Tidak bisa membaca kontrak karena ditulis dalam bahasa asing."},
  {ILO_VULNERABILITY, 0, "Tidak memiliki dokumen sehingga takut melapor."},
  {ILO_VULNERABILITY, SAMPLE_NOTE_CHILD, "Masih di bawah umur dan putus sekolah."},
  {ILO_VULNERABILITY, SAMPLE_NOTE_CHILD, "Anak yatim yang dititipkan kepada kerabat perekrut."},
  {ILO_DECEPTION, 0, "Pekerjaan dan gaji tidak sesuai dengan yang dijanjikan sponsor."},
  {ILO_DECEPTION, S(SEC_FISHING),
   "Dijanjikan kontrak resmi, ternyata dipindahkan ke kapal lain tanpa kontrak."},
  {ILO_DECEPTION, S(SEC_ONLINE_SCAM),
   "Dijanjikan kerja customer service, ternyata dipaksa menipu orang."},
  {ILO_DECEPTION, S(SEC_ENTERTAINMENT),
   "Dijanjikan kerja di restoran, ternyata di tempat hiburan malam."},
  {ILO_MOVEMENT, 0, "Tidak boleh keluar dari mes tanpa izin mandor."},
  {ILO_MOVEMENT, S(SEC_ONLINE_SCAM),
   "Kompleks dikelilingi pagar tinggi dan dijaga petugas bersenjata."},
  {ILO_MOVEMENT, S(SEC_DOMESTIC), "Pintu rumah selalu dikunci saat majikan pergi."},
  {ILO_ISOLATION, 0, "Ponsel disita sejak tiba."},
  {ILO_ISOLATION, S(SEC_FISHING), "Berbulan-bulan di laut tanpa bisa menghubungi keluarga."},
  {ILO_ISOLATION, S(SEC_PLANTATION), "Kebun berada jauh di pedalaman tanpa sinyal telepon."},
  {ILO_VIOLENCE, 0, "Dipukul oleh mandor bila dianggap lambat bekerja."},
  {ILO_VIOLENCE, S(SEC_FISHING), "Dipukul dan ditendang kapten kapal."},
  {ILO_VIOLENCE, S(SEC_ONLINE_SCAM), "Disetrum dan dikurung bila tidak mencapai target."},
  {ILO_VIOLENCE, S(SEC_DOMESTIC) | S(SEC_ENTERTAINMENT),
   "Mengalami kekerasan seksual oleh majikan atau tamu."},
  {ILO_THREATS, 0, "Diancam dilaporkan ke polisi karena tidak berdokumen."},
  {ILO_THREATS, 0, "Diancam keluarganya di kampung akan dicelakai."},
  {ILO_THREATS, S(SEC_ONLINE_SCAM), "Diancam dijual ke perusahaan lain bila tidak mencapai target."},
  {ILO_DOCUMENTS, 0, "Paspor ditahan agen sejak keberangkatan."},
  {ILO_DOCUMENTS, 0, "KTP dan paspor dipegang majikan dengan alasan disimpan."},
  {ILO_DOCUMENTS, S(SEC_FISHING), "Paspor dan buku pelaut dipegang perusahaan."},
  {ILO_WAGES, 0, "Gaji beberapa bulan belum dibayar."},
  {ILO_WAGES, 0, "Upah dipotong untuk biaya penempatan tanpa kejelasan."},
  {ILO_WAGES, S(SEC_FISHING),
   "Gaji hanya dibayar ke agen di Indonesia dan tidak pernah diterima keluarga."},
  {ILO_DEBT, 0, "Harus membayar utang kepada calo sebelum boleh pulang."},
  {ILO_DEBT, 0, "Utang biaya perjalanan dan makan terus bertambah."},
  {ILO_DEBT, S(SEC_ONLINE_SCAM), "Diminta tebusan USD 3.000 untuk bisa keluar dari kompleks."},
  {ILO_CONDITIONS, 0, "Tinggal berdesakan di mes tanpa ventilasi dan makanan kurang."},
  {ILO_CONDITIONS, S(SEC_FISHING), "Tidur di dek kapal, air minum dijatah."},
  {ILO_CONDITIONS, S(SEC_DOMESTIC), "Tidur di dapur dan hanya diberi makan sekali sehari."},
  {ILO_OVERTIME, 0, "Bekerja dari subuh sampai tengah malam setiap hari."},
  {ILO_OVERTIME, 0, "Bekerja lebih dari 14 jam sehari tanpa hari libur."},
  {ILO_OVERTIME, S(SEC_FISHING), "Menarik jaring hingga 20 jam sehari."},
};
const size_t sample_ilo_note_count = SAMPLE_COUNT(sample_ilo_notes);

const char *const sample_officer_notes[] = {
  "Korban didampingi pekerja sosial selama wawancara.",
  "Keterangan korban konsisten dengan dokumen perjalanan yang ditemukan.",
  "Korban masih trauma; wawancara dilanjutkan setelah istirahat.",
  "Korban dipulangkan bersama beberapa orang lain dari tempat kerja yang sama.",
  "Keluarga korban sudah dihubungi melalui pemerintah desa.",
  "Korban meminta identitasnya tidak disampaikan kepada perekrut.",
  "Perlu koordinasi dengan BP3MI untuk penagihan gaji.",
  "Wawancara dilakukan di ruang khusus pelayanan perempuan dan anak.",
};
const size_t sample_officer_note_count = SAMPLE_COUNT(sample_officer_notes);

const char *const sample_other_needs[] = {
  "Penagihan gaji yang belum dibayar", "Pengurusan KTP dan akta kelahiran",
  "Penelusuran keluarga", "Biaya sekolah anak", "Pendampingan saat pemeriksaan di kepolisian",
};
const size_t sample_other_need_count = SAMPLE_COUNT(sample_other_needs);
