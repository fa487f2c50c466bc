/*
 * The 2-D Jacobi of bench_generated.py with StarPU-MPI, for the placement of
 * the generated program: SWEEPS sweeps alternating u -> v and v -> u, each
 * depending on the one before, so all run on rank 0 (each is the only task
 * of its level); u and v are one handle each, owned by rank 0.  The other
 * ranks unroll the same task flow and run nothing.
 *
 * Arguments: N (grid side), SWEEPS, and optionally a file for the outputs
 * (peers.h).
 */
#include "jacobi.h"

int main(int argc, char **argv) {
    int rank, size;
    peers_init(&argc, &argv, &rank, &size);
    const int64_t n = argc > 1 ? atoll(argv[1]) : 1024;
    const int sweeps = argc > 2 ? atoi(argv[2]) : 20;
    double *u = filled(n * n, 0), *v = filled(n * n, 1);
    starpu_data_handle_t hu, hv;
    starpu_vector_data_register(&hu, STARPU_MAIN_RAM, (uintptr_t)u, (uint32_t)(n * n), sizeof *u);
    starpu_vector_data_register(&hv, STARPU_MAIN_RAM, (uintptr_t)v, (uint32_t)(n * n), sizeof *v);
    starpu_mpi_data_register(hu, 0, 0);
    starpu_mpi_data_register(hv, 1, 0);
    const int64_t plo[] = {0};

    double t0 = peers_start();
    for (int k = 0; k < sweeps; k++) {
        if (k % 2 == 0) submit_sweep(n, 0, n, 1, plo, &hv, &hu, NULL, NULL, 0);
        else submit_sweep(n, 0, n, 1, plo, &hu, &hv, NULL, NULL, 0);
    }
    double t1 = peers_stop();

    starpu_data_handle_t out[] = {hu, hv};
    peers_gather(out, 2);
    starpu_mpi_shutdown();
    if (rank == 0) {
        print_memref("u", u, n * n);
        print_memref("v", v, n * n);
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 3) {
        double *const p[] = {u, v};
        const int64_t len[] = {n * n, n * n};
        peers_dump(argv[3], p, len, 2);
    }
    free(u);
    free(v);
    MPI_Finalize();
    return 0;
}
