/*
 * The blocked matrix product of bench_generated.py, written by hand for the
 * same placement: C = A x B with A and C in BLOCKS row blocks; block k
 * (Ck = Ak x B) runs on rank k % size, all in one level; then rank 0 gets
 * the blocks computed elsewhere.  Arguments: N (matrix side) and BLOCKS.
 * Memref order as in the schedule: A0..A(BLOCKS-1), B, C0..C(BLOCKS-1).
 */
#include "common.h"

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 512;
    const int blocks = argc > 2 ? atoi(argv[2]) : 4;
    const int64_t rows = n / blocks;
    double **A = malloc((size_t)blocks * sizeof *A), **C = malloc((size_t)blocks * sizeof *C);
    for (int k = 0; k < blocks; k++) A[k] = filled(rows * n, k);
    double *B = filled(n * n, blocks);
    for (int k = 0; k < blocks; k++) C[k] = filled(rows * n, blocks + 1 + k);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int k = 0; k < blocks; k++) {
        if (rank != k % size) continue;
        const double *restrict a = A[k];
        double *restrict c = C[k];
#pragma omp parallel for collapse(2)
        for (int64_t i = 0; i < rows; i++) {
            for (int64_t j = 0; j < n; j++) {
                double s = 0.0;
                for (int64_t l = 0; l < n; l++) s = s + a[i * n + l] * B[l * n + j];
                c[i * n + j] = s;
            }
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t1 = MPI_Wtime();
    MPI_Request *reqs = malloc((size_t)blocks * sizeof *reqs);
    int nreq = 0;
    for (int k = 0; k < blocks; k++) {
        int owner = k % size;
        if (owner == 0) continue;
        if (rank == 0) MPI_Irecv(C[k], (int)(rows * n), MPI_DOUBLE, owner, k, MPI_COMM_WORLD, &reqs[nreq++]);
        if (rank == owner) MPI_Isend(C[k], (int)(rows * n), MPI_DOUBLE, 0, k, MPI_COMM_WORLD, &reqs[nreq++]);
    }
    MPI_Waitall(nreq, reqs, MPI_STATUSES_IGNORE);
    if (rank == 0) {
        for (int k = 0; k < blocks; k++) {
            char name[16];
            snprintf(name, sizeof name, "C%d", k);
            print_memref(name, C[k], rows * n);
        }
    }
    report_time(t0, t1);
    for (int k = 0; k < blocks; k++) { free(A[k]); free(C[k]); }
    free(A); free(C); free(B); free(reqs);
    MPI_Finalize();
    return 0;
}
