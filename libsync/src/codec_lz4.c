/* One LZ4 frame per body (PROTOCOL.md 1.1) with liblz4's frame API. Decompression never trusts the
 * frame header: the output cap is enforced while decoding, the declared content size is only a
 * hint for the first allocation (and a reason to refuse early), and exactly one frame with nothing
 * after it is accepted. */
#include "codec_internal.h"

#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>

#define LZ4_MAGIC 0x184D2204u
#define LZ4_SKIPPABLE_MASK 0xFFFFFFF0u
#define LZ4_SKIPPABLE_MAGIC 0x184D2A50u
#define LZ4_MAX_RATIO 255u /* a block cannot expand by more than about this */

static uint32_t read_le32(const unsigned char *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int codec_lz4_is_frame(const void *src, size_t len)
{
  return src && len >= 4 && read_le32(src) == LZ4_MAGIC;
}

sync_err_t codec_lz4_compress(const void *src, size_t len, int level, char **out, size_t *out_len)
{
  LZ4F_preferences_t prefs;
  if (out)
    *out = NULL;
  if (!out || (!src && len > 0) || level < 0 || level > 12)
    return SYNC_ERR_INVALID_ARG;
  if (len > PROTO_MAX_BODY)
    return SYNC_ERR_TOO_LARGE;
  memset(&prefs, 0, sizeof prefs);
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  prefs.frameInfo.contentSize = len;
  prefs.compressionLevel = level;
  size_t cap = LZ4F_compressFrameBound(len, &prefs);
  char *dst = malloc(cap);
  if (!dst)
    return SYNC_ERR_NOMEM;
  size_t n = LZ4F_compressFrame(dst, cap, src ? src : "", len, &prefs);
  if (LZ4F_isError(n)) {
    free(dst);
    return SYNC_ERR_INTERNAL;
  }
  char *shrunk = realloc(dst, n ? n : 1);
  *out = shrunk ? shrunk : dst;
  if (out_len)
    *out_len = n;
  return SYNC_OK;
}

typedef struct lz4_out {
  char *p;
  size_t len, cap;   /* cap <= limit, where limit = max_out + 1 detects "over the cap" */
} lz4_out_t;

static int grow(lz4_out_t *o, size_t limit)
{
  size_t cap = o->cap < limit / 2 ? o->cap * 2 : limit;
  char *p = realloc(o->p, cap + 1); /* + 1: the NUL after the content */
  if (!p)
    return -1;
  o->p = p;
  o->cap = cap;
  return 0;
}

sync_err_t codec_lz4_decompress(const void *src, size_t len, size_t max_out, char **out,
                                size_t *out_len, char *errbuf, size_t errlen)
{
  const unsigned char *in = src;
  LZ4F_dctx *dctx = NULL;
  LZ4F_frameInfo_t fi;
  lz4_out_t o = {0};
  sync_err_t rc = SYNC_ERR_PROTOCOL;
  size_t pos = 0, hint;

  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (out)
    *out = NULL;
  if (out_len)
    *out_len = 0;
  if (!out || (!src && len > 0))
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "no input or output");
  if (max_out > SIZE_MAX / 4)
    max_out = SIZE_MAX / 4;
  if (len < 4)
    return codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "lz4 frame truncated: %zu bytes", len);
  uint32_t magic = read_le32(in);
  if ((magic & LZ4_SKIPPABLE_MASK) == LZ4_SKIPPABLE_MAGIC)
    return codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "lz4 skippable frame refused");
  if (magic != LZ4_MAGIC)
    return codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "not an lz4 frame (bad magic)");
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
    return codec_errf(errbuf, errlen, SYNC_ERR_NOMEM, "out of memory for the lz4 context");

  /* The header: refuse early when the declared size is already over the cap. */
  size_t consumed = len;
  size_t r = LZ4F_getFrameInfo(dctx, &fi, in, &consumed);
  if (LZ4F_isError(r)) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "lz4 frame header %s: %s",
                    consumed < len ? "corrupt" : "truncated or corrupt", LZ4F_getErrorName(r));
    goto fail;
  }
  pos = consumed;
  if (fi.contentSize > max_out) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE,
                    "lz4 frame declares %llu bytes, over the %zu-byte cap",
                    (unsigned long long)fi.contentSize, max_out);
    goto fail;
  }
  /* First allocation: the declared size when it is plausible for this input (+ 1 so the end of
   * the frame is seen without growing), else a few times the input; then doubling up to the cap. */
  size_t limit = max_out + 1, first = len < (SIZE_MAX / 8) ? len * 4 : limit;
  if (fi.contentSize > 0 && fi.contentSize / LZ4_MAX_RATIO <= len)
    first = (size_t)fi.contentSize + 1;
  if (first < 4096)
    first = 4096;
  if (first > limit)
    first = limit;
  if (!(o.p = malloc(first + 1))) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_NOMEM, "out of memory");
    goto fail;
  }
  o.cap = first;

  for (;;) {
    if (o.len == o.cap) {
      if (o.cap >= limit) {
        rc = codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE,
                        "lz4 frame decompresses to more than %zu bytes", max_out);
        goto fail;
      }
      if (grow(&o, limit) != 0) {
        rc = codec_errf(errbuf, errlen, SYNC_ERR_NOMEM, "out of memory");
        goto fail;
      }
    }
    size_t dst_size = o.cap - o.len, src_size = len - pos;
    hint = LZ4F_decompress(dctx, o.p + o.len, &dst_size, in + pos, &src_size, NULL);
    if (LZ4F_isError(hint)) {
      rc = codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "lz4 frame corrupt near byte %zu: %s",
                      pos + src_size, LZ4F_getErrorName(hint));
      goto fail;
    }
    pos += src_size;
    o.len += dst_size;
    if (hint == 0)
      break;
    if (src_size == 0 && dst_size == 0) { /* it needs input that is not there */
      rc = pos >= len ? codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL,
                                   "lz4 frame truncated after %zu bytes (%zu bytes decoded)", len,
                                   o.len)
                      : codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL,
                                   "lz4 frame decoder stalled at byte %zu", pos);
      goto fail;
    }
  }
  if (o.len > max_out) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE,
                    "lz4 frame decompresses to more than %zu bytes", max_out);
    goto fail;
  }
  if (pos < len) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL, "%zu bytes after the end of the lz4 frame%s",
                    len - pos, len - pos >= 4 && read_le32(in + pos) == LZ4_MAGIC
                                 ? " (a second frame)" : "");
    goto fail;
  }
  if (fi.contentSize > 0 && fi.contentSize != o.len) {
    rc = codec_errf(errbuf, errlen, SYNC_ERR_PROTOCOL,
                    "lz4 frame declares %llu bytes but holds %zu",
                    (unsigned long long)fi.contentSize, o.len);
    goto fail;
  }
  LZ4F_freeDecompressionContext(dctx);
  o.p[o.len] = '\0';
  *out = o.p;
  if (out_len)
    *out_len = o.len;
  return SYNC_OK;
fail:
  LZ4F_freeDecompressionContext(dctx);
  free(o.p);
  return rc;
}
