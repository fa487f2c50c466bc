/*
 * The 2-D Jacobi of bench_split.py, written by hand with a row decomposition:
 * SWEEPS sweeps alternating u -> v and v -> u over an N x N grid, each rank
 * computing its block of rows of every sweep (contiguous blocks in rank
 * order, the first N % size one row longer: the block rule of split tasks).
 * Before each sweep after the first, a rank gets the row above and the row
 * below its block (its halo) of the buffer the sweep reads from its two
 * neighbours (MPI_Irecv/MPI_Isend, MPI_Waitall); at start every rank holds
 * the initial values of every row, so the first sweep needs none.  After the
 * timed region, rank 0 gathers the blocks of u and v (MPI_Gatherv) and prints
 * them like the generated program.  Interior points get the average of
 * their four neighbours, summed in the generated code's order, ((N + S) + W)
 * + E, then times 0.25, so both give the same bits; the boundary is copied.
 *
 * Arguments: N (grid side), SWEEPS, and optionally a file to which rank 0
 * writes u then v as raw doubles after printing (bench_split.py compares them
 * with the generated program's --output-dir files).
 */
#include "common.h"

typedef struct {
    int64_t lo, hi;
} rows;

/* Rank q's block of rows [0, n) divided among `size` ranks. */
static rows block(int64_t n, int q, int size) {
    int64_t base = n / size, extra = n % size;
    int64_t lo = q * base + (q < extra ? q : extra);
    return (rows){lo, lo + base + (q < extra ? 1 : 0)};
}

/* Rows [lo, hi) of one sweep; the boundary rows and columns are copied. */
static void sweep(const double *restrict src, double *restrict dst, int64_t n, int64_t lo,
                  int64_t hi) {
#pragma omp parallel for
    for (int64_t i = lo; i < hi; i++) {
        const double *s = src + i * n;
        double *d = dst + i * n;
        if (i == 0 || i == n - 1) {
            for (int64_t j = 0; j < n; j++) d[j] = s[j];
            continue;
        }
        d[0] = s[0];
        for (int64_t j = 1; j < n - 1; j++) {
            double t = s[j - n] + s[j + n];
            t = t + s[j - 1];
            t = t + s[j + 1];
            d[j] = t * 0.25;
        }
        if (n > 1) d[n - 1] = s[n - 1];
    }
}

/* The halo of rank `rank`'s block `b` of `a`: row b.lo - 1 from the rank
 * above, row b.hi from the rank below; its own first and last rows to them. */
static void exchange(double *a, int64_t n, rows b, int rank) {
    MPI_Request req[4];
    int k = 0;
    if (b.lo < b.hi && b.lo > 0) {
        MPI_Irecv(a + (b.lo - 1) * n, (int)n, MPI_DOUBLE, rank - 1, 0, MPI_COMM_WORLD, &req[k++]);
        MPI_Isend(a + b.lo * n, (int)n, MPI_DOUBLE, rank - 1, 1, MPI_COMM_WORLD, &req[k++]);
    }
    if (b.lo < b.hi && b.hi < n) {
        MPI_Irecv(a + b.hi * n, (int)n, MPI_DOUBLE, rank + 1, 1, MPI_COMM_WORLD, &req[k++]);
        MPI_Isend(a + (b.hi - 1) * n, (int)n, MPI_DOUBLE, rank + 1, 0, MPI_COMM_WORLD, &req[k++]);
    }
    MPI_Waitall(k, req, MPI_STATUSES_IGNORE);
}

/* Rank 0 receives every other rank's block of `a` in place. */
static void gather(double *a, int64_t n, int rank, int size) {
    int *counts = malloc((size_t)size * sizeof *counts);
    int *displs = malloc((size_t)size * sizeof *displs);
    if (counts == NULL || displs == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    for (int q = 0; q < size; q++) {
        rows b = block(n, q, size);
        counts[q] = (int)((b.hi - b.lo) * n);
        displs[q] = (int)(b.lo * n);
    }
    if (rank == 0) {
        MPI_Gatherv(MPI_IN_PLACE, 0, MPI_DOUBLE, a, counts, displs, MPI_DOUBLE, 0,
                    MPI_COMM_WORLD);
    } else {
        MPI_Gatherv(a + displs[rank], counts[rank], MPI_DOUBLE, NULL, NULL, NULL, MPI_DOUBLE, 0,
                    MPI_COMM_WORLD);
    }
    free(counts);
    free(displs);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 2048;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 100;
    double *u = filled(n * n, 0), *v = filled(n * n, 1);
    const rows mine = block(n, rank, size);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int k = 0; k < sweeps; k++) {
        double *src = k % 2 == 0 ? u : v, *dst = k % 2 == 0 ? v : u;
        if (k > 0) exchange(src, n, mine, rank);
        sweep(src, dst, n, mine.lo, mine.hi);
    }
    double t1 = MPI_Wtime();
    /* The generated program stops its clock before gathering the results. */
    gather(u, n, rank, size);
    gather(v, n, rank, size);
    if (rank == 0) {
        print_memref("u", u, n * n);
        print_memref("v", v, n * n);
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 3) {
        FILE *f = fopen(argv[3], "wb");
        if (f == NULL || fwrite(u, sizeof *u, (size_t)(n * n), f) != (size_t)(n * n) ||
            fwrite(v, sizeof *v, (size_t)(n * n), f) != (size_t)(n * n) || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[3]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    free(u);
    free(v);
    MPI_Finalize();
    return 0;
}
