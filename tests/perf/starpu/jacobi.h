/*
 * jacobi.h — the sweep codelet of the StarPU-MPI Jacobi programs (whole
 * sweeps in jacobi.c, row blocks in jacobi_rows.c).
 *
 * A task sweeps rows [lo, hi) of the N x N grid.  Its buffers are vector
 * handles over pieces of rows: first the pieces of the rows it writes (dst),
 * then the pieces of the same rows it reads (src), then, when it has them,
 * the row above lo and the row below hi of src (its halo, a neighbour's
 * piece).  The codelet finds each row through these pieces, so the halo may
 * live anywhere (StarPU receives it into the handle's own buffer).  Each
 * point is computed as the generated task does: the boundary copied, the
 * interior ((N + S) + W) + E then times 0.25, so the results are the same
 * bits.
 */
#ifndef PEERS_JACOBI_H
#define PEERS_JACOBI_H

#include "peers.h"

#define MAX_PIECES 3

typedef struct {
    int64_t n, lo, hi;               /* the grid side; the rows swept */
    int npieces;                     /* pieces of [lo, hi), in order */
    int64_t plo[MAX_PIECES];         /* the first row of each piece */
    int above, below;                /* halo rows lo - 1 and hi given */
} sweep_arg;

/* Rows [lo, hi) cut into pieces: the first row, the middle rows, the last
 * row (the first and last rows are what the neighbours read); a block of one
 * or two rows has one or two pieces.  Returns the number of pieces. */
static inline int cut_pieces(int64_t lo, int64_t hi, int64_t plo[MAX_PIECES], int64_t phi[MAX_PIECES]) {
    int k = 0;
    if (hi - lo >= 1) { plo[k] = lo; phi[k] = lo + 1; k++; }
    if (hi - lo >= 3) { plo[k] = lo + 1; phi[k] = hi - 1; k++; }
    if (hi - lo >= 2) { plo[k] = hi - 1; phi[k] = hi; k++; }
    return k;
}

static void sweep_cpu(void *buffers[], void *cl_arg) {
    sweep_arg a;
    starpu_codelet_unpack_args(cl_arg, &a);
    const int64_t n = a.n, lo = a.lo, hi = a.hi;
    /* row[i - lo + 1]: src row i for i in [lo - 1, hi]; out[i - lo]: dst row i. */
    const double **row = malloc((size_t)(hi - lo + 2) * sizeof *row);
    double **out = malloc((size_t)(hi - lo) * sizeof *out);
    if (row == NULL || out == NULL) abort();
    for (int p = 0; p < a.npieces; p++) {
        int64_t end = p + 1 < a.npieces ? a.plo[p + 1] : hi;
        double *d = (double *)STARPU_VECTOR_GET_PTR(buffers[p]);
        const double *s = (const double *)STARPU_VECTOR_GET_PTR(buffers[a.npieces + p]);
        for (int64_t i = a.plo[p]; i < end; i++) {
            out[i - lo] = d + (i - a.plo[p]) * n;
            row[i - lo + 1] = s + (i - a.plo[p]) * n;
        }
    }
    int next = 2 * a.npieces;
    row[0] = a.above ? (const double *)STARPU_VECTOR_GET_PTR(buffers[next++]) : NULL;
    row[hi - lo + 1] = a.below ? (const double *)STARPU_VECTOR_GET_PTR(buffers[next]) : NULL;
    for (int64_t i = lo; i < hi; ++i) {
        const double *up = row[i - lo], *s = row[i - lo + 1], *dn = row[i - lo + 2];
        double *d = out[i - lo];
        for (int64_t j = 0; j < n; ++j) {
            double r;
            if (((i == 0) || (j == 0)) || ((i == n - 1) || (j == n - 1))) {
                r = s[j];
            } else {
                const double s0 = up[j] + dn[j];
                const double s1 = s0 + s[j - 1];
                const double s2 = s1 + s[j + 1];
                r = s2 * 0.25;
            }
            d[j] = r;
        }
    }
    free(row);
    free(out);
}

static struct starpu_perfmodel sweep_model = {.type = STARPU_HISTORY_BASED, .symbol = "peers_jacobi_sweep"};
static struct starpu_codelet sweep_cl = {
    .cpu_funcs = {sweep_cpu},
    .nbuffers = STARPU_VARIABLE_NBUFFERS,
    .model = &sweep_model,
    .name = "sweep",
};

/* Submits the sweep of rows [lo, hi): DST and SRC the handles of its pieces,
 * ABOVE and BELOW the halo rows' handles (NULL: none), on rank NODE. */
static void submit_sweep(int64_t n, int64_t lo, int64_t hi, int npieces, const int64_t *plo,
                         starpu_data_handle_t *dst, starpu_data_handle_t *src,
                         starpu_data_handle_t above, starpu_data_handle_t below, int node) {
    sweep_arg a = {.n = n, .lo = lo, .hi = hi, .npieces = npieces,
                   .above = above != NULL, .below = below != NULL};
    for (int p = 0; p < npieces; p++) a.plo[p] = plo[p];
    struct starpu_data_descr d[2 * MAX_PIECES + 2];
    int k = 0;
    for (int p = 0; p < npieces; p++) d[k++] = (struct starpu_data_descr){dst[p], STARPU_W};
    for (int p = 0; p < npieces; p++) d[k++] = (struct starpu_data_descr){src[p], STARPU_R};
    if (above != NULL) d[k++] = (struct starpu_data_descr){above, STARPU_R};
    if (below != NULL) d[k++] = (struct starpu_data_descr){below, STARPU_R};
    starpu_mpi_task_insert(MPI_COMM_WORLD, &sweep_cl, STARPU_DATA_MODE_ARRAY, d, k,
                           STARPU_VALUE, &a, sizeof a, STARPU_EXECUTE_ON_NODE, node, 0);
}

#endif
