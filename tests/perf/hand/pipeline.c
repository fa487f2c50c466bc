/*
 * The vector pipeline of bench_generated.py, written by hand for the same
 * placement: level 0 a = 2x (rank 0) and b = x + 1 (rank 1); level 1
 * c = a * b on rank 0, after b comes from rank 1; level 2 d = c + 3 on
 * rank 0.  N (elements of f64) is the first argument.
 */
#include "common.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 1 << 22;
    double *x = filled(n, 0), *a = filled(n, 1), *b = filled(n, 2), *c = filled(n, 3),
           *d = filled(n, 4);
    const int other = 1 % size;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    if (rank == 0) {
#pragma omp parallel for
        for (int64_t i = 0; i < n; i++) a[i] = x[i] * 2.0;
    }
    if (rank == other) {
#pragma omp parallel for
        for (int64_t i = 0; i < n; i++) b[i] = x[i] + 1.0;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (other != 0) {
        if (rank == 0) MPI_Recv(b, (int)n, MPI_DOUBLE, other, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (rank == other) MPI_Send(b, (int)n, MPI_DOUBLE, 0, 0, MPI_COMM_WORLD);
    }
    if (rank == 0) {
#pragma omp parallel for
        for (int64_t i = 0; i < n; i++) c[i] = a[i] * b[i];
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
#pragma omp parallel for
        for (int64_t i = 0; i < n; i++) d[i] = c[i] + 3.0;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t1 = MPI_Wtime();
    if (rank == 0) {
        print_memref("a", a, n);
        print_memref("b", b, n);
        print_memref("c", c, n);
        print_memref("d", d, n);
    }
    report_time(t0, t1);
    free(x); free(a); free(b); free(c); free(d);
    MPI_Finalize();
    return 0;
}
