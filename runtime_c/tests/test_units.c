/*
 * Unit tests of the parts of the runtime that need no MPI: element types,
 * memrefs, default values, .npy reading and writing, report formatting and
 * the command line.
 *
 * usage: test_units DIR
 *   DIR holds numpy-written files (np_*.npy, see tests/test_runtime_c.py);
 *   the test writes its own files there too (c_*.npy are checked with numpy).
 * Exit status 0 when every check passes, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include "avial_rt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks, failures;

#define CHECK(cond)                                                               \
    do {                                                                          \
        checks++;                                                                 \
        if (!(cond)) {                                                            \
            failures++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                         \
    } while (0)

#define CHECK_STR(got, want)                                                     \
    do {                                                                         \
        checks++;                                                                \
        if (strcmp((got), (want)) != 0) {                                        \
            failures++;                                                          \
            fprintf(stderr, "%s:%d: got  \"%s\"\n%*swant \"%s\"\n", __FILE__, __LINE__, \
                    (got), (int)strlen(__FILE__) + 8, "", (want));               \
        }                                                                        \
    } while (0)

static const av_dtype ALL[] = {AV_I1, AV_I8, AV_I16, AV_I32, AV_I64, AV_INDEX, AV_F32, AV_F64};
static const int64_t SHAPES[5][AV_MAX_RANK] = {{0}, {7}, {2, 3}, {2, 3, 4}, {2, 1, 3, 2}};
static const char *dir;

static av_memref make(const char *name, av_dtype t, int rank, const int64_t *shape) {
    av_memref m = {name, t, rank, {0}, NULL, 0};
    for (int d = 0; d < rank; d++) m.shape[d] = shape[d];
    if (av_memref_alloc(&m) != 0) {
        fprintf(stderr, "allocation failed\n");
        exit(1);
    }
    return m;
}

static av_memref make1(const char *name, av_dtype t, int64_t n) {
    int64_t shape[1] = {n};
    return make(name, t, 1, shape);
}

static const char *path_of(const char *file) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", dir, file);
    return buf;
}

/* Element i of m as a double. */
static double value(const av_memref *m, int64_t i) {
    switch (m->dtype) {
    case AV_I1: return ((const uint8_t *)m->data)[i];
    case AV_I8: return ((const int8_t *)m->data)[i];
    case AV_I16: return ((const int16_t *)m->data)[i];
    case AV_I32: return ((const int32_t *)m->data)[i];
    case AV_I64:
    case AV_INDEX: return (double)((const int64_t *)m->data)[i];
    case AV_F32: return ((const float *)m->data)[i];
    case AV_F64: return ((const double *)m->data)[i];
    }
    return 0;
}

static void test_dtypes(void) {
    static const size_t sizes[] = {1, 1, 2, 4, 8, 8, 4, 8};
    static const char *const descrs[] = {"|b1", "|i1", "<i2", "<i4", "<i8", "<i8", "<f4", "<f8"};
    for (int t = 0; t < 8; t++) {
        CHECK(av_dtype_size(ALL[t]) == sizes[t]);
        CHECK_STR(av_dtype_descr(ALL[t]), descrs[t]);
    }
    CHECK_STR(av_dtype_name(AV_INDEX), "int64");
    CHECK_STR(av_dtype_name(AV_I1), "bool");
}

static void test_memrefs(void) {
    int64_t shape[4] = {2, 3, 4, 5};
    av_memref m = make("m", AV_F64, 4, shape);
    CHECK(av_memref_numel(&m) == 120);
    CHECK(m.nbytes == 960);
    CHECK(((uintptr_t)m.data % 64) == 0);
    CHECK(value(&m, 119) == 0.0);
    av_memref_free(&m);
    CHECK(m.data == NULL && m.nbytes == 0);
    av_memref s = make("s", AV_I16, 0, shape);
    CHECK(av_memref_numel(&s) == 1 && s.nbytes == 2);
    av_memref_free(&s);
    av_memref bad = {"bad", AV_I32, 5, {1, 1, 1, 1}, NULL, 0};
    CHECK(av_memref_alloc(&bad) == -1);
    av_memref neg = {"neg", AV_I32, 1, {-3}, NULL, 0};
    CHECK(av_memref_alloc(&neg) == -1);
}

static void test_defaults(void) {
    av_memref a = make1("a", AV_I32, 20);
    av_memref_fill_default(&a, 1);
    CHECK(value(&a, 0) == 4 && value(&a, 7) == 11 && value(&a, 8) == 1 && value(&a, 19) == 1);
    av_memref b = make1("b", AV_I1, 12);
    av_memref_fill_default(&b, 0);
    CHECK(value(&b, 0) == 1 && value(&b, 1) == 0 && value(&b, 10) == 1 && value(&b, 11) == 1);
    av_memref c = make1("c", AV_F64, 5);
    av_memref_fill_default(&c, 4);
    CHECK(value(&c, 0) == 2.0 && value(&c, 4) == 6.0);
    for (int64_t i = 0; i < 20; i++) CHECK(value(&a, i) == (double)((i + 3) % 11 + 1));
    av_memref_free(&a);
    av_memref_free(&b);
    av_memref_free(&c);
}

/* Writes every dtype at ranks 0..4 and reads it back; leaves c_T_R.npy for numpy. */
static void test_round_trip(void) {
    char err[256], file[64];
    for (int t = 0; t < 8; t++) {
        for (int r = 0; r <= 4; r++) {
            av_memref m = make("m", ALL[t], r, SHAPES[r]);
            av_memref back = make("m", ALL[t], r, SHAPES[r]);
            av_memref_fill_default(&m, t + r);
            snprintf(file, sizeof file, "c_%d_%d.npy", t, r);
            CHECK(av_npy_write(path_of(file), &m, err, sizeof err) == 0);
            int rc = av_npy_read(path_of(file), &back, err, sizeof err);
            CHECK(rc == 0);
            if (rc != 0) fprintf(stderr, "  %s: %s\n", file, err);
            CHECK(memcmp(m.data, back.data, m.nbytes) == 0);
            av_memref_free(&m);
            av_memref_free(&back);
        }
    }
}

/* Reads np_NAME_R.npy written by numpy: value at i is i % 2 for bool,
 * (i % 7) - 3 for integers and i * 0.5 - 1 for floats. */
static void test_numpy_files(void) {
    char err[256], file[64];
    for (int t = 0; t < 8; t++) {
        if (ALL[t] == AV_INDEX) continue;
        for (int r = 0; r <= 4; r++) {
            av_memref m = make("m", ALL[t], r, SHAPES[r]);
            snprintf(file, sizeof file, "np_%s_%d.npy", av_dtype_name(ALL[t]), r);
            int rc = av_npy_read(path_of(file), &m, err, sizeof err);
            CHECK(rc == 0);
            if (rc != 0) fprintf(stderr, "  %s: %s\n", file, err);
            for (int64_t i = 0; rc == 0 && i < av_memref_numel(&m); i++) {
                double want = ALL[t] == AV_I1 ? (double)(i % 2)
                              : ALL[t] >= AV_F32 ? (double)i * 0.5 - 1 : (double)(i % 7 - 3);
                CHECK(value(&m, i) == want);
            }
            av_memref_free(&m);
        }
    }
    static const char *const versions[] = {"np_v2.npy", "np_v3.npy", "np_padded.npy"};
    for (int v = 0; v < 3; v++) {
        av_memref m = make1("m", AV_I32, 5);
        int rc = av_npy_read(path_of(versions[v]), &m, err, sizeof err);
        CHECK(rc == 0);
        if (rc != 0) fprintf(stderr, "  %s: %s\n", versions[v], err);
        CHECK(value(&m, 4) == 4);
        av_memref_free(&m);
    }
}

/* Writes `len` bytes of `bytes` to FILE in DIR. */
static void write_raw(const char *file, const void *bytes, size_t len) {
    FILE *f = fopen(path_of(file), "wb");
    if (f == NULL || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", file);
        exit(1);
    }
}

/* The message reading FILE into an int32 (20,) memref gives ("" when it reads). */
static const char *read_error(const char *file, av_dtype t, int rank, const int64_t *shape) {
    static char err[256];
    av_memref m = make("m", t, rank, shape);
    if (av_npy_read(path_of(file), &m, err, sizeof err) == 0) err[0] = '\0';
    av_memref_free(&m);
    return err;
}

static const char *read_error20(const char *file) {
    int64_t shape[1] = {20};
    return read_error(file, AV_I32, 1, shape);
}

/* Contents of FILE in DIR, malloc'd; its length in *len. */
static char *slurp(const char *file, size_t *len) {
    FILE *f = fopen(path_of(file), "rb");
    char *buf = malloc(1 << 16);
    *len = f != NULL && buf != NULL ? fread(buf, 1, 1 << 16, f) : 0;
    if (f != NULL) fclose(f);
    return buf;
}

static void test_rejections(void) {
    char err[256];
    int64_t s45[2] = {4, 5};
    av_memref f = make1("f", AV_F64, 20), w = make("w", AV_I32, 2, s45), ok = make1("ok", AV_I32, 20);
    CHECK(av_npy_write(path_of("bad_f64.npy"), &f, err, sizeof err) == 0);
    CHECK(av_npy_write(path_of("bad_shape.npy"), &w, err, sizeof err) == 0);
    CHECK(av_npy_write(path_of("good.npy"), &ok, err, sizeof err) == 0);
    CHECK_STR(read_error20("bad_f64.npy"), "expected int32 (20,), found float64 (20,)");
    CHECK_STR(read_error20("bad_shape.npy"), "expected int32 (20,), found int32 (4, 5)");
    CHECK_STR(read_error("good.npy", AV_I32, 2, s45), "expected int32 (4, 5), found int32 (20,)");
    CHECK_STR(read_error("good.npy", AV_I32, 0, s45), "expected int32 (), found int32 (20,)");
    CHECK_STR(read_error20("missing.npy"), "cannot open: No such file or directory");
    CHECK_STR(read_error20("np_uint8_1.npy"), "expected int32 (20,), found uint8 (7,)");
    CHECK_STR(read_error20("np_bigendian.npy"), "expected int32 (20,), found '>i4' (20,)");
    CHECK_STR(read_error("np_fortran.npy", AV_I32, 2, s45), "expected C order, found Fortran order");

    size_t len;
    char *bytes = slurp("good.npy", &len);
    write_raw("truncated.npy", bytes, len - 40);
    CHECK_STR(read_error20("truncated.npy"), "truncated: expected 80 data bytes, found 40");
    write_raw("header_only.npy", bytes, len - 80);
    CHECK_STR(read_error20("header_only.npy"), "truncated: expected 80 data bytes, found 0");
    write_raw("cut_header.npy", bytes, 30);
    CHECK_STR(read_error20("cut_header.npy"), "truncated .npy header");
    memcpy(bytes + len, "\0\0\0\0", 4);
    write_raw("trailing.npy", bytes, len + 4);
    CHECK_STR(read_error20("trailing.npy"), "trailing data: expected 80 data bytes, found 84");
    char *fo = strstr(bytes + 10, "False");
    memcpy(fo, "True ", 5);
    write_raw("fortran.npy", bytes, len);
    CHECK_STR(read_error20("fortran.npy"), "expected C order, found Fortran order");
    memcpy(fo, "Maybe", 5);
    write_raw("bad_header.npy", bytes, len);
    CHECK_STR(read_error20("bad_header.npy"), "bad .npy header");
    memcpy(fo, "False", 5);
    bytes[6] = 4;
    write_raw("version4.npy", bytes, len);
    CHECK_STR(read_error20("version4.npy"), "unsupported .npy version 4.0");
    write_raw("text.npy", "hello, world\n", 13);
    CHECK_STR(read_error20("text.npy"), "not a .npy file");
    write_raw("empty.npy", "", 0);
    CHECK_STR(read_error20("empty.npy"), "not a .npy file");
    free(bytes);
    av_memref_free(&f);
    av_memref_free(&w);
    av_memref_free(&ok);
}

static const char *format(const av_memref *m) {
    static char buf[512];
    int n = av_format_memref(buf, sizeof buf, m);
    CHECK(n == (int)strlen(buf));
    return buf;
}

static void test_format(void) {
    av_memref c = make1("c", AV_I32, 20);
    for (int i = 0; i < 20; i++) ((int32_t *)c.data)[i] = 2 * (i + 1);
    CHECK_STR(format(&c), "%c = [2, 4, 6, 8, 10, 12, 14, 16, ... (20 elements)]");
    av_memref x = make1("x", AV_I8, 3);
    ((int8_t *)x.data)[0] = -128;
    ((int8_t *)x.data)[2] = 127;
    CHECK_STR(format(&x), "%x = [-128, 0, 127]");
    av_memref e = make1("e", AV_I16, 8);
    CHECK_STR(format(&e), "%e = [0, 0, 0, 0, 0, 0, 0, 0]");
    av_memref s = make("s", AV_INDEX, 0, NULL);
    ((int64_t *)s.data)[0] = INT64_MIN;
    CHECK_STR(format(&s), "%s = [-9223372036854775808]");
    av_memref b = make1("flag", AV_I1, 9);
    av_memref_fill_default(&b, 0);
    CHECK_STR(format(&b), "%flag = [1, 0, 1, 0, 1, 0, 1, 0, ... (9 elements)]");
    av_memref f = make1("f", AV_F32, 8);
    float fv[8] = {NAN, -NAN, INFINITY, -INFINITY, 0.1f, -0.0f, 1e20f, 1.5e-7f};
    memcpy(f.data, fv, sizeof fv);
    CHECK_STR(format(&f), "%f = [nan, nan, inf, -inf, 0.1, -0, 1e+20, 1.5e-07]");
    av_memref d = make1("d", AV_F64, 4);
    double dv[4] = {1.0 / 3.0, 123456789.0, -2.5, 100000.0};
    memcpy(d.data, dv, sizeof dv);
    CHECK_STR(format(&d), "%d = [0.333333, 1.23457e+08, -2.5, 100000]");

    char small[8];
    int n = av_format_memref(small, sizeof small, &c);
    CHECK(n == (int)strlen("%c = [2, 4, 6, 8, 10, 12, 14, 16, ... (20 elements)]"));
    CHECK_STR(small, "%c = [2");
    CHECK(av_format_memref(NULL, 0, &x) == (int)strlen("%x = [-128, 0, 127]"));
    char shape[32];
    int64_t dims[4] = {2, 3, 4, 5};
    av_format_shape(shape, sizeof shape, 0, dims);
    CHECK_STR(shape, "()");
    av_format_shape(shape, sizeof shape, 1, dims);
    CHECK_STR(shape, "(2,)");
    av_format_shape(shape, sizeof shape, 4, dims);
    CHECK_STR(shape, "(2, 3, 4, 5)");
    av_memref *all[] = {&c, &x, &e, &s, &b, &f, &d};
    for (int j = 0; j < 7; j++) av_memref_free(all[j]);
}

/* Parses the NULL-terminated argument list; returns the status, message in err. */
static int parse(av_args *a, char *err, size_t cap, ...) {
    char *argv[16] = {"prog"};
    int argc = 1;
    va_list ap;
    va_start(ap, cap);
    for (char *s; argc < 15 && (s = va_arg(ap, char *)) != NULL;) argv[argc++] = s;
    va_end(ap);
    return av_parse_args(a, argc, argv, err, cap);
}

static void check_rejected(const char *want, int rc, av_args *a, const char *err) {
    CHECK(rc == 2);
    CHECK_STR(err, want);
    av_args_free(a);
}

static void test_args(void) {
    av_args a;
    char err[256];
    int rc = parse(&a, err, sizeof err, "--input", "a=x.npy", "--input=%b=dir/y=z.npy",
                   "--output-dir", "out", "--trace=t.json", NULL);
    CHECK(rc == 0 && a.n_inputs == 2 && !a.help);
    CHECK_STR(a.inputs[0].name, "a");
    CHECK_STR(a.inputs[0].path, "x.npy");
    CHECK_STR(a.inputs[1].name, "b");
    CHECK_STR(a.inputs[1].path, "dir/y=z.npy");
    CHECK_STR(a.inputs[1].spec, "%b=dir/y=z.npy");
    CHECK_STR(a.output_dir, "out");
    CHECK_STR(a.trace_path, "t.json");
    av_args_free(&a);
    CHECK(parse(&a, err, sizeof err, NULL) == 0 && a.n_inputs == 0 && a.output_dir == NULL);
    av_args_free(&a);
    CHECK(parse(&a, err, sizeof err, "--help", NULL) == 0 && a.help == 1);
    av_args_free(&a);
    rc = parse(&a, err, sizeof err, "--bogus", NULL);
    check_rejected("unknown option '--bogus' (try --help)", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--inputs=a=b", NULL);
    check_rejected("unknown option '--inputs=a=b' (try --help)", rc, &a, err);
    rc = parse(&a, err, sizeof err, "stray", NULL);
    check_rejected("unexpected argument 'stray' (try --help)", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--input", NULL);
    check_rejected("--input needs a value", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--input", "a", NULL);
    check_rejected("--input 'a': expected NAME=FILE.npy", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--input", "=x.npy", NULL);
    check_rejected("--input '=x.npy': expected NAME=FILE.npy", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--input", "a=", NULL);
    check_rejected("--input 'a=': expected NAME=FILE.npy", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--input", "a=1.npy", "--input", "a=2.npy", NULL);
    check_rejected("--input a given more than once", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--trace", "1.json", "--trace", "2.json", NULL);
    check_rejected("--trace given more than once", rc, &a, err);
    rc = parse(&a, err, sizeof err, "--output-dir=", NULL);
    check_rejected("--output-dir needs a non-empty value", rc, &a, err);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    test_dtypes();
    test_memrefs();
    test_defaults();
    test_round_trip();
    test_numpy_files();
    test_rejections();
    test_format();
    test_args();
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
