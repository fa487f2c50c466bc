/*
 * Task Bench's dependence patterns (Slaughter et al., SC'20) with
 * StarPU-MPI, as bench_peers.py writes them in avial (taskbench()):
 * ../hand/taskbench.h says what each pattern and task computes (the
 * hand-written MPI version, ../hand/taskbench.c, shares it).
 *
 * Each point has two buffers, for even and odd steps, one data handle each:
 * task (t, x) reads the buffers of step t - 1 of its dependencies and
 * writes buffer t % 2 of point x, so write-after-read and write-after-write
 * order it after the tasks of step t - 1 that read that buffer and after
 * task (t - 2, x) (the avial program has the same dependencies).  Point x
 * runs on rank x % size, the placement avial2c's round robin gives it at
 * every step.
 *
 * Arguments: trivial|stencil|nearest|fft|random|tree, WIDTH, STEPS, GRAIN, K, and optionally a
 * file for the outputs (peers.h; buffer 0 of every point, then buffer 1).
 * With PEERS_BARE=1 in the environment, rank 0 runs the kernels alone, in
 * program order, without StarPU (not even started: its idle workers poll):
 * the pure compute time.
 */
#include "peers.h" /* first: it sets _POSIX_C_SOURCE */

#include "taskbench.h" /* ../hand/taskbench.h: the patterns and the kernel */

static void point(void *buffers[], void *cl_arg) {
    int ndeps;
    int64_t grain;
    starpu_codelet_unpack_args(cl_arg, &ndeps, &grain);
    const double *in[MAX_DEPS];
    for (int d = 0; d < ndeps; d++) in[d] = (const double *)STARPU_VECTOR_GET_PTR(buffers[d]);
    kernel(in, ndeps, (double *)STARPU_VECTOR_GET_PTR(buffers[ndeps]),
           (int64_t)STARPU_VECTOR_GET_NX(buffers[ndeps]), grain);
}

static struct starpu_perfmodel point_model = {.type = STARPU_HISTORY_BASED, .symbol = "peers_taskbench_point"};
static struct starpu_codelet point_cl = {.cpu_funcs = {point}, .nbuffers = STARPU_VARIABLE_NBUFFERS,
                                         .model = &point_model, .name = "point"};

/* PEERS_BARE=1: every task's kernel run by rank 0 itself, in program order,
 * on the same buffers, without StarPU (the pure compute time that Task
 * Bench's efficiency compares with); it prints the same lines. */
static double bare(int pattern, int64_t width, int64_t steps, int64_t grain, int64_t k, double **buf) {
    double t0 = MPI_Wtime();
    for (int64_t t = 0; t < steps; t++) {
        const int64_t w = width_at(pattern, width, t), prev = t % 2 == 0 ? width : 0, cur = t % 2 ? width : 0;
        for (int64_t x = 0; x < w; x++) {
            int64_t dep[MAX_DEPS];
            const double *in[MAX_DEPS];
            const int n = deps_of(pattern, width, t, x, dep);
            for (int d = 0; d < n; d++) in[d] = buf[prev + dep[d]];
            kernel(in, n, buf[cur + x], k, grain);
        }
    }
    return MPI_Wtime() - t0;
}

/* PEERS_BARE=1: MPI without StarPU (whose idle workers poll), and rank 0
 * alone computing every point. */
static int bare_main(int argc, char **argv, int pattern, int64_t width, int64_t steps, int64_t grain,
                     int64_t k) {
    (void)argc;
    (void)argv;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    double **buf = malloc((size_t)(2 * width) * sizeof *buf);
    if (buf == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    for (int64_t j = 0; j < 2 * width; j++) buf[j] = filled(k, (int)j);
    MPI_Barrier(MPI_COMM_WORLD);
    double wall = rank == 0 ? bare(pattern, width, steps, grain, k, buf) : 0.0;
    char name[48];
    for (int64_t j = 0; rank == 0 && j < 2 * width; j++) {
        snprintf(name, sizeof name, "b%d_%lld", (int)(j / width), (long long)(j % width));
        print_memref(name, buf[j], k);
    }
    report_time(0.0, wall);
    for (int64_t j = 0; j < 2 * width; j++) free(buf[j]);
    free(buf);
    MPI_Finalize();
    return 0;
}

int main(int argc, char **argv) {
    int rank, size;
    const char *bare_env = getenv("PEERS_BARE");
    if (bare_env != NULL && *bare_env == '1') {
        MPI_Init(&argc, &argv);
        if (argc < 6 || pattern_of(argv[1]) < 0) MPI_Abort(MPI_COMM_WORLD, 2);
        const int pattern = pattern_of(argv[1]);
        return bare_main(argc, argv, pattern, atoll(argv[2]), atoll(argv[3]), atoll(argv[4]), atoll(argv[5]));
    }
    peers_init(&argc, &argv, &rank, &size);
    if (argc < 6 || pattern_of(argv[1]) < 0) {
        if (rank == 0) fprintf(stderr, "usage: taskbench trivial|stencil|nearest|fft|random|tree WIDTH STEPS GRAIN K [DUMP]\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    const int pattern = pattern_of(argv[1]);
    const int64_t width = atoll(argv[2]), steps = atoll(argv[3]), grain = atoll(argv[4]), k = atoll(argv[5]);
    double **buf = malloc((size_t)(2 * width) * sizeof *buf);
    starpu_data_handle_t *h = malloc((size_t)(2 * width) * sizeof *h);
    if (buf == NULL || h == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    for (int64_t j = 0; j < 2 * width; j++) {
        buf[j] = filled(k, (int)j); /* schedule order: b0_0.., b1_0.. */
        starpu_vector_data_register(&h[j], STARPU_MAIN_RAM, (uintptr_t)buf[j], (uint32_t)k, sizeof(double));
        starpu_mpi_data_register(h[j], j, (int)((j % width) % size));
    }

    double t0 = peers_start();
    for (int64_t t = 0; t < steps; t++) {
        const int64_t w = width_at(pattern, width, t), prev = t % 2 == 0 ? width : 0, cur = t % 2 ? width : 0;
        for (int64_t x = 0; x < w; x++) {
            struct starpu_data_descr d[MAX_DEPS + 1];
            int64_t dep[MAX_DEPS];
            const int ndeps = deps_of(pattern, width, t, x, dep);
            int n = 0;
            for (int j = 0; j < ndeps; j++) d[n++] = (struct starpu_data_descr){h[prev + dep[j]], STARPU_R};
            d[n++] = (struct starpu_data_descr){h[cur + x], STARPU_W};
            starpu_mpi_task_insert(MPI_COMM_WORLD, &point_cl, STARPU_DATA_MODE_ARRAY, d, n,
                                   STARPU_VALUE, &ndeps, sizeof ndeps, STARPU_VALUE, &grain, sizeof grain,
                                   STARPU_EXECUTE_ON_NODE, (int)(x % size), 0);
        }
    }
    double t1 = peers_stop();

    peers_gather(h, (int)(2 * width));
    starpu_mpi_shutdown();
    char name[48];
    if (rank == 0) {
        for (int64_t j = 0; j < 2 * width; j++) {
            snprintf(name, sizeof name, "b%d_%lld", (int)(j / width), (long long)(j % width));
            print_memref(name, buf[j], k);
        }
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 6) {
        int64_t *len = malloc((size_t)(2 * width) * sizeof *len);
        if (len == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
        for (int64_t j = 0; j < 2 * width; j++) len[j] = k;
        peers_dump(argv[6], buf, len, (int)(2 * width));
        free(len);
    }
    for (int64_t j = 0; j < 2 * width; j++) free(buf[j]);
    free(buf);
    free(h);
    MPI_Finalize();
    return 0;
}
