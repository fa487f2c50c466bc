/* av_device.c — device copies of schedule memrefs; see av_device.h. */
#include "av_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avial_rt.h"

/* Per rank: the device copy of each memref and, row by row (dimension 0),
 * which copies are current: at least one of the two always is. */
struct av_devstate {
    const av_dev_ops *ops;
    int local_rank;     /* rank among the ranks of this node */
    int selected;       /* ops->select has run */
    void **ptr;         /* device copy of memref m, NULL until first used */
    unsigned char **host_ok;  /* host_ok[m][row]: the host copy of the row is current */
    unsigned char **dev_ok;   /* dev_ok[m][row]: the device copy of the row is current */
};

/* Rows of memref m (dimension 0; a 0-d memref has one) and bytes per row. */
static int64_t rows_of(const av_memref *m) { return m->rank > 0 ? m->shape[0] : 1; }

static size_t row_bytes(const av_memref *m) {
    int64_t rows = rows_of(m);
    return rows > 0 ? m->nbytes / (size_t)rows : 0;
}

/* [lo, hi) clipped to the rows of m. */
static void clip(const av_memref *m, int64_t *lo, int64_t *hi) {
    int64_t rows = rows_of(m);
    if (*lo < 0) *lo = 0;
    if (*hi > rows) *hi = rows;
    if (*lo > *hi) *lo = *hi;
}

/* ------------------------------------------------------------------------
 * Emulated device memory: separate host allocations.
 * ---------------------------------------------------------------------- */

static void emulated_select(int local_rank, const char *what) {
    (void)local_rank;
    (void)what;
}

static void *emulated_alloc(size_t bytes, const char *what) {
    void *p = calloc(bytes > 0 ? bytes : 1, 1);
    if (p == NULL) av_fail(what, "emulated device allocation", "out of memory");
    return p;
}

static void emulated_copy_to_device(void *dev, const void *host, size_t bytes, const char *what) {
    (void)what;
    memcpy(dev, host, bytes);
}

static void emulated_copy_to_host(void *host, const void *dev, size_t bytes, const char *what) {
    (void)what;
    memcpy(host, dev, bytes);
}

const av_dev_ops av_emulated_ops = {
    "emulated", emulated_select, emulated_alloc, emulated_copy_to_device,
    emulated_copy_to_host, free,
};

/* ------------------------------------------------------------------------
 * The coherence table
 * ---------------------------------------------------------------------- */

void av_dev_setup(av_ctx *ctx, const av_dev_ops *ops) {
    struct av_devstate *d = calloc(1, sizeof *d);
    size_t n = (size_t)(ctx->n_mem > 0 ? ctx->n_mem : 1);
    if (d != NULL) {
        d->ptr = calloc(n, sizeof *d->ptr);
        d->host_ok = calloc(n, sizeof *d->host_ok);
        d->dev_ok = calloc(n, sizeof *d->dev_ok);
    }
    if (d == NULL || d->ptr == NULL || d->host_ok == NULL || d->dev_ok == NULL) {
        av_fail("device copies", "calloc", "out of memory");
    }
    for (int m = 0; m < ctx->n_mem; m++) {
        size_t rows = (size_t)rows_of(&ctx->mem[m]);
        d->host_ok[m] = malloc(rows > 0 ? rows : 1);
        d->dev_ok[m] = calloc(rows > 0 ? rows : 1, 1);
        if (d->host_ok[m] == NULL || d->dev_ok[m] == NULL) {
            av_fail("device copies", "calloc", "out of memory");
        }
        memset(d->host_ok[m], 1, rows > 0 ? rows : 1);
    }
    d->ops = ops;
    MPI_Comm node;
    AV_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, ctx->rank,
                                     MPI_INFO_NULL, &node), "device selection");
    AV_MPI_CHECK(MPI_Comm_rank(node, &d->local_rank), "device selection");
    AV_MPI_CHECK(MPI_Comm_free(&node), "device selection");
    ctx->dev = d;
    /* av_finish and the exit path reach the device copies through these. */
    ctx->host_use = av_host_use;
    ctx->dev_release = av_dev_release;
}

/* "%NAME DIRECTION for WHO", for traces and messages. */
static void copy_name(char *buf, size_t cap, const av_memref *m, const char *dir, const char *who) {
    snprintf(buf, cap, "%%%s %s for %s", m->name, dir, who);
}

/* The next run [*s, *e) of rows in [from, hi) whose copy in ok[] is stale;
 * 0 when there is none. */
static int stale_run(const unsigned char *ok, int64_t from, int64_t hi, int64_t *s, int64_t *e) {
    while (from < hi && ok[from]) from++;
    if (from >= hi) return 0;
    *s = from;
    while (from < hi && !ok[from]) from++;
    *e = from;
    return 1;
}

void *av_dev_use_rows(av_ctx *ctx, int m, av_dev_mode mode, const char *task, int64_t lo,
                      int64_t hi) {
    struct av_devstate *d = ctx->dev;
    av_memref *mr = &ctx->mem[m];
    if (d == NULL) av_fail(task, "av_dev_use", "av_dev_setup was not called");
    if (!d->selected) {
        d->ops->select(d->local_rank, task);
        d->selected = 1;
    }
    if (d->ptr[m] == NULL) d->ptr[m] = d->ops->alloc(mr->nbytes, task);
    if (mode != AV_DEV_READ) return d->ptr[m];
    clip(mr, &lo, &hi);
    size_t rb = row_bytes(mr);
    int64_t s, e;
    for (int64_t from = lo; stale_run(d->dev_ok[m], from, hi, &s, &e); from = e) {
        char name[160];
        copy_name(name, sizeof name, mr, "to the GPU", task);
        size_t off = (size_t)s * rb, bytes = (size_t)(e - s) * rb;
        double t0 = av_now(ctx);
        d->ops->to_device((char *)d->ptr[m] + off, (const char *)mr->data + off, bytes, name);
        av_record(ctx, name, "h2d", t0, (int64_t)bytes);
        memset(d->dev_ok[m] + s, 1, (size_t)(e - s));
    }
    return d->ptr[m];
}

void *av_dev_use(av_ctx *ctx, int m, av_dev_mode mode, const char *task) {
    return av_dev_use_rows(ctx, m, mode, task, 0, rows_of(&ctx->mem[m]));
}

void av_dev_wrote_rows(av_ctx *ctx, int m, int64_t lo, int64_t hi) {
    struct av_devstate *d = ctx->dev;
    clip(&ctx->mem[m], &lo, &hi);
    memset(d->dev_ok[m] + lo, 1, (size_t)(hi - lo));
    memset(d->host_ok[m] + lo, 0, (size_t)(hi - lo));
}

void av_dev_wrote(av_ctx *ctx, int m) { av_dev_wrote_rows(ctx, m, 0, rows_of(&ctx->mem[m])); }

void av_host_use_rows(av_ctx *ctx, int m, const char *why, int64_t lo, int64_t hi) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL) return;
    av_memref *mr = &ctx->mem[m];
    clip(mr, &lo, &hi);
    size_t rb = row_bytes(mr);
    int64_t s, e;
    for (int64_t from = lo; stale_run(d->host_ok[m], from, hi, &s, &e); from = e) {
        char name[160];
        copy_name(name, sizeof name, mr, "from the GPU", why);
        size_t off = (size_t)s * rb, bytes = (size_t)(e - s) * rb;
        double t0 = av_now(ctx);
        d->ops->to_host((char *)mr->data + off, (const char *)d->ptr[m] + off, bytes, name);
        av_record(ctx, name, "d2h", t0, (int64_t)bytes);
        memset(d->host_ok[m] + s, 1, (size_t)(e - s));
    }
}

void av_host_use(av_ctx *ctx, int m, const char *why) {
    av_host_use_rows(ctx, m, why, 0, rows_of(&ctx->mem[m]));
}

void av_host_wrote_rows(av_ctx *ctx, int m, int64_t lo, int64_t hi) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL) return;
    clip(&ctx->mem[m], &lo, &hi);
    memset(d->host_ok[m] + lo, 1, (size_t)(hi - lo));
    memset(d->dev_ok[m] + lo, 0, (size_t)(hi - lo));
}

void av_host_wrote(av_ctx *ctx, int m) { av_host_wrote_rows(ctx, m, 0, rows_of(&ctx->mem[m])); }

void av_dev_release(av_ctx *ctx) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL) return;
    for (int m = 0; m < ctx->n_mem; m++) {
        if (d->ptr[m] != NULL) d->ops->release(d->ptr[m]);
        free(d->host_ok[m]);
        free(d->dev_ok[m]);
    }
    free(d->ptr);
    free(d->host_ok);
    free(d->dev_ok);
    free(d);
    ctx->dev = NULL;
    ctx->host_use = NULL;
    ctx->dev_release = NULL;
}
