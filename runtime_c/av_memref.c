/*
 * av_memref.c — element types, schedule memrefs (allocation, default
 * values) and the text of values: shapes and report lines.  Also the
 * snprintf-style text building that av_npy.c shares (av_internal.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av_internal.h"

/* Values shown per report line. */
#define AV_SHOWN 8

/* ------------------------------------------------------------------------
 * Element types
 * ---------------------------------------------------------------------- */

size_t av_dtype_size(av_dtype t) {
    static const size_t sizes[] = {1, 1, 2, 4, 8, 8, 4, 8};
    return sizes[t];
}

const char *av_dtype_descr(av_dtype t) {
    static const char *const descrs[] = {"|b1", "|i1", "<i2", "<i4", "<i8", "<i8", "<f4", "<f8"};
    return descrs[t];
}

const char *av_dtype_name(av_dtype t) {
    static const char *const names[] = {"bool",  "int8",  "int16",   "int32",
                                        "int64", "int64", "float32", "float64"};
    return names[t];
}

static int is_float(av_dtype t) { return t == AV_F32 || t == AV_F64; }

/* ------------------------------------------------------------------------
 * Memrefs
 * ---------------------------------------------------------------------- */

int64_t av_memref_numel(const av_memref *m) {
    int64_t n = 1;
    for (int d = 0; d < m->rank; d++) n *= m->shape[d];
    return n;
}

int av_memref_alloc(av_memref *m) {
    if (m->rank < 0 || m->rank > AV_MAX_RANK) return -1;
    size_t n = av_dtype_size(m->dtype);
    for (int d = 0; d < m->rank; d++) {
        if (m->shape[d] < 0) return -1;
        if (m->shape[d] > 0 && n > SIZE_MAX / 2 / (size_t)m->shape[d]) return -1;
        n *= (size_t)m->shape[d];
    }
    size_t padded = (n + 63) / 64 * 64;
    m->data = aligned_alloc(64, padded > 0 ? padded : 64);
    if (m->data == NULL) return -1;
    memset(m->data, 0, padded > 0 ? padded : 64);
    m->nbytes = n;
    return 0;
}

void av_memref_free(av_memref *m) {
    free(m->data);
    m->data = NULL;
    m->nbytes = 0;
}

static void set_int(void *data, av_dtype t, int64_t i, int64_t v) {
    switch (t) {
    case AV_I1: ((uint8_t *)data)[i] = (uint8_t)(v & 1); break;
    case AV_I8: ((int8_t *)data)[i] = (int8_t)v; break;
    case AV_I16: ((int16_t *)data)[i] = (int16_t)v; break;
    case AV_I32: ((int32_t *)data)[i] = (int32_t)v; break;
    case AV_I64:
    case AV_INDEX: ((int64_t *)data)[i] = v; break;
    case AV_F32: ((float *)data)[i] = (float)v; break;
    case AV_F64: ((double *)data)[i] = (double)v; break;
    }
}

static int64_t get_int(const void *data, av_dtype t, int64_t i) {
    switch (t) {
    case AV_I1: return ((const uint8_t *)data)[i] != 0;
    case AV_I8: return ((const int8_t *)data)[i];
    case AV_I16: return ((const int16_t *)data)[i];
    case AV_I32: return ((const int32_t *)data)[i];
    default: return ((const int64_t *)data)[i];
    }
}

static double get_float(const void *data, av_dtype t, int64_t i) {
    if (t == AV_F32) return ((const float *)data)[i];
    return ((const double *)data)[i];
}

void av_memref_fill_default(av_memref *m, int k) {
    int64_t n = av_memref_numel(m);
    for (int64_t i = 0; i < n; i++) set_int(m->data, m->dtype, i, ((i + 3 * (int64_t)k) % 11) + 1);
}

/* ------------------------------------------------------------------------
 * snprintf-style text building (shared through av_internal.h)
 * ---------------------------------------------------------------------- */

void av_sb_printf(av_sbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = sb->len < sb->cap ? sb->buf + sb->len : NULL;
    size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0) sb->len += (size_t)n;
}

av_sbuf av_sb_make(char *buf, size_t cap) {
    av_sbuf sb = {buf, cap, 0};
    if (cap > 0) buf[0] = '\0';
    return sb;
}

void av_sb_shape(av_sbuf *sb, int rank, const int64_t *shape) {
    av_sb_printf(sb, "(");
    for (int d = 0; d < rank; d++) av_sb_printf(sb, d == 0 ? "%" PRId64 : ", %" PRId64, shape[d]);
    av_sb_printf(sb, rank == 1 ? ",)" : ")");
}

int av_format_shape(char *buf, size_t cap, int rank, const int64_t *shape) {
    av_sbuf sb = av_sb_make(buf, cap);
    av_sb_shape(&sb, rank, shape);
    return (int)sb.len;
}

static void sb_value(av_sbuf *sb, const av_memref *m, int64_t i) {
    if (!is_float(m->dtype)) {
        av_sb_printf(sb, "%" PRId64, get_int(m->data, m->dtype, i));
        return;
    }
    double v = get_float(m->data, m->dtype, i);
    if (isnan(v)) av_sb_printf(sb, "nan");
    else if (isinf(v)) av_sb_printf(sb, v > 0 ? "inf" : "-inf");
    else av_sb_printf(sb, "%.6g", v);
}

int av_format_memref(char *buf, size_t cap, const av_memref *m) {
    av_sbuf sb = av_sb_make(buf, cap);
    int64_t n = av_memref_numel(m);
    int64_t shown = n <= AV_SHOWN ? n : AV_SHOWN;
    av_sb_printf(&sb, "%%%s = [", m->name);
    for (int64_t i = 0; i < shown; i++) {
        if (i > 0) av_sb_printf(&sb, ", ");
        sb_value(&sb, m, i);
    }
    if (n > AV_SHOWN) av_sb_printf(&sb, ", ... (%" PRId64 " elements)", n);
    av_sb_printf(&sb, "]");
    return (int)sb.len;
}
