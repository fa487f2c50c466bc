/* av_device.c — device copies of schedule memrefs; see av_device.h. */
#include "av_device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avial_rt.h"

/* Per rank: the device copy of each memref and which copies are current. */
struct av_devstate {
    const av_dev_ops *ops;
    int local_rank;     /* rank among the ranks of this node */
    int selected;       /* ops->select has run */
    void **ptr;         /* device copy of memref m, NULL until first used */
    unsigned char *host_ok;  /* the host copy is current */
    unsigned char *dev_ok;   /* the device copy is current */
};

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
        d->host_ok = malloc(n);
        d->dev_ok = calloc(n, 1);
    }
    if (d == NULL || d->ptr == NULL || d->host_ok == NULL || d->dev_ok == NULL) {
        av_fail("device copies", "calloc", "out of memory");
    }
    memset(d->host_ok, 1, n);
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

void *av_dev_use(av_ctx *ctx, int m, av_dev_mode mode, const char *task) {
    struct av_devstate *d = ctx->dev;
    av_memref *mr = &ctx->mem[m];
    if (d == NULL) av_fail(task, "av_dev_use", "av_dev_setup was not called");
    if (!d->selected) {
        d->ops->select(d->local_rank, task);
        d->selected = 1;
    }
    if (d->ptr[m] == NULL) d->ptr[m] = d->ops->alloc(mr->nbytes, task);
    if (mode == AV_DEV_READ && !d->dev_ok[m]) {
        char name[160];
        copy_name(name, sizeof name, mr, "to the GPU", task);
        double t0 = av_now(ctx);
        d->ops->to_device(d->ptr[m], mr->data, mr->nbytes, name);
        av_record(ctx, name, "h2d", t0, (int64_t)mr->nbytes);
        d->dev_ok[m] = 1;
    }
    return d->ptr[m];
}

void av_dev_wrote(av_ctx *ctx, int m) {
    struct av_devstate *d = ctx->dev;
    d->dev_ok[m] = 1;
    d->host_ok[m] = 0;
}

void av_host_use(av_ctx *ctx, int m, const char *why) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL || d->host_ok[m]) return;
    av_memref *mr = &ctx->mem[m];
    char name[160];
    copy_name(name, sizeof name, mr, "from the GPU", why);
    double t0 = av_now(ctx);
    d->ops->to_host(mr->data, d->ptr[m], mr->nbytes, name);
    av_record(ctx, name, "d2h", t0, (int64_t)mr->nbytes);
    d->host_ok[m] = 1;
}

void av_host_wrote(av_ctx *ctx, int m) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL) return;
    d->host_ok[m] = 1;
    d->dev_ok[m] = 0;
}

void av_dev_release(av_ctx *ctx) {
    struct av_devstate *d = ctx->dev;
    if (d == NULL) return;
    for (int m = 0; m < ctx->n_mem; m++) {
        if (d->ptr[m] != NULL) d->ops->release(d->ptr[m]);
    }
    free(d->ptr);
    free(d->host_ok);
    free(d->dev_ok);
    free(d);
    ctx->dev = NULL;
    ctx->host_use = NULL;
    ctx->dev_release = NULL;
}
