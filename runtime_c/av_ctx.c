/*
 * av_ctx.c — the program's life: start-up (av_init: MPI, command line,
 * memrefs, --input files) and the end (av_finish: report, output files,
 * trace, clean-up).  Device copies are reached only through the hooks in
 * av_ctx that av_dev_setup sets.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "av_internal.h"

/* Frees the device copies (through the hook av_dev_setup set, so that this
 * file never calls into av_device.c), the memrefs, the command line and the
 * trace records. */
static void free_all(av_ctx *ctx) {
    if (ctx->dev_release != NULL) ctx->dev_release(ctx);
    for (int k = 0; k < ctx->n_mem; k++) av_memref_free(&ctx->mem[k]);
    av_args_free(&ctx->args);
    free(ctx->events);
    ctx->events = NULL;
}

/* Frees everything, finalizes MPI and exits every rank with `status`.  The
 * barrier keeps the launcher from killing rank 0 before its message is out. */
static void exit_all(av_ctx *ctx, int status) {
    fflush(stdout);
    fflush(stderr);
    MPI_Barrier(MPI_COMM_WORLD);
    free_all(ctx);
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

/* Rank 0 reads and checks every --input; the broadcast of its outcome is the
 * agreement step that makes a bad file an error of every rank, so that all
 * leave together through MPI_Finalize with status 2 (exit_all), never
 * through MPI_Abort, which is kept for failures only some ranks see
 * (av_fail). */
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

int64_t av_omp_min_work = 8192;

/* AVIAL_OMP_MIN_WORK, when it is a number >= 0. */
static void read_omp_min_work(void) {
    const char *text = getenv("AVIAL_OMP_MIN_WORK");
    if (text == NULL || *text == '\0') return;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno == 0 && *end == '\0' && n >= 0) av_omp_min_work = (int64_t)n;
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
    read_omp_min_work();
#ifdef _OPENMP
    /* Start this rank's OpenMP threads now, before the clock: the first
     * parallel loop of a task would otherwise pay for creating them. */
#pragma omp parallel
    {
        (void)0;
    }
#endif
    AV_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD), "start-up");
    ctx->t_start = MPI_Wtime();
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

int av_finish(av_ctx *ctx, const int *outputs, int n_outputs) {
    av_stop_clock(ctx);
    double mine = ctx->t_stop - ctx->t_start, wall = 0;
    AV_MPI_CHECK(MPI_Reduce(&mine, &wall, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD), "wall time");
    int status = 0;
    if (ctx->rank == 0) {
        /* A GPU task may have left the current copy of an output on the device. */
        for (int j = 0; ctx->host_use != NULL && j < n_outputs; j++) {
            ctx->host_use(ctx, outputs[j], "the outputs");
        }
        print_outputs(ctx, outputs, n_outputs);
        printf("wall time: %.6f s\n", wall);
        fflush(stdout);
        if (ctx->args.output_dir != NULL) status = write_outputs(ctx, outputs, n_outputs);
    }
    if (ctx->args.trace_path != NULL) {
        int traced = av_trace_gather(ctx);
        if (status == 0) status = traced;
    }
    AV_MPI_CHECK(MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD), "finishing");
    free_all(ctx);
    MPI_Finalize();
    return status;
}
