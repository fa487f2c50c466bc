/*
 * The 2-D Jacobi of bench_generated.py, written by hand for the same
 * placement: SWEEPS sweeps alternating u -> v and v -> u, each depending on
 * the one before, so all run on rank 0 (the other ranks wait at the
 * barriers).  Interior points get the average of their four neighbours, the
 * boundary is copied.  Arguments: N (grid side) and SWEEPS.
 */
#include "common.h"

static void sweep(const double *restrict src, double *restrict dst, int64_t n) {
#pragma omp parallel for
    for (int64_t i = 0; i < n; i++) {
        for (int64_t j = 0; j < n; j++) {
            if (i == 0 || j == 0 || i == n - 1 || j == n - 1) {
                dst[i * n + j] = src[i * n + j];
            } else {
                double s = src[(i - 1) * n + j] + src[(i + 1) * n + j];
                s = s + src[i * n + j - 1];
                s = s + src[i * n + j + 1];
                dst[i * n + j] = s * 0.25;
            }
        }
    }
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 1024;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 20;
    double *u = filled(n * n, 0), *v = filled(n * n, 1);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int k = 0; k < sweeps; k++) {
        if (rank == 0) {
            if (k % 2 == 0) sweep(u, v, n);
            else sweep(v, u, n);
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    double t1 = MPI_Wtime();
    if (rank == 0) {
        print_memref("u", u, n * n);
        print_memref("v", v, n * n);
    }
    report_time(t0, t1);
    free(u); free(v);
    MPI_Finalize();
    return 0;
}
