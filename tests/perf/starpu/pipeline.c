/*
 * The vector pipeline of bench_generated.py with StarPU-MPI, for the
 * placement of the generated program: a = 2x on rank 0 and b = x + 1 on
 * rank 1 % size (level 0), c = a * b on rank 0 (b comes from rank 1),
 * d = c + 3 on rank 0.  One vector handle per memref; a, c, d owned by
 * rank 0, b by rank 1 % size.  x is an input every rank holds (as in the
 * generated program, where every rank starts with every memref): it is
 * registered once per rank that reads it, each copy owned by that rank, so
 * that nothing moves for it.
 *
 * Arguments: N (elements of f64), and optionally a file for the outputs
 * (peers.h).
 */
#include "peers.h"

static void scale(void *buffers[], void *arg) {
    (void)arg;
    const double *x = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *a = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) a[i] = x[i] * 2.0;
}

static void shift(void *buffers[], void *arg) {
    (void)arg;
    const double *x = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *b = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) b[i] = x[i] + 1.0;
}

static void mul(void *buffers[], void *arg) {
    (void)arg;
    const double *a = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    const double *b = (const double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    double *c = (double *)STARPU_VECTOR_GET_PTR(buffers[2]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) c[i] = a[i] * b[i];
}

static void add(void *buffers[], void *arg) {
    (void)arg;
    const double *c = (const double *)STARPU_VECTOR_GET_PTR(buffers[0]);
    double *d = (double *)STARPU_VECTOR_GET_PTR(buffers[1]);
    const int64_t n = STARPU_VECTOR_GET_NX(buffers[0]);
    for (int64_t i = 0; i < n; ++i) d[i] = c[i] + 3.0;
}

static struct starpu_perfmodel m_scale = {.type = STARPU_HISTORY_BASED, .symbol = "peers_pipeline_scale"};
static struct starpu_perfmodel m_shift = {.type = STARPU_HISTORY_BASED, .symbol = "peers_pipeline_shift"};
static struct starpu_perfmodel m_mul = {.type = STARPU_HISTORY_BASED, .symbol = "peers_pipeline_mul"};
static struct starpu_perfmodel m_add = {.type = STARPU_HISTORY_BASED, .symbol = "peers_pipeline_add"};
static struct starpu_codelet cl_scale = {.cpu_funcs = {scale}, .nbuffers = 2,
                                         .modes = {STARPU_R, STARPU_W}, .model = &m_scale, .name = "scale"};
static struct starpu_codelet cl_shift = {.cpu_funcs = {shift}, .nbuffers = 2,
                                         .modes = {STARPU_R, STARPU_W}, .model = &m_shift, .name = "shift"};
static struct starpu_codelet cl_mul = {.cpu_funcs = {mul}, .nbuffers = 3,
                                       .modes = {STARPU_R, STARPU_R, STARPU_W}, .model = &m_mul, .name = "mul"};
static struct starpu_codelet cl_add = {.cpu_funcs = {add}, .nbuffers = 2,
                                       .modes = {STARPU_R, STARPU_W}, .model = &m_add, .name = "add"};

int main(int argc, char **argv) {
    int rank, size;
    peers_init(&argc, &argv, &rank, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 1 << 22;
    double *x = filled(n, 0), *a = filled(n, 1), *b = filled(n, 2), *c = filled(n, 3),
           *d = filled(n, 4);
    const int other = 1 % size;

    /* x0: the copy of x rank 0 reads, x1: the one rank `other` reads. */
    starpu_data_handle_t x0, x1, ha, hb, hc, hd;
    starpu_vector_data_register(&x0, STARPU_MAIN_RAM, (uintptr_t)x, (uint32_t)n, sizeof *x);
    starpu_mpi_data_register(x0, 0, 0);
    if (other != 0) {
        starpu_vector_data_register(&x1, STARPU_MAIN_RAM, (uintptr_t)x, (uint32_t)n, sizeof *x);
        starpu_mpi_data_register(x1, 1, other);
    } else {
        x1 = x0;
    }
    starpu_vector_data_register(&ha, STARPU_MAIN_RAM, (uintptr_t)a, (uint32_t)n, sizeof *a);
    starpu_vector_data_register(&hb, STARPU_MAIN_RAM, (uintptr_t)b, (uint32_t)n, sizeof *b);
    starpu_vector_data_register(&hc, STARPU_MAIN_RAM, (uintptr_t)c, (uint32_t)n, sizeof *c);
    starpu_vector_data_register(&hd, STARPU_MAIN_RAM, (uintptr_t)d, (uint32_t)n, sizeof *d);
    starpu_mpi_data_register(ha, 2, 0);
    starpu_mpi_data_register(hb, 3, other);
    starpu_mpi_data_register(hc, 4, 0);
    starpu_mpi_data_register(hd, 5, 0);

    double t0 = peers_start();
    starpu_mpi_task_insert(MPI_COMM_WORLD, &cl_scale, STARPU_R, x0, STARPU_W, ha, 0);
    starpu_mpi_task_insert(MPI_COMM_WORLD, &cl_shift, STARPU_R, x1, STARPU_W, hb, 0);
    starpu_mpi_task_insert(MPI_COMM_WORLD, &cl_mul, STARPU_R, ha, STARPU_R, hb, STARPU_W, hc, 0);
    starpu_mpi_task_insert(MPI_COMM_WORLD, &cl_add, STARPU_R, hc, STARPU_W, hd, 0);
    double t1 = peers_stop();

    starpu_data_handle_t out[] = {ha, hb, hc, hd};
    peers_gather(out, 4);
    starpu_data_unregister(x0);
    if (x1 != x0) starpu_data_unregister(x1);
    starpu_mpi_shutdown();
    if (rank == 0) {
        print_memref("a", a, n);
        print_memref("b", b, n);
        print_memref("c", c, n);
        print_memref("d", d, n);
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 2) {
        double *const p[] = {a, b, c, d};
        const int64_t len[] = {n, n, n, n};
        peers_dump(argv[2], p, len, 4);
    }
    free(x); free(a); free(b); free(c); free(d);
    MPI_Finalize();
    return 0;
}
