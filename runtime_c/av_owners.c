/* av_owners.c — owner tracking at run time; see av_owners.h.
 * Mirrors avial2c/plan/owners.py line for line. */
#include "av_owners.h"

#include <stdlib.h>
#include <string.h>

void av_owners_init(av_owners *o, const av_ctx *ctx) {
    o->size = ctx->size;
    o->n_mem = ctx->n_mem;
    o->count = 0;
    o->writer = (int *)malloc((size_t)(ctx->n_mem > 0 ? ctx->n_mem : 1) * sizeof *o->writer);
    o->valid = (unsigned char *)calloc((size_t)(ctx->n_mem > 0 ? ctx->n_mem : 1) * (size_t)ctx->size, 1);
    if (o->writer == NULL || o->valid == NULL) {
        av_fail("owner tracking", "calloc", "out of memory");
    }
    for (int m = 0; m < ctx->n_mem; m++) {
        o->writer[m] = -1;
    }
}

void av_owners_free(av_owners *o) {
    free(o->writer);
    free(o->valid);
    o->writer = NULL;
    o->valid = NULL;
}

/* The last writer's rank, if it still holds memref m, else the lowest rank that does. */
static int source_rank(const av_owners *o, int m) {
    const unsigned char *valid = o->valid + (size_t)m * (size_t)o->size;
    if (valid[o->writer[m]]) {
        return o->writer[m];
    }
    for (int r = 0; r < o->size; r++) {
        if (valid[r]) {
            return r;
        }
    }
    return o->writer[m];
}

av_move av_owner_move(av_owners *o, int m, int dst) {
    av_move none = {m, -1, -1, -1};
    if (o->writer[m] < 0) {
        return none; /* never written: every rank holds the initial contents */
    }
    unsigned char *valid = o->valid + (size_t)m * (size_t)o->size;
    if (valid[dst]) {
        return none;
    }
    int src = source_rank(o, m);
    int tag = (int)(o->count % AV_TAG_LIMIT);
    o->count++;
    valid[dst] = 1;
    av_move move = {m, src, dst, tag};
    return move;
}

void av_wrote(av_owners *o, int m, int rank) {
    o->writer[m] = rank;
    memset(o->valid + (size_t)m * (size_t)o->size, 0, (size_t)o->size);
    o->valid[(size_t)m * (size_t)o->size + (size_t)rank] = 1;
}
