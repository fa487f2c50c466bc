/*
 * The two-chain program of tests/plan/test_heft.py (CHAINS) with StarPU-MPI:
 * two independent chains a and b of LENGTH tasks, task k of a chain
 * computing m[k] = m[k-1] * m[k-1] + m[k-1] over N f64 (m[0] the input),
 * submitted in the generated program's order (level k: a then b when k is
 * even, b then a when it is odd).  Each task runs on the rank the generated
 * program gives it (STARPU_EXECUTE_ON_NODE, and its output is owned there):
 * bench_peers.py passes the ranks of the avial2c plan, in program order.
 * Under round robin the first task of each level runs on rank 0 and the
 * second on rank 1, so each chain changes rank at every level and its data
 * ping-pongs; under --placement heft each chain stays on one rank.  The
 * input of each chain is owned by the rank of its first task (every rank
 * starts with it in the generated program).
 *
 * Arguments: N, LENGTH, the ranks of the 2 * LENGTH tasks in program order
 * (comma-separated, taken modulo the size; default: round robin), and
 * optionally a file for the outputs (peers.h; ma1..maL then mb1..mbL, the
 * schedule order of bench_peers.chains).
 */
#include "peers.h"

static void step(void *buffers[], void *arg) {
    (void)arg;
    const double *src = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *dst = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) {
        const double x = src[i];
        const double y = x * x;
        dst[i] = y + x;
    }
}

static struct starpu_perfmodel step_model = {.type = STARPU_HISTORY_BASED, .symbol = "peers_chains_step"};
static struct starpu_codelet step_cl = {.cpu_funcs = {step}, .nbuffers = 2, .modes = {STARPU_R, STARPU_W},
                                        .model = &step_model, .name = "step"};

int main(int argc, char **argv) {
    int rank, size;
    peers_init(&argc, &argv, &rank, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 4096;
    const int len = argc > 2 ? atoi(argv[2]) : 3;
    /* at[c][k]: the rank of task k (1..len) of chain c; program order is
     * level by level, a before b on even levels. */
    int *at[2] = {calloc((size_t)len + 1, sizeof(int)), calloc((size_t)len + 1, sizeof(int))};
    if (at[0] == NULL || at[1] == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    const char *list = argc > 3 ? argv[3] : "";
    for (int k = 1; k <= len; k++) {
        for (int j = 0; j < 2; j++) {
            const int c = (k - 1) % 2 == 0 ? j : 1 - j;
            at[c][k] = j; /* round robin */
            if (*list != '\0') {
                char *end;
                at[c][k] = (int)strtol(list, &end, 10);
                list = *end == ',' ? end + 1 : end;
            }
            at[c][k] %= size;
        }
    }
    /* m[c][k]: memref k of chain c (a: 0, b: 1); schedule memref numbers
     * ma0..maL, mb0..mbL give the initial values. */
    double **m[2];
    starpu_data_handle_t *h[2];
    for (int c = 0; c < 2; c++) {
        m[c] = malloc((size_t)(len + 1) * sizeof *m[c]);
        h[c] = malloc((size_t)(len + 1) * sizeof *h[c]);
        if (m[c] == NULL || h[c] == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
        for (int k = 0; k <= len; k++) m[c][k] = filled(n, c * (len + 1) + k);
    }
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k <= len; k++) {
            starpu_vector_data_register(&h[c][k], STARPU_MAIN_RAM, (uintptr_t)m[c][k], (uint32_t)n, sizeof(double));
            starpu_mpi_data_register(h[c][k], c * (len + 1) + k, at[c][k == 0 ? 1 : k]);
        }
    }

    double t0 = peers_start();
    for (int k = 1; k <= len; k++) {
        for (int j = 0; j < 2; j++) {
            const int c = (k - 1) % 2 == 0 ? j : 1 - j; /* level k-1: a, b or b, a */
            starpu_mpi_task_insert(MPI_COMM_WORLD, &step_cl, STARPU_R, h[c][k - 1], STARPU_W, h[c][k],
                                   STARPU_EXECUTE_ON_NODE, at[c][k], 0);
        }
    }
    double t1 = peers_stop();

    starpu_data_handle_t *out = malloc((size_t)(2 * len) * sizeof *out);
    if (out == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    for (int c = 0; c < 2; c++)
        for (int k = 1; k <= len; k++) out[c * len + k - 1] = h[c][k];
    peers_gather(out, 2 * len);
    for (int c = 0; c < 2; c++) starpu_data_unregister(h[c][0]);
    starpu_mpi_shutdown();
    char name[32];
    if (rank == 0) {
        for (int c = 0; c < 2; c++) {
            for (int k = 1; k <= len; k++) {
                snprintf(name, sizeof name, "m%c%d", "ab"[c], k);
                print_memref(name, m[c][k], n);
            }
        }
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 4) {
        double **p = malloc((size_t)(2 * len) * sizeof *p);
        int64_t *lens = malloc((size_t)(2 * len) * sizeof *lens);
        if (p == NULL || lens == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
        for (int c = 0; c < 2; c++)
            for (int k = 1; k <= len; k++) { p[c * len + k - 1] = m[c][k]; lens[c * len + k - 1] = n; }
        peers_dump(argv[4], p, lens, 2 * len);
        free(p);
        free(lens);
    }
    for (int c = 0; c < 2; c++) {
        for (int k = 0; k <= len; k++) free(m[c][k]);
        free(m[c]);
        free(h[c]);
        free(at[c]);
    }
    free(out);
    MPI_Finalize();
    return 0;
}
