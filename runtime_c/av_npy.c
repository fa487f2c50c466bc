/*
 * av_npy.c — .npy files: reading an `--input` into a memref, with every
 * check and message, and writing an output memref (version 1.0, C order).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av_internal.h"

/* Dimensions a .npy header may have and still be described in a message. */
#define AV_NPY_MAX_DIMS 32
/* Longest .npy header accepted. */
#define AV_NPY_MAX_HEADER ((uint32_t)1 << 20)

/* ------------------------------------------------------------------------
 * .npy reading
 * ---------------------------------------------------------------------- */

/* What a .npy header says. */
typedef struct npy_header {
    char descr[32];
    int fortran_order;
    int rank;
    int64_t shape[AV_NPY_MAX_DIMS];
    int seen; /* bit 0 descr, bit 1 fortran_order, bit 2 shape */
} npy_header;

/* A cursor over header text. */
typedef struct cursor {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int eat(cursor *c, char ch) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != ch) return 0;
    c->p++;
    return 1;
}

/* A Python string literal in single or double quotes, without escapes. */
static int parse_string(cursor *c, char *out, size_t cap) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= cap) return 0;
        out[n++] = *c->p++;
    }
    out[n] = '\0';
    return c->p++ < c->end;
}

static int parse_bool(cursor *c, int *out) {
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && strncmp(c->p, "True", 4) == 0) { *out = 1; c->p += 4; return 1; }
    if (left >= 5 && strncmp(c->p, "False", 5) == 0) { *out = 0; c->p += 5; return 1; }
    return 0;
}

static int parse_int(cursor *c, int64_t *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
    int64_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > (INT64_MAX - 9) / 10) return 0;
        v = v * 10 + (*c->p++ - '0');
    }
    *out = v;
    return 1;
}

/* A tuple of non-negative integers: "()", "(20,)", "(4, 5)". */
static int parse_tuple(cursor *c, npy_header *h) {
    h->rank = 0;
    if (!eat(c, '(')) return 0;
    if (eat(c, ')')) return 1;
    for (;;) {
        if (h->rank == AV_NPY_MAX_DIMS || !parse_int(c, &h->shape[h->rank])) return 0;
        h->rank++;
        if (eat(c, ')')) return 1;
        if (!eat(c, ',')) return 0;
        if (eat(c, ')')) return 1;
    }
}

/* Parses the header dictionary; 0 on malformed text. */
static int parse_header(const char *text, size_t len, npy_header *h) {
    cursor c = {text, text + len};
    char key[32];
    memset(h, 0, sizeof *h);
    if (!eat(&c, '{')) return 0;
    while (!eat(&c, '}')) {
        if (!parse_string(&c, key, sizeof key) || !eat(&c, ':')) return 0;
        int ok = 0;
        if (strcmp(key, "descr") == 0) { ok = parse_string(&c, h->descr, sizeof h->descr); h->seen |= 1; }
        else if (strcmp(key, "fortran_order") == 0) { ok = parse_bool(&c, &h->fortran_order); h->seen |= 2; }
        else if (strcmp(key, "shape") == 0) { ok = parse_tuple(&c, h); h->seen |= 4; }
        if (!ok) return 0;
        if (!eat(&c, ',')) {
            if (!eat(&c, '}')) return 0;
            break;
        }
    }
    skip_ws(&c);
    return c.p == c.end && h->seen == 7;
}

static uint32_t read_le(const unsigned char *b, int n) {
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

/* Reads magic, version and header of an open file into `h`; 0 or -1. */
static int read_npy_header(FILE *f, npy_header *h, char *err, size_t cap) {
    unsigned char pre[12];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        snprintf(err, cap, "not a .npy file");
        return -1;
    }
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        snprintf(err, cap, "unsupported .npy version %d.%d", major, minor);
        return -1;
    }
    int lenbytes = major == 1 ? 2 : 4;
    if (fread(pre + 8, 1, (size_t)lenbytes, f) != (size_t)lenbytes) {
        snprintf(err, cap, "truncated .npy header");
        return -1;
    }
    uint32_t hlen = read_le(pre + 8, lenbytes);
    if (hlen > AV_NPY_MAX_HEADER) {
        snprintf(err, cap, "bad .npy header: %" PRIu32 " bytes long", hlen);
        return -1;
    }
    char *text = malloc(hlen + 1);
    if (text == NULL) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    int ok = fread(text, 1, hlen, f) == hlen;
    int parsed = ok && parse_header(text, hlen, h);
    free(text);
    if (!ok) snprintf(err, cap, "truncated .npy header");
    else if (!parsed) snprintf(err, cap, "bad .npy header");
    return parsed ? 0 : -1;
}

/* The NumPy name of a .npy descr, for messages; NULL when unknown. */
static const char *descr_name(const char *descr) {
    static const char *const table[][2] = {
        {"|b1", "bool"},    {"|i1", "int8"},    {"<i2", "int16"},     {"<i4", "int32"},
        {"<i8", "int64"},   {"<f4", "float32"}, {"<f8", "float64"},   {"|u1", "uint8"},
        {"<u2", "uint16"},  {"<u4", "uint32"},  {"<u8", "uint64"},    {"<f2", "float16"},
        {"<c8", "complex64"}, {"<c16", "complex128"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i][0], descr) == 0) return table[i][1];
    }
    return NULL;
}

/* Checks that the header describes exactly `m`; 0 or -1 with a message. */
static int check_header(const npy_header *h, const av_memref *m, char *err, size_t cap) {
    int same = strcmp(h->descr, av_dtype_descr(m->dtype)) == 0 && h->rank == m->rank;
    for (int d = 0; same && d < m->rank; d++) same = h->shape[d] == m->shape[d];
    if (same && !h->fortran_order) return 0;
    av_sbuf sb = av_sb_make(err, cap);
    if (same) {
        av_sb_printf(&sb, "expected C order, found Fortran order");
        return -1;
    }
    const char *found = descr_name(h->descr);
    av_sb_printf(&sb, "expected %s ", av_dtype_name(m->dtype));
    av_sb_shape(&sb, m->rank, m->shape);
    av_sb_printf(&sb, found != NULL ? ", found %s " : ", found '%s' ", found != NULL ? found : h->descr);
    av_sb_shape(&sb, h->rank, h->shape);
    return -1;
}

static int read_npy_data(FILE *f, av_memref *m, char *err, size_t cap) {
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0) {
        snprintf(err, cap, "cannot seek: %s", strerror(errno));
        return -1;
    }
    long total = ftell(f);
    size_t found = total > here ? (size_t)(total - here) : 0;
    if (found != m->nbytes) {
        snprintf(err, cap, "%s: expected %zu data bytes, found %zu",
                 found < m->nbytes ? "truncated" : "trailing data", m->nbytes, found);
        return -1;
    }
    if (fseek(f, here, SEEK_SET) != 0 || fread(m->data, 1, m->nbytes, f) != m->nbytes) {
        snprintf(err, cap, "cannot read: %s", strerror(errno));
        return -1;
    }
    if (m->dtype == AV_I1) {
        uint8_t *b = (uint8_t *)m->data;
        for (size_t i = 0; i < m->nbytes; i++) b[i] = b[i] != 0;
    }
    return 0;
}

int av_npy_read(const char *path, av_memref *m, char *err, size_t cap) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, cap, "cannot open: %s", strerror(errno));
        return -1;
    }
    npy_header h;
    int rc = read_npy_header(f, &h, err, cap);
    if (rc == 0) rc = check_header(&h, m, err, cap);
    if (rc == 0) rc = read_npy_data(f, m, err, cap);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------------------
 * .npy writing
 * ---------------------------------------------------------------------- */

int av_npy_write(const char *path, const av_memref *m, char *err, size_t cap) {
    char dict[256], shape[160];
    av_format_shape(shape, sizeof shape, m->rank, m->shape);
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     av_dtype_descr(m->dtype), shape);
    /* Pad with spaces so that magic + header ends on a 64-byte boundary. */
    size_t hlen = ((size_t)n + 1 + 10 + 63) / 64 * 64 - 10;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(dict, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = (size_t)n; ok && i + 1 < hlen; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && fwrite(m->data, 1, m->nbytes, f) == m->nbytes;
    ok = (fclose(f) == 0) && ok;
    if (!ok) snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
    return ok ? 0 : -1;
}
