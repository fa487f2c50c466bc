/*
 * Task Bench's patterns of bench_peers.py (taskbench.h says what each
 * computes), written by hand with MPI and no runtime system: what
 * Task Bench's own MPI version does.  Each rank owns some of the WIDTH
 * columns of the task graph (all steps of those points) and runs their
 * tasks step by step; before step t it receives the buffers of step t - 1
 * of the points on other ranks that its tasks of step t depend on, and
 * sends the buffers of its own points that other ranks' tasks of step t
 * depend on: one MPI_Irecv / MPI_Isend of K f64 per (point, other rank) the
 * dependencies need, no more, then MPI_Waitall on the receives, the tasks,
 * then MPI_Waitall on the sends (before step t + 1 overwrites what they
 * send).  Which messages each step needs is worked out before the clock
 * starts: the dependencies repeat every second step once a tree has grown
 * to WIDTH points (periodic_from).
 *
 * DIST chooses the columns: `block`, contiguous blocks in rank order (the
 * first WIDTH % size one point longer), as an expert writes it (Task
 * Bench's choice: a stencil then only talks to its neighbours), or
 * `cyclic`, point x on rank x % size, the placement avial2c's round robin
 * gives it.
 *
 * It prints what the generated program prints (common.h: the same initial
 * values, "%bP_X = [...]" for every buffer in schedule order, "wall time:")
 * and times the same region: from a barrier after start-up to the end of
 * the last step, the largest time over ranks, without the final gathering
 * of every point's buffers on rank 0.
 *
 * Arguments: trivial|stencil|nearest|fft|random|tree WIDTH STEPS GRAIN K
 * block|cyclic [DUMP]; DUMP, a file to which rank 0 writes buffer 0 of every
 * point, then buffer 1, as raw doubles (bench_peers.same_bits compares them
 * with the generated program's --output-dir files).
 */
#include "common.h"
#include "taskbench.h"

/* The first step from which the dependencies repeat every two steps (all
 * points present and t > 0): 1, or more for a tree still growing. */
static int64_t periodic_from(int pattern, int64_t width) {
    int64_t t = 1;
    while (width_at(pattern, width, t) < width) t++;
    return t;
}

typedef struct {
    int64_t x;
    int ndeps;
    int64_t dep[MAX_DEPS];
} task;

typedef struct {
    int64_t point;
    int rank; /* where it comes from (receives) or goes to (sends) */
} message;

/* One step's work on this rank: its tasks, in order of x, and its messages. */
typedef struct {
    task *tasks;
    message *recvs, *sends;
    int ntasks, nrecvs, nsends;
} step_plan;

/* The rank of point x of [0, width) on `size` ranks. */
static int owner(int64_t x, int64_t width, int size, int cyclic) {
    if (cyclic) return (int)(x % size);
    const int64_t base = width / size, extra = width % size;
    if (x < extra * (base + 1)) return (int)(x / (base + 1));
    return (int)(extra + (x - extra * (base + 1)) / base);
}

static void *alloc(size_t n, size_t size) {
    void *p = calloc(n > 0 ? n : 1, size);
    if (p == NULL) MPI_Abort(MPI_COMM_WORLD, 3);
    return p;
}

/* Step t on rank `rank`: the tasks of its points, the points of step t - 1
 * it receives (each once, from its owner) and those of its own it sends
 * (each once to every other rank with a task of step t that reads it). */
static step_plan plan_step(int pattern, int64_t width, int64_t t, int rank, int size, int cyclic) {
    step_plan s = {alloc((size_t)width, sizeof(task)), alloc((size_t)width, sizeof(message)),
                   alloc((size_t)(width * size), sizeof(message)), 0, 0, 0};
    int64_t *seen = alloc((size_t)width, sizeof *seen); /* 1 + the last rank that marked it */
    const int64_t w = width_at(pattern, width, t);
    for (int64_t x = 0; x < w; x++) {
        if (owner(x, width, size, cyclic) != rank) continue;
        task *k = &s.tasks[s.ntasks++];
        k->x = x;
        k->ndeps = deps_of(pattern, width, t, x, k->dep);
        for (int d = 0; d < k->ndeps; d++) {
            const int64_t y = k->dep[d];
            const int from = owner(y, width, size, cyclic);
            if (from != rank && !seen[y]) {
                seen[y] = 1;
                s.recvs[s.nrecvs++] = (message){y, from};
            }
        }
    }
    for (int q = 0; q < size; q++) {
        if (q == rank) continue;
        for (int64_t x = 0; x < w; x++) {
            if (owner(x, width, size, cyclic) != q) continue;
            int64_t dep[MAX_DEPS];
            const int n = deps_of(pattern, width, t, x, dep);
            for (int d = 0; d < n; d++) {
                const int64_t y = dep[d];
                if (owner(y, width, size, cyclic) == rank && seen[y] != 2 + q) {
                    seen[y] = 2 + q;
                    s.sends[s.nsends++] = (message){y, q};
                }
            }
        }
    }
    free(seen);
    return s;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int pattern = argc > 6 ? pattern_of(argv[1]) : -1;
    const int64_t width = argc > 6 ? atoll(argv[2]) : 0, steps = argc > 6 ? atoll(argv[3]) : 0;
    const int64_t grain = argc > 6 ? atoll(argv[4]) : 0, k = argc > 6 ? atoll(argv[5]) : 0;
    const int cyclic = argc > 6 && !strcmp(argv[6], "cyclic");
    if (pattern < 0 || width < 1 || steps < 0 || grain < 0 || k < 1 ||
        (!cyclic && strcmp(argv[6], "block")) || (pattern == FFT && width % 4 && width != 2)) {
        if (rank == 0)
            fprintf(stderr, "usage: taskbench trivial|stencil|nearest|fft|random|tree WIDTH STEPS "
                            "GRAIN K block|cyclic [DUMP] (fft: WIDTH 2 or a multiple of 4)\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    double **buf = alloc((size_t)(2 * width), sizeof *buf);
    for (int64_t j = 0; j < 2 * width; j++) buf[j] = filled(k, (int)j); /* b0_0.., b1_0.. */

    /* Steps 0 .. from - 1, then two that repeat. */
    const int64_t from = periodic_from(pattern, width);
    const int64_t nplans = from + 2 < steps ? from + 2 : steps;
    step_plan *plans = alloc((size_t)(nplans > 0 ? nplans : 1), sizeof *plans);
    int most = 0;
    for (int64_t t = 0; t < nplans; t++) {
        plans[t] = plan_step(pattern, width, t, rank, size, cyclic);
        if (plans[t].nrecvs + plans[t].nsends > most) most = plans[t].nrecvs + plans[t].nsends;
    }
    MPI_Request *req = alloc((size_t)(most > 0 ? most : 1), sizeof *req);

    MPI_Barrier(MPI_COMM_WORLD);
    const double t0 = MPI_Wtime();
    for (int64_t t = 0; t < steps; t++) {
        const step_plan *s = &plans[t < from ? t : from + (t - from) % 2];
        double **prev = buf + (t % 2 ? 0 : width), **cur = buf + (t % 2 ? width : 0);
        for (int m = 0; m < s->nrecvs; m++)
            MPI_Irecv(prev[s->recvs[m].point], (int)k, MPI_DOUBLE, s->recvs[m].rank,
                      (int)s->recvs[m].point, MPI_COMM_WORLD, &req[m]);
        for (int m = 0; m < s->nsends; m++)
            MPI_Isend(prev[s->sends[m].point], (int)k, MPI_DOUBLE, s->sends[m].rank,
                      (int)s->sends[m].point, MPI_COMM_WORLD, &req[s->nrecvs + m]);
        MPI_Waitall(s->nrecvs, req, MPI_STATUSES_IGNORE);
        for (int j = 0; j < s->ntasks; j++) {
            const task *q = &s->tasks[j];
            const double *in[MAX_DEPS];
            for (int d = 0; d < q->ndeps; d++) in[d] = prev[q->dep[d]];
            kernel(in, q->ndeps, cur[q->x], k, grain);
        }
        MPI_Waitall(s->nsends, req + s->nrecvs, MPI_STATUSES_IGNORE);
    }
    const double t1 = MPI_Wtime();

    /* Every point's two buffers from its owner to rank 0 (a buffer a tree
     * never wrote holds its initial values there too). */
    for (int64_t x = 0; x < width; x++) {
        const int o = owner(x, width, size, cyclic);
        if (o == 0) continue;
        for (int p = 0; p < 2; p++) {
            double *b = buf[p * width + x];
            if (rank == 0) MPI_Recv(b, (int)k, MPI_DOUBLE, o, p, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (rank == o) MPI_Send(b, (int)k, MPI_DOUBLE, 0, p, MPI_COMM_WORLD);
        }
    }
    if (rank == 0) {
        char name[48];
        for (int64_t j = 0; j < 2 * width; j++) {
            snprintf(name, sizeof name, "b%d_%lld", (int)(j / width), (long long)(j % width));
            print_memref(name, buf[j], k);
        }
    }
    report_time(t0, t1);
    if (rank == 0 && argc > 7) {
        FILE *f = fopen(argv[7], "wb");
        int ok = f != NULL;
        for (int64_t j = 0; ok && j < 2 * width; j++) ok = fwrite(buf[j], sizeof(double), (size_t)k, f) == (size_t)k;
        if (f != NULL && fclose(f) != 0) ok = 0;
        if (!ok) {
            fprintf(stderr, "cannot write %s\n", argv[7]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    for (int64_t t = 0; t < nplans; t++) {
        free(plans[t].tasks);
        free(plans[t].recvs);
        free(plans[t].sends);
    }
    free(plans);
    free(req);
    for (int64_t j = 0; j < 2 * width; j++) free(buf[j]);
    free(buf);
    MPI_Finalize();
    return 0;
}
