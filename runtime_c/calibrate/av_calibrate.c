/*
 * av_calibrate.c — the measuring program of `avial2c calibrate`: what a
 * machine file holds (avial2c/machine.py), measured where it runs.
 *
 *   mpirun -n N av_calibrate [--quick]
 *
 * Measures, one rank at a time while the others sleep (so that ranks sharing
 * cores do not disturb one another):
 *   - each rank's OpenMP threads (omp_get_max_threads) and the CPUs it may
 *     run on (sched_getaffinity);
 *   - each rank's rate of ONE core per element kind (f32, f64, int: i32 with
 *     the wrap-around helpers of av_ops.h): operations per second of a loop
 *     `y[i] = x[i] * a + b` as the code generator writes it (restrict
 *     pointers, int64_t index, one op per statement) over arrays that fit in
 *     cache, counting the load, the multiply, the add and the store as one
 *     operation each, as avial2c/plan/cost.py does.  Its bounds are known
 *     only at run time, as those of an OpenMP thread's share of a loop are:
 *     GCC -O2 then runs it scalar, as it runs the generated task bodies
 *     (branches, index arithmetic), not vectorized;
 *   - the ping-pong of rank 0 with every other rank: one-way latency of an
 *     8-byte message and bandwidth of a large one (bytes / one-way time);
 *   - with AV_CAL_CUDA (av_calibrate_gpu.cu linked in), the GPU each rank
 *     uses: arch, copy bandwidth, kernel launch latency, rate.
 * Every figure is the median of several repetitions.
 *
 * Rank 0 prints the results on stdout, one record a line, each
 * "avcal KIND NUMBER FIELDS" (avial2c/calibrate.py parses them; any other
 * line is ignored):
 *   avcal ranks N quick=0|1 cuda=0|1
 *   avcal rank R host=H threads=T cpus=C f32=OPS f64=OPS int=OPS
 *   avcal net R latency_us=US bandwidth_gbs=GBS bytes=B       (rank 0 with R)
 *   avcal gpu R device=D count=C arch=sm_XY name=NAME h2d_gbs=GBS d2h_gbs=GBS
 *         launch_us=US rate=OPS
 *   avcal nogpu R WHY...                                       (free text)
 *   avcal end 0
 */
#define _GNU_SOURCE
#include <mpi.h>
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "av_ops.h"
#ifdef AV_CAL_CUDA
#include "av_calibrate.h"
#endif

/* Elements of each array: two f64 arrays take 32 KiB, in L1 or L2. */
#define N_ELEMS 2048
/* Operations per element: load, multiply, add, store. */
#define OPS_PER_ELEM 4
#define MAX_REPS 16
#define LINE 512

#if defined(__GNUC__)
#define AV_NOINLINE __attribute__((noinline))
/* Makes the compiler assume memory was read and written: no pass is dropped. */
#define AV_CLOBBER() __asm__ __volatile__("" ::: "memory")
#else
#define AV_NOINLINE
#define AV_CLOBBER() ((void)0)
#endif

/* Read at run time, so the compiler cannot fold the loops away. */
static volatile float f32_a = 0.5f, f32_b = 1.0f;
static volatile double f64_a = 0.5, f64_b = 1.0;
static volatile int32_t i32_a = 3, i32_b = 7;
static volatile double sink;
static volatile int64_t elems_lo = 0, elems_hi = N_ELEMS;

static float f32_x[N_ELEMS], f32_y[N_ELEMS];
static double f64_x[N_ELEMS], f64_y[N_ELEMS];
static int32_t i32_x[N_ELEMS], i32_y[N_ELEMS];

static AV_NOINLINE void kern_f32(int64_t lo, int64_t hi, float *restrict y,
                                 const float *restrict x, float a, float b) {
    for (int64_t i = lo; i < hi; ++i) {
        const float v = x[i];
        const float w = v * a;
        const float z = w + b;
        y[i] = z;
    }
}

static AV_NOINLINE void kern_f64(int64_t lo, int64_t hi, double *restrict y,
                                 const double *restrict x, double a, double b) {
    for (int64_t i = lo; i < hi; ++i) {
        const double v = x[i];
        const double w = v * a;
        const double z = w + b;
        y[i] = z;
    }
}

static AV_NOINLINE void kern_i32(int64_t lo, int64_t hi, int32_t *restrict y,
                                 const int32_t *restrict x, int32_t a, int32_t b) {
    for (int64_t i = lo; i < hi; ++i) {
        const int32_t v = x[i];
        const int32_t w = av_muli_i32(v, a);
        const int32_t z = av_addi_i32(w, b);
        y[i] = z;
    }
}

enum kind { F32, F64, I32, N_KINDS };
static const char *const kind_names[N_KINDS] = {"f32", "f64", "int"};

/* Seconds PASSES passes of KIND take; each pass reads what the last wrote. */
static double run_kernel(enum kind kind, long passes) {
    void *x = kind == F32 ? (void *)f32_x : kind == F64 ? (void *)f64_x : (void *)i32_x;
    void *y = kind == F32 ? (void *)f32_y : kind == F64 ? (void *)f64_y : (void *)i32_y;
    const float fa = f32_a, fb = f32_b;
    const double da = f64_a, db = f64_b;
    const int32_t ia = i32_a, ib = i32_b;
    const int64_t lo = elems_lo, hi = elems_hi;
    double t0 = MPI_Wtime();
    for (long p = 0; p < passes; ++p) {
        if (kind == F32) kern_f32(lo, hi, y, x, fa, fb);
        else if (kind == F64) kern_f64(lo, hi, y, x, da, db);
        else kern_i32(lo, hi, y, x, ia, ib);
        void *t = x;
        x = y;
        y = t;
        AV_CLOBBER();
    }
    double t1 = MPI_Wtime();
    sink = kind == F32 ? ((float *)x)[N_ELEMS / 2] : kind == F64 ? ((double *)x)[N_ELEMS / 2]
                                                                 : ((int32_t *)x)[N_ELEMS / 2];
    return t1 - t0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Operations per second of one core on KIND: the median of REPS timings of
 * as many passes as take at least TARGET seconds. */
static double measure_rate(enum kind kind, double target, int reps) {
    for (int i = 0; i < N_ELEMS; ++i) {
        f32_x[i] = (float)(i % 7);
        f64_x[i] = (double)(i % 7);
        i32_x[i] = i;
    }
    long passes = 1;
    while (run_kernel(kind, passes) < target && passes < (1L << 40)) passes *= 2;
    double rates[MAX_REPS];
    for (int r = 0; r < reps; ++r) {
        double t = run_kernel(kind, passes);
        rates[r] = (double)OPS_PER_ELEM * N_ELEMS * (double)passes / (t > 0 ? t : 1e-9);
    }
    return median(rates, reps);
}

/* A barrier whose waiting ranks sleep instead of spinning, so they leave the
 * cores to the ranks measuring. */
static void quiet_barrier(void) {
    MPI_Request req;
    int done = 0;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    while (!done) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    }
}

/* One-way seconds of a BYTES message between ME (0 or PEER) and the other:
 * TRIPS round trips. */
static double pingpong(int me, int peer, char *buf, int bytes, int trips) {
    int other = me == 0 ? peer : 0;
    double t0 = MPI_Wtime();
    for (int k = 0; k < trips; ++k) {
        if (me == 0) {
            MPI_Send(buf, bytes, MPI_BYTE, other, 0, MPI_COMM_WORLD);
            MPI_Recv(buf, bytes, MPI_BYTE, other, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(buf, bytes, MPI_BYTE, other, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, bytes, MPI_BYTE, other, 0, MPI_COMM_WORLD);
        }
    }
    return (MPI_Wtime() - t0) / (2.0 * trips);
}

static int cpus_allowed(void) {
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return 0;
}

/* NAME with blanks and '=' as '_', so that it is one field. */
static void one_word(char *name) {
    for (char *c = name; *c; ++c) {
        if (*c == ' ' || *c == '\t' || *c == '=' || *c == '\n') *c = '_';
    }
    if (!*name) strcpy(name, "?");
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int quick = 0;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else {
            if (rank == 0) fprintf(stderr, "av_calibrate: unknown argument '%s' (expected --quick)\n", argv[i]);
            MPI_Finalize();
            return 2;
        }
    }
    MPI_Comm node;
    int local_rank = 0;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_free(&node);
#ifndef AV_CAL_CUDA
    (void)local_rank;
#endif

    /* Each rank in turn: its rates (and GPU); the others sleep. */
    const double target = quick ? 0.01 : 0.05;
    const int reps = quick ? 3 : 7;
    char mine[2 * LINE];
    memset(mine, 0, sizeof mine);
    for (int r = 0; r < size; ++r) {
        if (r == rank) {
            double rate[N_KINDS];
            for (int k = 0; k < N_KINDS; ++k) rate[k] = measure_rate((enum kind)k, target, reps);
            char host[MPI_MAX_PROCESSOR_NAME + 1] = "";
            int len = 0;
            MPI_Get_processor_name(host, &len);
            host[len] = '\0';
            one_word(host);
            int n = snprintf(mine, LINE, "avcal rank %d host=%s threads=%d cpus=%d", rank, host,
                             omp_get_max_threads(), cpus_allowed());
            for (int k = 0; k < N_KINDS; ++k) {
                n += snprintf(mine + n, (size_t)(LINE - n), " %s=%.6e", kind_names[k], rate[k]);
            }
            snprintf(mine + n, (size_t)(LINE - n), "\n");
#ifdef AV_CAL_CUDA
            av_cal_gpu g;
            memset(&g, 0, sizeof g);
            av_cal_measure_gpu(local_rank, quick, &g);
            char *gpu = mine + strlen(mine);
            if (g.ok) {
                one_word(g.name);
                snprintf(gpu, LINE, "avcal gpu %d device=%d count=%d arch=sm_%d%d name=%s h2d_gbs=%.6e "
                         "d2h_gbs=%.6e launch_us=%.6e rate=%.6e\n", rank, g.device, g.count, g.major,
                         g.minor, g.name, g.h2d_gbs, g.d2h_gbs, g.launch_us, g.rate);
            } else {
                snprintf(gpu, LINE, "avcal nogpu %d %s\n", rank, g.why[0] ? g.why : "no CUDA device");
            }
#endif
        }
        quiet_barrier();
    }
    char *all = rank == 0 ? malloc((size_t)size * sizeof mine) : NULL;
    if (rank == 0 && all == NULL) {
        fprintf(stderr, "av_calibrate: out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    MPI_Gather(mine, (int)sizeof mine, MPI_CHAR, all, (int)sizeof mine, MPI_CHAR, 0, MPI_COMM_WORLD);

    /* Rank 0 with each other rank in turn; the others sleep. */
    const int big = (quick ? 8 : 32) << 20;
    char *buf = NULL;
    if (size > 1) {
        buf = calloc((size_t)big, 1);
        if (buf == NULL) {
            fprintf(stderr, "av_calibrate: rank %d: out of memory\n", rank);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    double latency[MAX_REPS], bandwidth[MAX_REPS];
    char *net = rank == 0 ? calloc((size_t)(size > 1 ? size : 1), LINE) : NULL;
    for (int peer = 1; peer < size; ++peer) {
        quiet_barrier();
        if (rank != 0 && rank != peer) continue;
        const int lreps = quick ? 5 : 11, ltrips = quick ? 100 : 1000;
        const int breps = quick ? 3 : 7, btrips = quick ? 2 : 3;
        pingpong(rank, peer, buf, 8, 10);
        for (int r = 0; r < lreps; ++r) latency[r] = pingpong(rank, peer, buf, 8, ltrips);
        pingpong(rank, peer, buf, big, 1);
        for (int r = 0; r < breps; ++r) bandwidth[r] = big / pingpong(rank, peer, buf, big, btrips);
        if (rank == 0 && net != NULL) {
            snprintf(net + (size_t)peer * LINE, LINE, "avcal net %d latency_us=%.6e bandwidth_gbs=%.6e bytes=%d\n",
                     peer, median(latency, lreps) * 1e6, median(bandwidth, breps) / 1e9, big);
        }
    }
    quiet_barrier();

    if (rank == 0) {
#ifdef AV_CAL_CUDA
        const int cuda = 1;
#else
        const int cuda = 0;
#endif
        printf("avcal ranks %d quick=%d cuda=%d\n", size, quick, cuda);
        for (int r = 0; r < size; ++r) fputs(all + (size_t)r * sizeof mine, stdout);
        for (int peer = 1; peer < size; ++peer) fputs(net + (size_t)peer * LINE, stdout);
        printf("avcal end 0\n");
        fflush(stdout);
    }
    free(all);
    free(net);
    free(buf);
    MPI_Finalize();
    return 0;
}
