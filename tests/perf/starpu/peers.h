/*
 * peers.h — what the StarPU-MPI versions of the benchmark programs share
 * (tests/perf/bench_peers.py builds and runs them beside the programs
 * avial2c generates).
 *
 * Each program is written as a StarPU user would write it: one data handle
 * per memref (per piece of a row block for the split Jacobi), registered on
 * every rank over that rank's own copy of the array and given an owner with
 * starpu_mpi_data_register, and one starpu_mpi_task_insert per task with
 * STARPU_R / STARPU_W / STARPU_RW.  Every rank unrolls the same sequential
 * task flow; StarPU-MPI runs a task on the rank that owns the data it writes
 * (or on STARPU_EXECUTE_ON_NODE) and posts the transfers the data
 * dependencies need.  The owners are chosen to give the placement the
 * avial2c program has, so that both move the same data.
 *
 * They print what the generated programs print (common.h: the same initial
 * values, "%NAME = [...]" lines for the memrefs the tasks write, in schedule
 * order, and "wall time: S s") and time the same region: from a barrier after
 * start-up (StarPU initialised, handles registered) to the end of the last
 * task, the largest time over the ranks, without the final gathering to
 * rank 0.  Task submission is inside the region: it is part of what StarPU
 * costs.  An optional last argument names a file to which rank 0 writes the
 * outputs as raw doubles, in schedule order (bench_peers.py compares them
 * with the generated program's --output-dir files, bit for bit).
 *
 * StarPU's defaults that would distort a run on a shared machine are
 * changed unless the environment sets them: STARPU_WORKERS_NOBIND=1 and
 * STARPU_MPI_NOBIND=1 (every rank of a node would otherwise bind its worker
 * and its MPI thread to the same first cores), STARPU_SILENT=1, no OpenCL
 * or CUDA workers, the dmda scheduler.  STARPU_NCPU sets the CPU workers
 * per rank (the benchmark sets it to the OpenMP threads of the generated
 * program).
 */
#ifndef PEERS_H
#define PEERS_H

/* StarPU's headers need POSIX (rwlocks, barriers) under -std=c11: include
 * this file before any other. */
#define _POSIX_C_SOURCE 200809L

#include <starpu_mpi.h>

#include "common.h"

/* MPI is initialised here (MPI_THREAD_SERIALIZED: StarPU-MPI's progress
 * thread alone calls MPI between starpu_mpi_init_conf and
 * starpu_mpi_shutdown), so that the time can be reduced and the outputs
 * printed after StarPU has shut down. */
static void peers_init(int *argc, char ***argv, int *rank, int *size) {
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided);
    if (provided < MPI_THREAD_SERIALIZED) {
        fprintf(stderr, "MPI does not provide MPI_THREAD_SERIALIZED\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    setenv("STARPU_WORKERS_NOBIND", "1", 0);
    setenv("STARPU_MPI_NOBIND", "1", 0);
    setenv("STARPU_SILENT", "1", 0);
    setenv("STARPU_SCHED", "dmda", 0);
    struct starpu_conf conf;
    starpu_conf_init(&conf);
    conf.ncuda = 0;
    conf.nopencl = 0;
    if (starpu_mpi_init_conf(argc, argv, 0, MPI_COMM_WORLD, &conf) != 0) {
        fprintf(stderr, "starpu_mpi_init_conf failed\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    starpu_mpi_comm_rank(MPI_COMM_WORLD, rank);
    starpu_mpi_comm_size(MPI_COMM_WORLD, size);
}

/* The start of the timed region: every rank has registered its handles. */
static double peers_start(void) {
    starpu_mpi_barrier(MPI_COMM_WORLD);
    return MPI_Wtime();
}

/* The end of the timed region on this rank: its tasks have run (a rank may
 * still be sending what another needs; that one waits for it). */
static double peers_stop(void) {
    starpu_task_wait_for_all();
    return MPI_Wtime();
}

/* The current contents of every handle in H to rank 0, then every handle
 * unregistered: on rank 0 the data is back in its own arrays. */
static void peers_gather(starpu_data_handle_t *h, int n) {
    for (int k = 0; k < n; k++) starpu_mpi_get_data_on_node(MPI_COMM_WORLD, h[k], 0);
    starpu_mpi_wait_for_all(MPI_COMM_WORLD);
    for (int k = 0; k < n; k++) starpu_data_unregister(h[k]);
}

/* Rank 0 writes the N arrays P[k] of LEN[k] doubles to PATH, in order. */
static void peers_dump(const char *path, double *const *p, const int64_t *len, int n) {
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    for (int k = 0; ok && k < n; k++) ok = fwrite(p[k], sizeof *p[k], (size_t)len[k], f) == (size_t)len[k];
    if (f != NULL && fclose(f) != 0) ok = 0;
    if (!ok) {
        fprintf(stderr, "cannot write %s\n", path);
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
}

#endif
