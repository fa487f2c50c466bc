/*
 * av_comm.c — request sets of non-blocking transfers (av_recv_request,
 * av_send_request), completing them (av_wait_all) and barriers, all traced.
 */
#include <stdlib.h>

#include "av_internal.h"

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
    av_pending p = {why, peer, tag, is_send, bytes, av_now(ctx), ctx->n_events};
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
/* MPICH defines MPI_STATUSES_IGNORE as (MPI_Status *)1, which GCC's
 * -Wstringop-overflow takes for an array too small for n_reqs statuses. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
        AV_MPI_CHECK(MPI_Waitall(rs->n_reqs, rs->reqs, MPI_STATUSES_IGNORE), why);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    }
    double t1 = av_now(ctx);
    /* Each message's slice is its posting: it ends where the next request,
     * the next record (a device copy made for the next send) or the wait
     * begins.  Drawn until the end of the wait, the messages of a level
     * would all share one end and stack as if nested. */
    size_t recorded = ctx->n_events;
    for (int j = 0; j < rs->n_pend; j++) {
        const av_pending *p = &rs->pend[j];
        double end = j + 1 < rs->n_pend ? rs->pend[j + 1].t0 : t0;
        if (p->mark < recorded && ctx->events[p->mark].t0 < end) end = ctx->events[p->mark].t0;
        if (end < p->t0) end = p->t0;
        av_trace_event(ctx, p->why, p->is_send ? "send" : "recv", p->t0, end, p->bytes, p->peer,
                       p->tag);
    }
    if (rs->n_pend > 0) av_trace_event(ctx, why, "wait", t0, t1, 0, -1, -1);
    free(rs->reqs);
    free(rs->pend);
    av_reqset empty = AV_REQSET_INIT;
    *rs = empty;
}

void av_barrier(av_ctx *ctx, const char *why) {
    double t0 = av_now(ctx);
    AV_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD), why);
    av_trace_event(ctx, why, "barrier", t0, av_now(ctx), 0, -1, -1);
}
