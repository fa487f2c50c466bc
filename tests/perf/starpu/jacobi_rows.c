/*
 * The split Jacobi of bench_split.py with StarPU-MPI: SWEEPS sweeps
 * alternating u -> v and v -> u over an N x N grid, each sweep one task per
 * row block (the block rule of split tasks: BLOCKS contiguous blocks, the
 * first N % BLOCKS one row longer; by default BLOCKS = size, block k owned by
 * and run on rank k, as in the generated program).  With more blocks than
 * ranks, rank r owns the contiguous blocks k with k * size / BLOCKS = r, and
 * the workers of a rank (STARPU_NCPU) share its blocks as the dmda scheduler
 * decides: on one rank with two workers and two blocks, the two halves of
 * each sweep can run at the same time.
 *
 * Each block of u and of v is registered as up to three pieces: its first
 * row, its middle rows and its last row, so that the halo a task needs is a
 * neighbour's first or last row: the task of block k reads the last row of
 * block k - 1 and the first row of block k + 1 of the buffer it reads, and
 * StarPU-MPI moves exactly those rows (16 KiB each at N = 2048), as the
 * generated program does.  (Only the first sweep differs: the generated
 * program knows every rank starts with every row and moves no halo for it;
 * StarPU moves its halo rows like those of every other sweep.)  No
 * barriers: the data dependencies alone order the work.
 *
 * Arguments: N (grid side), SWEEPS, BLOCKS (0: the number of ranks), and
 * optionally a file for the outputs (peers.h).
 */
#include "jacobi.h"

typedef struct {
    int64_t lo, hi;
    int npieces;
    int64_t plo[MAX_PIECES], phi[MAX_PIECES];
    starpu_data_handle_t h[2][MAX_PIECES]; /* the pieces of u and of v */
} block;

int main(int argc, char **argv) {
    int rank, size;
    peers_init(&argc, &argv, &rank, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 2048;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 100;
    double *buf[2] = {filled(n * n, 0), filled(n * n, 1)}; /* u, v */
    const int nb = argc > 3 && atoi(argv[3]) > 0 ? atoi(argv[3]) : size;
    block *b = calloc((size_t)nb, sizeof *b);
    if (b == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    int64_t base = n / nb, extra = n % nb;
    int tag = 0;
    for (int q = 0; q < nb; q++) {
        b[q].lo = q * base + (q < extra ? q : extra);
        b[q].hi = b[q].lo + base + (q < extra ? 1 : 0);
        b[q].npieces = cut_pieces(b[q].lo, b[q].hi, b[q].plo, b[q].phi);
        for (int m = 0; m < 2; m++) {
            for (int p = 0; p < b[q].npieces; p++) {
                starpu_data_handle_t *h = &b[q].h[m][p];
                starpu_vector_data_register(h, STARPU_MAIN_RAM, (uintptr_t)(buf[m] + b[q].plo[p] * n),
                                            (uint32_t)((b[q].phi[p] - b[q].plo[p]) * n), sizeof(double));
                starpu_mpi_data_register(*h, tag++, (int)((int64_t)q * size / nb));
            }
        }
    }

    double t0 = peers_start();
    for (int k = 0; k < sweeps; k++) {
        const int src = k % 2, dst = 1 - src;
        for (int q = 0; q < nb; q++) {
            if (b[q].npieces == 0) continue;
            starpu_data_handle_t above = NULL, below = NULL;
            if (q > 0 && b[q - 1].npieces > 0) above = b[q - 1].h[src][b[q - 1].npieces - 1];
            if (q + 1 < nb && b[q + 1].npieces > 0) below = b[q + 1].h[src][0];
            submit_sweep(n, b[q].lo, b[q].hi, b[q].npieces, b[q].plo, b[q].h[dst], b[q].h[src], above,
                         below, (int)((int64_t)q * size / nb));
        }
    }
    double t1 = peers_stop();

    starpu_data_handle_t *all = malloc((size_t)tag * sizeof *all);
    if (all == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    int nall = 0;
    for (int q = 0; q < nb; q++)
        for (int m = 0; m < 2; m++)
            for (int p = 0; p < b[q].npieces; p++) all[nall++] = b[q].h[m][p];
    peers_gather(all, nall);
    free(all);
    starpu_mpi_shutdown();
    if (rank == 0) {
        print_memref("u", buf[0], n * n);
        print_memref("v", buf[1], n * n);
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 4) {
        const int64_t len[] = {n * n, n * n};
        peers_dump(argv[4], buf, len, 2);
    }
    free(b);
    free(buf[0]);
    free(buf[1]);
    MPI_Finalize();
    return 0;
}
