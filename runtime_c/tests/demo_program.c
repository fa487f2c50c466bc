/*
 * A program written the way avial2c generates them: the seed schedule
 *
 *   task1 (level 0): c = a + b        task2 (level 0): d = a * b
 *   task3 (level 1): d = c + d
 *
 * on memrefs a, b, c, d of memref<20xi32>, placed round-robin, with barrier
 * synchronisation.  Used to test start-up, --input, outputs and traces.
 */
#include "avial_rt.h"

#include <stdint.h>

static void task1(const int32_t *a, const int32_t *b, int32_t *c) {
#pragma omp parallel for
    for (int64_t i = 0; i < 20; i++) c[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i]);
}

static void task2(const int32_t *a, const int32_t *b, int32_t *d) {
#pragma omp parallel for
    for (int64_t i = 0; i < 20; i++) d[i] = (int32_t)((uint32_t)a[i] * (uint32_t)b[i]);
}

static void task3(const int32_t *c, int32_t *d) {
    for (int64_t i = 0; i < 20; i++) d[i] = (int32_t)((uint32_t)c[i] + (uint32_t)d[i]);
}

static av_memref mem[] = {
    {"a", AV_I32, 1, {20}, NULL, 0},
    {"b", AV_I32, 1, {20}, NULL, 0},
    {"c", AV_I32, 1, {20}, NULL, 0},
    {"d", AV_I32, 1, {20}, NULL, 0},
};
static const int outputs[] = {2, 3};

int main(int argc, char **argv) {
    av_ctx ctx;
    av_init(&ctx, argc, argv, mem, 4);
    const int rank = ctx.rank, size = ctx.size;
    av_reqset rs = AV_REQSET_INIT;

    /* level 0 */
    if (rank == 0 % size) { AV_TASK(&ctx, "task1", task1(mem[0].data, mem[1].data, mem[2].data)); }
    if (rank == 1 % size) { AV_TASK(&ctx, "task2", task2(mem[0].data, mem[1].data, mem[3].data)); }
    av_barrier(&ctx, "end of level 0");

    /* level 1: task3 on rank 0 needs %d, written by task2 */
    if (size > 1 && rank == 0) {
        AV_MPI_CHECK(MPI_Irecv(mem[3].data, 20, MPI_INT32_T, 1, 1, MPI_COMM_WORLD,
                               av_recv_request(&ctx, &rs, 1, 1, 80, "%d for task3")),
                     "%d for task3");
    } else if (size > 1 && rank == 1) {
        AV_MPI_CHECK(MPI_Isend(mem[3].data, 20, MPI_INT32_T, 0, 1, MPI_COMM_WORLD,
                               av_send_request(&ctx, &rs, 0, 1, 80, "%d for task3")),
                     "%d for task3");
    }
    av_wait_all(&ctx, &rs, "transfers for level 1");
    if (rank == 0 % size) { AV_TASK(&ctx, "task3", task3(mem[2].data, mem[3].data)); }
    av_barrier(&ctx, "end of level 1");

    /* outputs %c and %d are already on rank 0 */
    av_stop_clock(&ctx);
    return av_finish(&ctx, outputs, 2);
}
