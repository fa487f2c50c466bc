/*
 * The unbalanced level of tests/plan/test_heft.py (UNBALANCED) with
 * StarPU-MPI: four independent tasks o[k] = f(in) over N f64, where f runs
 * an inner loop acc = acc * x + x (acc starting at x) of INNER[k] steps:
 * "big" BIG steps, s1, s2, s3 SMALL steps each (100 times fewer in
 * test_heft.py).  Each task runs on the rank the generated program gives it
 * (bench_peers.py passes the ranks of the avial2c plan: round robin puts big
 * and s2 on rank 0, s1 and s3 on rank 1; --placement heft puts big alone),
 * its output owned there.  The input is registered once per rank that reads
 * it, each copy owned by that rank, so nothing moves for it (every rank
 * starts with it in the generated program).
 *
 * On one rank with several CPU workers (STARPU_NCPU), StarPU's dmda
 * scheduler decides which worker runs each task.
 *
 * Arguments: N, BIG, SMALL, the ranks of big, s1, s2, s3 (comma-separated,
 * modulo the size; default round robin: 0,1,2,3), and optionally a file for
 * the outputs (peers.h; o0..o3).
 */
#include "peers.h"

static void heavy(void *buffers[], void *arg) {
    int64_t inner;
    starpu_codelet_unpack_args(arg, &inner);
    const double *in = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *o = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) {
        const double x = in[i];
        double acc = x;
        for (int64_t k = 0; k < inner; ++k) {
            const double y = acc * x;
            acc = y + x;
        }
        o[i] = acc;
    }
}

/* The footprint of a task is its data size only; the inner trip count
 * tells big from small for the history-based model. */
static uint32_t heavy_footprint(struct starpu_task *task) {
    int64_t inner;
    starpu_codelet_unpack_args(task->cl_arg, &inner);
    return starpu_hash_crc32c_be_n(&inner, sizeof inner, starpu_task_data_footprint(task));
}

static struct starpu_perfmodel heavy_model = {.type = STARPU_HISTORY_BASED, .symbol = "peers_unbalanced_heavy",
                                              .footprint = heavy_footprint};
static struct starpu_codelet heavy_cl = {.cpu_funcs = {heavy}, .nbuffers = 2, .modes = {STARPU_R, STARPU_W},
                                         .model = &heavy_model, .name = "heavy"};

int main(int argc, char **argv) {
    int rank, size;
    peers_init(&argc, &argv, &rank, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 256;
    const int64_t big = argc > 2 ? atoll(argv[2]) : 1000, small = argc > 3 ? atoll(argv[3]) : 10;
    int at[4] = {0, 1, 2, 3};
    const char *list = argc > 4 ? argv[4] : "";
    for (int k = 0; k < 4 && *list != '\0'; k++) {
        char *end;
        at[k] = (int)strtol(list, &end, 10);
        list = *end == ',' ? end + 1 : end;
    }
    for (int k = 0; k < 4; k++) at[k] %= size;
    double *in = filled(n, 0), *o[4];
    starpu_data_handle_t hin[4] = {NULL, NULL, NULL, NULL}, ho[4];
    for (int k = 0; k < 4; k++) {
        o[k] = filled(n, k + 1);
        starpu_vector_data_register(&ho[k], STARPU_MAIN_RAM, (uintptr_t)o[k], (uint32_t)n, sizeof(double));
        starpu_mpi_data_register(ho[k], k, at[k]);
    }
    /* One copy of the input per rank that reads it (at most four). */
    int readers[4], nreaders = 0;
    for (int k = 0; k < 4; k++) {
        int seen = 0;
        for (int j = 0; j < nreaders; j++) seen |= readers[j] == at[k];
        if (!seen) readers[nreaders++] = at[k];
    }
    for (int j = 0; j < nreaders; j++) {
        starpu_vector_data_register(&hin[j], STARPU_MAIN_RAM, (uintptr_t)in, (uint32_t)n, sizeof(double));
        starpu_mpi_data_register(hin[j], 4 + j, readers[j]);
    }

    double t0 = peers_start();
    for (int k = 0; k < 4; k++) {
        int j = 0;
        while (readers[j] != at[k]) j++;
        const int64_t inner = k == 0 ? big : small;
        starpu_mpi_task_insert(MPI_COMM_WORLD, &heavy_cl, STARPU_R, hin[j], STARPU_W, ho[k],
                               STARPU_VALUE, &inner, sizeof inner, STARPU_EXECUTE_ON_NODE, at[k], 0);
    }
    double t1 = peers_stop();

    peers_gather(ho, 4);
    for (int j = 0; j < nreaders; j++) starpu_data_unregister(hin[j]);
    starpu_mpi_shutdown();
    if (rank == 0) {
        for (int k = 0; k < 4; k++) {
            char name[8];
            snprintf(name, sizeof name, "o%d", k);
            print_memref(name, o[k], n);
        }
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 5) {
        const int64_t lens[] = {n, n, n, n};
        peers_dump(argv[5], o, lens, 4);
    }
    free(in);
    for (int k = 0; k < 4; k++) free(o[k]);
    MPI_Finalize();
    return 0;
}
