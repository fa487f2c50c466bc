/*
 * avial_rt.c — the runtime shared by every program that avial2c generates.
 * See avial_rt.h for the interface and the shape of a generated `main`.
 */
#define _POSIX_C_SOURCE 200809L

#include "avial_rt.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Values shown per report line. */
#define AV_SHOWN 8
/* Dimensions a .npy header may have and still be described in a message. */
#define AV_NPY_MAX_DIMS 32
/* Longest .npy header accepted. */
#define AV_NPY_MAX_HEADER ((uint32_t)1 << 20)

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
 * snprintf-style text building
 * ---------------------------------------------------------------------- */

typedef struct sbuf {
    char *buf;
    size_t cap;
    size_t len; /* length of the full text, even past cap */
} sbuf;

static void sb_printf(sbuf *sb, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *at = sb->len < sb->cap ? sb->buf + sb->len : NULL;
    size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    if (n > 0) sb->len += (size_t)n;
}

static sbuf sb_make(char *buf, size_t cap) {
    sbuf sb = {buf, cap, 0};
    if (cap > 0) buf[0] = '\0';
    return sb;
}

static void sb_shape(sbuf *sb, int rank, const int64_t *shape) {
    sb_printf(sb, "(");
    for (int d = 0; d < rank; d++) sb_printf(sb, d == 0 ? "%" PRId64 : ", %" PRId64, shape[d]);
    sb_printf(sb, rank == 1 ? ",)" : ")");
}

int av_format_shape(char *buf, size_t cap, int rank, const int64_t *shape) {
    sbuf sb = sb_make(buf, cap);
    sb_shape(&sb, rank, shape);
    return (int)sb.len;
}

static void sb_value(sbuf *sb, const av_memref *m, int64_t i) {
    if (!is_float(m->dtype)) {
        sb_printf(sb, "%" PRId64, get_int(m->data, m->dtype, i));
        return;
    }
    double v = get_float(m->data, m->dtype, i);
    if (isnan(v)) sb_printf(sb, "nan");
    else if (isinf(v)) sb_printf(sb, v > 0 ? "inf" : "-inf");
    else sb_printf(sb, "%.6g", v);
}

int av_format_memref(char *buf, size_t cap, const av_memref *m) {
    sbuf sb = sb_make(buf, cap);
    int64_t n = av_memref_numel(m);
    int64_t shown = n <= AV_SHOWN ? n : AV_SHOWN;
    sb_printf(&sb, "%%%s = [", m->name);
    for (int64_t i = 0; i < shown; i++) {
        if (i > 0) sb_printf(&sb, ", ");
        sb_value(&sb, m, i);
    }
    if (n > AV_SHOWN) sb_printf(&sb, ", ... (%" PRId64 " elements)", n);
    sb_printf(&sb, "]");
    return (int)sb.len;
}

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

/* Checks that the header describes exactly `m`; 0 or -1 with a message. */
static int check_header(const npy_header *h, const av_memref *m, char *err, size_t cap) {
    int same = strcmp(h->descr, av_dtype_descr(m->dtype)) == 0 && h->rank == m->rank;
    for (int d = 0; same && d < m->rank; d++) same = h->shape[d] == m->shape[d];
    if (same && !h->fortran_order) return 0;
    sbuf sb = sb_make(err, cap);
    if (same) {
        sb_printf(&sb, "expected C order, found Fortran order");
        return -1;
    }
    const char *found = descr_name(h->descr);
    sb_printf(&sb, "expected %s ", av_dtype_name(m->dtype));
    sb_shape(&sb, m->rank, m->shape);
    sb_printf(&sb, found != NULL ? ", found %s " : ", found '%s' ", found != NULL ? found : h->descr);
    sb_shape(&sb, h->rank, h->shape);
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

/* ------------------------------------------------------------------------
 * Command line
 * ---------------------------------------------------------------------- */

/* If argv[*i] is option `opt` ("--opt VALUE" or "--opt=VALUE"), stores the
 * value in *value and returns 1 (or 2 when the value is missing). */
static int match_option(int argc, char **argv, int *i, const char *opt, const char **value) {
    size_t n = strlen(opt);
    const char *arg = argv[*i];
    if (strncmp(arg, opt, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) return 2;
    *value = argv[++*i];
    return 1;
}

static int add_input(av_args *a, const char *spec, char *err, size_t cap) {
    const char *eq = strchr(spec, '=');
    const char *name = spec[0] == '%' ? spec + 1 : spec;
    if (eq == NULL || eq <= name || eq[1] == '\0') {
        snprintf(err, cap, "--input '%s': expected NAME=FILE.npy", spec);
        return 2;
    }
    size_t len = (size_t)(eq - name);
    for (int j = 0; j < a->n_inputs; j++) {
        if (strlen(a->inputs[j].name) == len && strncmp(a->inputs[j].name, name, len) == 0) {
            snprintf(err, cap, "--input %.*s given more than once", (int)len, name);
            return 2;
        }
    }
    av_input *in = &a->inputs[a->n_inputs++];
    in->spec = spec;
    in->path = eq + 1;
    in->name = malloc(len + 1);
    if (in->name == NULL) abort();
    memcpy(in->name, name, len);
    in->name[len] = '\0';
    return 0;
}

static int set_once(const char **slot, const char *opt, const char *value, char *err, size_t cap) {
    if (*slot != NULL) {
        snprintf(err, cap, "%s given more than once", opt);
        return 2;
    }
    if (value[0] == '\0') {
        snprintf(err, cap, "%s needs a non-empty value", opt);
        return 2;
    }
    *slot = value;
    return 0;
}

/* Handles argv[*i]; 0 or 2 with a message. */
static int parse_one(av_args *a, int argc, char **argv, int *i, char *err, size_t cap) {
    static const char *const opts[] = {"--input", "--output-dir", "--trace"};
    const char *arg = argv[*i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        a->help = 1;
        return 0;
    }
    for (int k = 0; k < 3; k++) {
        const char *value = NULL;
        int m = match_option(argc, argv, i, opts[k], &value);
        if (m == 0) continue;
        if (m == 2) {
            snprintf(err, cap, "%s needs a value", opts[k]);
            return 2;
        }
        if (k == 0) return add_input(a, value, err, cap);
        return set_once(k == 1 ? &a->output_dir : &a->trace_path, opts[k], value, err, cap);
    }
    if (arg[0] == '-') snprintf(err, cap, "unknown option '%s' (try --help)", arg);
    else snprintf(err, cap, "unexpected argument '%s' (try --help)", arg);
    return 2;
}

int av_parse_args(av_args *out, int argc, char **argv, char *err, size_t cap) {
    memset(out, 0, sizeof *out);
    if (err != NULL && cap > 0) err[0] = '\0';
    out->inputs = calloc((size_t)(argc > 0 ? argc : 1), sizeof(av_input));
    if (out->inputs == NULL) abort();
    for (int i = 1; i < argc; i++) {
        int rc = parse_one(out, argc, argv, &i, err, cap);
        if (rc != 0) return rc;
    }
    return 0;
}

void av_args_free(av_args *a) {
    for (int j = 0; j < a->n_inputs; j++) free(a->inputs[j].name);
    free(a->inputs);
    memset(a, 0, sizeof *a);
}

/* ------------------------------------------------------------------------
 * Failures
 * ---------------------------------------------------------------------- */

void av_fail(const char *what, const char *call_text, const char *detail) {
    size_t n = strcspn(call_text, "( \t\n");
    fprintf(stderr, "error: %s: %.*s failed: %s\n", what, (int)n, call_text, detail);
    fflush(stderr);
    int up = 0;
    MPI_Initialized(&up);
    if (up) MPI_Abort(MPI_COMM_WORLD, 3);
    exit(3);
}

void av_mpi_fail(int rc, const char *call_text, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", rc);
    av_fail(what, call_text, text);
}

/* Frees everything, finalizes MPI and exits every rank with `status`.  The
 * barrier keeps the launcher from killing rank 0 before its message is out. */
static void exit_all(av_ctx *ctx, int status) {
    fflush(stdout);
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    av_dev_release(ctx);
    for (int k = 0; k < ctx->n_mem; k++) av_memref_free(&ctx->mem[k]);
    av_args_free(&ctx->args);
    free(ctx->events);
    MPI_Finalize();
    exit(status);
}

/* ------------------------------------------------------------------------
 * Start-up
 * ---------------------------------------------------------------------- */

static void print_help(const av_ctx *ctx, const char *prog) {
    printf("usage: %s [--input NAME=FILE.npy]... [--output-dir DIR] [--trace FILE.json]\n\n"
           "  --input NAME=FILE.npy  initial contents of schedule memref %%NAME (repeatable)\n"
           "  --output-dir DIR       write every memref a task writes as DIR/NAME.npy\n"
           "  --trace FILE.json      write a Chrome/Perfetto trace of all ranks\n"
           "  --help                 print this help\n\n"
           "schedule memrefs (without --input, memref k holds ((i + 3k) mod 11) + 1 at index i):\n",
           prog);
    for (int k = 0; k < ctx->n_mem; k++) {
        char shape[160];
        av_format_shape(shape, sizeof shape, ctx->mem[k].rank, ctx->mem[k].shape);
        printf("  %%%s  %s %s\n", ctx->mem[k].name, av_dtype_name(ctx->mem[k].dtype), shape);
    }
}

static av_memref *find_memref(av_ctx *ctx, const char *name) {
    for (int k = 0; k < ctx->n_mem; k++) {
        if (strcmp(ctx->mem[k].name, name) == 0) return &ctx->mem[k];
    }
    return NULL;
}

/* On rank 0: checks and reads every --input; 0, or 2 after printing why. */
static int read_inputs(av_ctx *ctx) {
    char err[512];
    for (int j = 0; j < ctx->args.n_inputs; j++) {
        const av_input *in = &ctx->args.inputs[j];
        if (find_memref(ctx, in->name) != NULL) continue;
        fprintf(stderr, "error: --input %s: no schedule memref named '%s'\n", in->spec, in->name);
        return 2;
    }
    for (int j = 0; j < ctx->args.n_inputs; j++) {
        const av_input *in = &ctx->args.inputs[j];
        if (av_npy_read(in->path, find_memref(ctx, in->name), err, sizeof err) == 0) continue;
        fprintf(stderr, "error: --input %s: %s\n", in->spec, err);
        return 2;
    }
    return 0;
}

/* Largest piece of one broadcast; keeps counts far below INT_MAX. */
#define AV_BCAST_CHUNK ((size_t)1 << 30)

static void bcast_bytes(void *data, size_t n, const char *why) {
    for (size_t off = 0; off < n; off += AV_BCAST_CHUNK) {
        size_t piece = n - off < AV_BCAST_CHUNK ? n - off : AV_BCAST_CHUNK;
        AV_MPI_CHECK(MPI_Bcast((char *)data + off, (int)piece, MPI_BYTE, 0, MPI_COMM_WORLD), why);
    }
}

static void load_inputs(av_ctx *ctx) {
    int status = ctx->rank == 0 ? read_inputs(ctx) : 0;
    AV_MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD), "loading inputs");
    if (status != 0) exit_all(ctx, status);
    for (int j = 0; j < ctx->args.n_inputs; j++) {
        av_memref *m = find_memref(ctx, ctx->args.inputs[j].name);
        bcast_bytes(m->data, m->nbytes, "loading inputs");
    }
}

static void alloc_memrefs(av_ctx *ctx) {
    for (int k = 0; k < ctx->n_mem; k++) {
        av_memref *m = &ctx->mem[k];
        m->data = NULL;
        if (av_memref_alloc(m) != 0) av_fail(m->name, "allocation", "bad shape or out of memory");
        av_memref_fill_default(m, k);
    }
}

void av_init(av_ctx *ctx, int argc, char **argv, av_memref *mem, int n_mem) {
    int provided = 0;
    memset(ctx, 0, sizeof *ctx);
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "error: MPI_Init_thread failed\n");
        exit(3);
    }
    AV_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "start-up");
    AV_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &ctx->rank), "start-up");
    AV_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &ctx->size), "start-up");
    ctx->mem = mem;
    ctx->n_mem = n_mem;
    char err[512];
    if (av_parse_args(&ctx->args, argc, argv, err, sizeof err) != 0) {
        if (ctx->rank == 0) fprintf(stderr, "error: %s\n", err);
        exit_all(ctx, 2);
    }
    if (ctx->args.help) {
        if (ctx->rank == 0) print_help(ctx, argc > 0 ? argv[0] : "program");
        exit_all(ctx, 0);
    }
    alloc_memrefs(ctx);
    load_inputs(ctx);
    AV_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD), "start-up");
    ctx->t_start = MPI_Wtime();
}

/* ------------------------------------------------------------------------
 * Tracing
 * ---------------------------------------------------------------------- */

double av_now(const av_ctx *ctx) { return MPI_Wtime() - ctx->t_start; }

/* Copies `src` into `dst[cap]`, cutting at a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void record(av_ctx *ctx, const char *name, const char *cat, double t0, double t1,
                   int64_t bytes, int peer, int tag) {
    if (ctx->args.trace_path == NULL) return;
    if (ctx->n_events == ctx->cap_events) {
        size_t cap = ctx->cap_events ? 2 * ctx->cap_events : 64;
        av_event *grown = realloc(ctx->events, cap * sizeof *grown);
        if (grown == NULL) av_fail(name, "trace recording", "out of memory");
        ctx->events = grown;
        ctx->cap_events = cap;
    }
    av_event *e = &ctx->events[ctx->n_events++];
    memset(e, 0, sizeof *e);
    copy_text(e->name, sizeof e->name, name);
    copy_text(e->cat, sizeof e->cat, cat);
    e->t0 = t0;
    e->t1 = t1;
    e->bytes = bytes;
    e->peer = peer;
    e->tag = tag;
}

void av_record(av_ctx *ctx, const char *name, const char *cat, double t0, int64_t bytes) {
    record(ctx, name, cat, t0, av_now(ctx), bytes, -1, -1);
}

void av_task_done(av_ctx *ctx, const char *name, double t0) {
    record(ctx, name, "task", t0, av_now(ctx), 0, -1, -1);
}

/* ------------------------------------------------------------------------
 * Transfers and barriers
 * ---------------------------------------------------------------------- */

static MPI_Request *next_request(av_reqset *rs) {
    if (rs->n_reqs == rs->cap_reqs) {
        int cap = rs->cap_reqs ? 2 * rs->cap_reqs : 16;
        MPI_Request *grown = realloc(rs->reqs, (size_t)cap * sizeof *grown);
        if (grown == NULL) av_fail("transfers", "request allocation", "out of memory");
        rs->reqs = grown;
        rs->cap_reqs = cap;
    }
    return &rs->reqs[rs->n_reqs++];
}

static MPI_Request *add_pending(av_ctx *ctx, av_reqset *rs, int peer, int tag, int is_send,
                                int64_t bytes, const char *why) {
    if (rs->n_pend == rs->cap_pend) {
        int cap = rs->cap_pend ? 2 * rs->cap_pend : 16;
        av_pending *grown = realloc(rs->pend, (size_t)cap * sizeof *grown);
        if (grown == NULL) av_fail(why, "transfer allocation", "out of memory");
        rs->pend = grown;
        rs->cap_pend = cap;
    }
    av_pending p = {why, peer, tag, is_send, bytes, av_now(ctx)};
    rs->pend[rs->n_pend++] = p;
    return next_request(rs);
}

MPI_Request *av_recv_request(av_ctx *ctx, av_reqset *rs, int src, int tag, int64_t bytes,
                             const char *why) {
    return add_pending(ctx, rs, src, tag, 0, bytes, why);
}

MPI_Request *av_send_request(av_ctx *ctx, av_reqset *rs, int dst, int tag, int64_t bytes,
                             const char *why) {
    return add_pending(ctx, rs, dst, tag, 1, bytes, why);
}

void av_wait_all(av_ctx *ctx, av_reqset *rs, const char *why) {
    double t0 = av_now(ctx);
    if (rs->n_reqs > 0) {
        AV_MPI_CHECK(MPI_Waitall(rs->n_reqs, rs->reqs, MPI_STATUSES_IGNORE), why);
    }
    double t1 = av_now(ctx);
    for (int j = 0; j < rs->n_pend; j++) {
        const av_pending *p = &rs->pend[j];
        record(ctx, p->why, p->is_send ? "send" : "recv", p->t0, t1, p->bytes, p->peer, p->tag);
    }
    if (rs->n_pend > 0) record(ctx, why, "wait", t0, t1, 0, -1, -1);
    free(rs->reqs);
    free(rs->pend);
    av_reqset empty = AV_REQSET_INIT;
    *rs = empty;
}

void av_barrier(av_ctx *ctx, const char *why) {
    double t0 = av_now(ctx);
    AV_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD), why);
    record(ctx, why, "barrier", t0, av_now(ctx), 0, -1, -1);
}

/* ------------------------------------------------------------------------
 * The end: report, output files, trace
 * ---------------------------------------------------------------------- */

void av_stop_clock(av_ctx *ctx) {
    if (ctx->t_stop == 0) ctx->t_stop = MPI_Wtime();
}

static void print_outputs(const av_ctx *ctx, const int *outputs, int n_outputs) {
    for (int j = 0; j < n_outputs; j++) {
        const av_memref *m = &ctx->mem[outputs[j]];
        int len = av_format_memref(NULL, 0, m);
        char *line = malloc((size_t)len + 1);
        if (line == NULL) av_fail(m->name, "printing", "out of memory");
        av_format_memref(line, (size_t)len + 1, m);
        puts(line);
        free(line);
    }
}

/* mkdir -p; 0 or -1 with errno set. */
static int make_dirs(const char *dir) {
    char *path = strdup(dir);
    if (path == NULL) return -1;
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc != 0 && errno != EEXIST) { free(path); return -1; }
    }
    int rc = mkdir(path, 0777);
    free(path);
    struct stat st;
    if (rc != 0 && errno != EEXIST) return -1;
    if (stat(dir, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

/* On rank 0: writes DIR/NAME.npy for each output; 0, or 2 after printing why. */
static int write_outputs(const av_ctx *ctx, const int *outputs, int n_outputs) {
    const char *dir = ctx->args.output_dir;
    if (make_dirs(dir) != 0) {
        fprintf(stderr, "error: --output-dir %s: cannot create: %s\n", dir, strerror(errno));
        return 2;
    }
    for (int j = 0; j < n_outputs; j++) {
        const av_memref *m = &ctx->mem[outputs[j]];
        size_t len = strlen(dir) + strlen(m->name) + 6;
        char *path = malloc(len + 1), err[1024];
        if (path == NULL) av_fail(m->name, "writing", "out of memory");
        snprintf(path, len + 1, "%s/%s.npy", dir, m->name);
        int rc = av_npy_write(path, m, err, sizeof err);
        free(path);
        if (rc == 0) continue;
        fprintf(stderr, "error: %s\n", err);
        return 2;
    }
    return 0;
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void json_event(FILE *f, const av_event *e, int tid) {
    fprintf(f, ",\n{\"name\": ");
    json_string(f, e->name);
    fprintf(f, ", \"cat\": ");
    json_string(f, e->cat);
    fprintf(f, ", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"pid\": 0, \"tid\": %d",
            e->t0 * 1e6, (e->t1 - e->t0) * 1e6, tid);
    if (e->peer >= 0) {
        fprintf(f, ", \"args\": {\"peer\": %d, \"tag\": %d, \"bytes\": %" PRId64 "}", (int)e->peer,
                (int)e->tag, e->bytes);
    } else if (e->bytes > 0) {
        fprintf(f, ", \"args\": {\"bytes\": %" PRId64 "}", e->bytes);
    }
    fprintf(f, "}");
}

/* On rank 0: writes the gathered events (counts[r] from rank r); 0 or 2. */
static int write_trace(const char *path, const av_event *all, const int *counts, int size) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "error: --trace %s: cannot write: %s\n", path, strerror(errno));
        return 2;
    }
    fprintf(f, "{\"traceEvents\": [\n{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, "
               "\"args\": {\"name\": \"avial program\"}}");
    for (int r = 0; r < size; r++) {
        fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": %d, "
                   "\"args\": {\"name\": \"rank %d\"}}", r, r);
    }
    for (int r = 0, at = 0; r < size; at += counts[r], r++) {
        for (int j = 0; j < counts[r]; j++) json_event(f, &all[at + j], r);
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "error: --trace %s: cannot write: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

/* Gathers every rank's events on rank 0 and writes them; 0 or 2. */
static int gather_trace(av_ctx *ctx) {
    int n = (int)ctx->n_events, *counts = NULL, *bytes = NULL, *displs = NULL, total = 0;
    av_event *all = NULL;
    if (ctx->rank == 0) {
        counts = calloc((size_t)ctx->size, sizeof *counts);
        bytes = calloc((size_t)ctx->size, sizeof *bytes);
        displs = calloc((size_t)ctx->size, sizeof *displs);
        if (counts == NULL || bytes == NULL || displs == NULL) av_fail("trace", "gathering", "out of memory");
    }
    AV_MPI_CHECK(MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD), "trace");
    for (int r = 0; ctx->rank == 0 && r < ctx->size; r++) {
        bytes[r] = counts[r] * (int)sizeof(av_event);
        displs[r] = total * (int)sizeof(av_event);
        total += counts[r];
    }
    if (ctx->rank == 0) {
        all = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
        if (all == NULL) av_fail("trace", "gathering", "out of memory");
    }
    AV_MPI_CHECK(MPI_Gatherv(ctx->events, n * (int)sizeof(av_event), MPI_BYTE, all, bytes, displs,
                             MPI_BYTE, 0, MPI_COMM_WORLD), "trace");
    int status = ctx->rank == 0 ? write_trace(ctx->args.trace_path, all, counts, ctx->size) : 0;
    free(counts);
    free(bytes);
    free(displs);
    free(all);
    return status;
}

int av_finish(av_ctx *ctx, const int *outputs, int n_outputs) {
    av_stop_clock(ctx);
    double mine = ctx->t_stop - ctx->t_start, wall = 0;
    AV_MPI_CHECK(MPI_Reduce(&mine, &wall, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD), "wall time");
    int status = 0;
    if (ctx->rank == 0) {
        for (int j = 0; j < n_outputs; j++) av_host_use(ctx, outputs[j], "the outputs");
        print_outputs(ctx, outputs, n_outputs);
        printf("wall time: %.6f s\n", wall);
        fflush(stdout);
        if (ctx->args.output_dir != NULL) status = write_outputs(ctx, outputs, n_outputs);
    }
    if (ctx->args.trace_path != NULL) {
        int traced = gather_trace(ctx);
        if (status == 0) status = traced;
    }
    AV_MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD), "finishing");
    av_dev_release(ctx);
    for (int k = 0; k < ctx->n_mem; k++) av_memref_free(&ctx->mem[k]);
    av_args_free(&ctx->args);
    free(ctx->events);
    ctx->events = NULL;
    MPI_Finalize();
    return status;
}
