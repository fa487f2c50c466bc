/*
 * common.h — what the hand-written benchmark programs share: the default
 * initial values and the report of the generated programs, so that both
 * print the same lines and time the same region (from a barrier after
 * start-up to the end of the last level, the largest time over the ranks).
 */
#ifndef HAND_COMMON_H
#define HAND_COMMON_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The k-th schedule memref holds ((i + 3k) mod 11) + 1 at flat index i. */
static double *filled(int64_t n, int k) {
    double *p = malloc((size_t)n * sizeof *p);
    if (p == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    for (int64_t i = 0; i < n; i++) p[i] = (double)((i + 3 * k) % 11 + 1);
    return p;
}

static void print_memref(const char *name, const double *p, int64_t n) {
    printf("%%%s = [", name);
    int64_t shown = n < 8 ? n : 8;
    for (int64_t i = 0; i < shown; i++) printf("%s%.6g", i ? ", " : "", p[i]);
    if (n > 8) printf(", ... (%lld elements)", (long long)n);
    printf("]\n");
}

static void report_time(double t0, double t1) {
    double mine = t1 - t0, wall = 0;
    MPI_Reduce(&mine, &wall, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) printf("wall time: %.6f s\n", wall);
}

#endif
