/*
 * Transfers between ranks, run under mpirun with 2 or 3 ranks.
 *
 * Every rank sends a 12 MiB memref to the next rank while it receives the
 * same amount from the previous one (with 2 ranks: both ways at once), then
 * the same around the ring the other way, reusing the request set.  Tasks,
 * waits and barriers are traced when --trace is given.  Rank 0 prints its
 * received memref (%in) as output.
 *
 * With AV_TEST_BAD_SEND=1 in the environment, rank 0 sends to a rank that
 * does not exist, which must end every rank with status 3.
 * Exit status 0 when all data arrived intact.
 */
#include "avial_rt.h"

#include <stdio.h>
#include <stdlib.h>

#define N ((int64_t)3 << 19) /* 1.5 Mi doubles = 12 MiB */

static av_memref mem[] = {
    {"out", AV_F64, 1, {N}, NULL, 0},
    {"in", AV_F64, 1, {N}, NULL, 0},
};
static const int outputs[] = {1};

static void fill(double *out, int rank) {
    for (int64_t i = 0; i < N; i++) out[i] = rank * 1000 + (double)(i % 1000);
}

static int64_t count_bad(const double *in, int src) {
    int64_t bad = 0;
    for (int64_t i = 0; i < N; i++) bad += in[i] != src * 1000 + (double)(i % 1000);
    return bad;
}

/* The sends and receives as a generated program writes them. */
static void send_out(av_ctx *ctx, av_reqset *rs, int dst, int tag, const char *why) {
    AV_MPI_CHECK(MPI_Isend(mem[0].data, (int)N, MPI_DOUBLE, dst, tag, MPI_COMM_WORLD,
                           av_send_request(ctx, rs, dst, tag, (int64_t)mem[0].nbytes, why)),
                 why);
}

static void recv_in(av_ctx *ctx, av_reqset *rs, int src, int tag, const char *why) {
    AV_MPI_CHECK(MPI_Irecv(mem[1].data, (int)N, MPI_DOUBLE, src, tag, MPI_COMM_WORLD,
                           av_recv_request(ctx, rs, src, tag, (int64_t)mem[1].nbytes, why)),
                 why);
}

int main(int argc, char **argv) {
    av_ctx ctx;
    av_init(&ctx, argc, argv, mem, 2);
    const int rank = ctx.rank, size = ctx.size;
    av_reqset rs = AV_REQSET_INIT;
    if (getenv("AV_TEST_BAD_SEND") != NULL && rank == 0) {
        send_out(&ctx, &rs, size + 5, 1, "%out to a missing rank");
    }
    AV_TASK(&ctx, "fill", fill(mem[0].data, rank));
    int next = (rank + 1) % size, prev = (rank + size - 1) % size;
    recv_in(&ctx, &rs, prev, 1, "%in from previous rank");
    send_out(&ctx, &rs, next, 1, "%out to next rank");
    av_wait_all(&ctx, &rs, "ring forward");
    int64_t bad = count_bad(mem[1].data, prev);
    av_barrier(&ctx, "between rings");
    send_out(&ctx, &rs, prev, 2, "%out to previous rank");
    recv_in(&ctx, &rs, next, 2, "%in from next rank");
    av_wait_all(&ctx, &rs, "ring backward");
    bad += count_bad(mem[1].data, next);
    recv_in(&ctx, &rs, prev, 3, "%in from previous rank again");
    send_out(&ctx, &rs, next, 3, "%out to next rank again");
    av_wait_all(&ctx, &rs, "ring forward again");
    bad += count_bad(mem[1].data, prev);
    av_wait_all(&ctx, &rs, "nothing to wait for");
    if (bad != 0) fprintf(stderr, "error: rank %d: %lld values differ\n", rank, (long long)bad);
    av_stop_clock(&ctx);
    int status = av_finish(&ctx, outputs, 1);
    return status != 0 ? status : bad != 0;
}
