/*
 * avial_rt.h — the runtime shared by every program that avial2c generates.
 *
 * A generated program keeps what is specific to it: one function per task,
 * the table of schedule memrefs, one rank-branched function per level with
 * its MPI calls, and `main`.  The repetitive work lives here: MPI start-up,
 * the command line, initial values, .npy input and output, request sets,
 * barriers, checked MPI calls, timing, tracing and the final report.  The
 * owner table is in av_owners.h.
 *
 * Shape of a generated program (see tests/goldens/ for whole ones):
 *
 *     static av_memref mem[] = {
 *         {"a", AV_I32, 1, {20}, NULL, 0},
 *         {"b", AV_F64, 2, {4, 5}, NULL, 0},
 *     };
 *     static const int outputs[] = {1};
 *
 *     static void level0(av_ctx *ctx, av_owners *own) {
 *         const int rank = ctx->rank, size = ctx->size;
 *         if (rank == 1 % size) { AV_TASK(ctx, "task1", task1(mem[0].data, mem[1].data)); }
 *         av_owner_wrote(own, 1, 1 % size, 0, 4);
 *         av_barrier(ctx, "end of level 0");
 *     }
 *
 *     static void gather_results(av_ctx *ctx, av_owners *own) {
 *         av_reqset rs = AV_REQSET_INIT;
 *         const av_moves *mv = av_owner_need(own, 1, 0, 0, 4);  // all 4 rows to rank 0
 *         for (int k = 0; k < mv->n; k++) {
 *             if (ctx->rank == mv->at[k].dst) { AV_MPI_CHECK(MPI_Irecv(..., av_recv_request(...)), ...); }
 *             else if (ctx->rank == mv->at[k].src) { AV_MPI_CHECK(MPI_Isend(..., av_send_request(...)), ...); }
 *         }
 *         av_wait_all(ctx, &rs, "final results to rank 0");
 *     }
 *
 *     int main(int argc, char **argv) {
 *         av_ctx ctx;
 *         av_init(&ctx, argc, argv, mem, 2);
 *         av_owners own;
 *         av_owners_init(&own, &ctx);
 *         level0(&ctx, &own);
 *         av_stop_clock(&ctx);
 *         gather_results(&ctx, &own);
 *         av_owners_free(&own);
 *         return av_finish(&ctx, outputs, 1);
 *     }
 *
 * Command line of every generated program (every rank gets the same one):
 *
 *     --input NAME=FILE.npy   initial contents of schedule memref %NAME (repeatable)
 *     --output-dir DIR        rank 0 writes each output memref as DIR/NAME.npy
 *     --trace FILE.json       rank 0 writes a Chrome/Perfetto trace of all ranks
 *     --help                  print the usage and the schedule memrefs, exit 0
 *
 * `--opt=VALUE` is accepted as well as `--opt VALUE`.
 *
 * Exit statuses: 0 success; 2 bad command line, bad `--input` file or an
 * output that cannot be written (every rank exits with 2, nothing is
 * written); 3 a failed MPI or CUDA call (MPI_Abort).
 *
 * Nothing here is global: all state lives in the `av_ctx` that `main` owns,
 * so task bodies running under OpenMP never share runtime state.
 *
 * Where it is implemented: av_memref.c (element types, memrefs, the text of
 * values), av_npy.c (.npy files), av_args.c (command line), av_fail.c
 * (failures), av_ctx.c (av_init, av_finish), av_trace.c (clock and trace),
 * av_comm.c (request sets, waits, barriers), av_owners.c (av_owners.h) and
 * av_device.c (av_device.h).  No file calls back into a file that calls it:
 * av_device.c calls the rest, which reaches the device copies only through
 * the hooks that av_dev_setup sets in av_ctx.
 *
 * The header compiles as C11 and as C++ (it is included from .cu files).
 */
#ifndef AVIAL_RT_H
#define AVIAL_RT_H

/* Only the C interface of MPI is used; keep C++ bindings out of .cu/.cpp units. */
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "av_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Element types
 * ---------------------------------------------------------------------- */

/** Element types of schedule memrefs.  C storage: AV_I1 one byte holding 0
 *  or 1 (uint8_t), AV_I8 int8_t, AV_I16 int16_t, AV_I32 int32_t, AV_I64 and
 *  AV_INDEX int64_t, AV_F32 float, AV_F64 double. */
typedef enum av_dtype {
    AV_I1,
    AV_I8,
    AV_I16,
    AV_I32,
    AV_I64,
    AV_INDEX,
    AV_F32,
    AV_F64
} av_dtype;

/** Size in bytes of one element of type `t` (1, 1, 2, 4, 8, 8, 4, 8). */
size_t av_dtype_size(av_dtype t);

/** The .npy `descr` of `t`: "|b1", "|i1", "<i2", "<i4", "<i8" (AV_I64 and
 *  AV_INDEX), "<f4", "<f8". */
const char *av_dtype_descr(av_dtype t);

/** The NumPy name of `t`, used in messages: "bool", "int8", "int16",
 *  "int32", "int64" (AV_I64 and AV_INDEX), "float32", "float64". */
const char *av_dtype_name(av_dtype t);

/* ------------------------------------------------------------------------
 * Memrefs
 * ---------------------------------------------------------------------- */

/** Largest memref rank. */
#define AV_MAX_RANK 4

/** A schedule memref: static shape, row-major (C order), contiguous.
 *  Generated code writes the first four fields in a static table
 *  (`{"a", AV_I32, 1, {20}, NULL, 0}`); `av_init` fills `data` and `nbytes`. */
typedef struct av_memref {
    const char *name;            /**< name without the leading '%' */
    av_dtype dtype;              /**< element type */
    int rank;                    /**< 0 .. AV_MAX_RANK */
    int64_t shape[AV_MAX_RANK];  /**< extents; entries past `rank` unused */
    void *data;                  /**< elements, 64-byte aligned */
    size_t nbytes;               /**< numel * element size */
} av_memref;

/** Number of elements of `m` (1 for rank 0). */
int64_t av_memref_numel(const av_memref *m);

/** Sets `m->nbytes` from dtype and shape and allocates `m->data`, 64-byte
 *  aligned and zeroed.  Returns 0, or -1 when out of memory or when the
 *  rank is outside 0..AV_MAX_RANK or an extent is negative. */
int av_memref_alloc(av_memref *m);

/** Frees `m->data` (NULL is fine) and sets it to NULL and `nbytes` to 0. */
void av_memref_free(av_memref *m);

/** Stores the default initial value in every element of `m`, the `k`-th
 *  schedule memref (k from 0): at flat index i, ((i + 3k) mod 11) + 1,
 *  for AV_I1 that value mod 2. */
void av_memref_fill_default(av_memref *m, int k);

/* ------------------------------------------------------------------------
 * .npy files and printing (no MPI; usable on their own)
 * ---------------------------------------------------------------------- */

/** Reads the .npy file `path` into `m->data`, which must be allocated.
 *  Checks the magic, version (1.0, 2.0, 3.0), the header dictionary
 *  (`descr`, `fortran_order` False, `shape`), that dtype and shape equal
 *  those of `m` exactly, and that the file holds exactly the data.
 *  Returns 0, or -1 with a message in `err` (at most `cap` bytes), e.g.
 *  "expected int32 (20,), found float64 (20,)", "cannot open: No such file
 *  or directory", "truncated: expected 80 data bytes, found 40", "not a
 *  .npy file". */
int av_npy_read(const char *path, av_memref *m, char *err, size_t cap);

/** Writes `m` to `path` as .npy version 1.0, C order, with the descr of
 *  its dtype and its shape (`(20,)`, `(4, 5)`, `()` for rank 0).
 *  Returns 0, or -1 with a message in `err`. */
int av_npy_write(const char *path, const av_memref *m, char *err, size_t cap);

/** Formats a shape as a Python tuple: "()", "(20,)", "(4, 5)".
 *  snprintf-style: writes at most `cap` bytes including the NUL and returns
 *  the length the full text has. */
int av_format_shape(char *buf, size_t cap, int rank, const int64_t *shape);

/** Formats the report line of `m`, without a newline:
 *  "%NAME = [v0, v1, v2]" with up to 8 elements, else
 *  "%NAME = [v0, ..., v7, ... (N elements)]" (the first 8 values, then the
 *  literal "... (N elements)").  Integers in signed decimal (i1 as 0/1),
 *  floats as "%.6g" with "nan", "inf", "-inf".  snprintf-style: writes at
 *  most `cap` bytes including the NUL and returns the full length. */
int av_format_memref(char *buf, size_t cap, const av_memref *m);

/* ------------------------------------------------------------------------
 * Command line (no MPI; `av_init` uses it)
 * ---------------------------------------------------------------------- */

/** One `--input NAME=FILE`. */
typedef struct av_input {
    const char *spec;  /**< "NAME=FILE" as given, for messages */
    char *name;        /**< NAME (owned; a leading '%' is dropped) */
    const char *path;  /**< FILE (points into argv) */
} av_input;

/** The parsed command line. */
typedef struct av_args {
    av_input *inputs;        /**< `n_inputs` entries (owned) */
    int n_inputs;
    const char *output_dir;  /**< NULL when not given */
    const char *trace_path;  /**< NULL when not given */
    int help;                /**< 1 when --help was given */
} av_args;

/** Parses `argv[1..argc-1]` into `out`.  Returns 0, or 2 with a message in
 *  `err` (without "error: ") for an unknown option, a missing value, a
 *  malformed `--input` or a repeated option/input name.  Free `out` with
 *  `av_args_free` in both cases. */
int av_parse_args(av_args *out, int argc, char **argv, char *err, size_t cap);

/** Releases what `av_parse_args` allocated. */
void av_args_free(av_args *a);

/* ------------------------------------------------------------------------
 * Program context, start and end
 * ---------------------------------------------------------------------- */

/** One trace record (fixed size, so that rank 0 gathers them as bytes). */
typedef struct av_event {
    char name[64];  /**< task name or `why` text (truncated) */
    char cat[16];   /**< "task", "send", "recv", "wait", "barrier", "h2d", "d2h" */
    double t0, t1;  /**< seconds since the common start */
    int64_t bytes;  /**< bytes moved (transfers), else 0 */
    int32_t peer;   /**< other rank (transfers), else -1 */
    int32_t tag;    /**< MPI tag (transfers), else -1 */
} av_event;

/** Everything the runtime knows about the running program.  `main` owns it;
 *  generated code reads `rank` and `size` and passes `&ctx` to the calls
 *  below.  Other fields are private to the runtime. */
typedef struct av_ctx {
    int rank;              /**< this process's rank in MPI_COMM_WORLD */
    int size;              /**< number of ranks */
    av_memref *mem;        /**< schedule memrefs, in schedule order */
    int n_mem;
    av_args args;          /**< parsed command line */
    double t_start;        /**< MPI_Wtime at the common start */
    double t_stop;         /**< MPI_Wtime at av_stop_clock (0 = not yet) */
    av_event *events;      /**< trace records (only with --trace) */
    size_t n_events, cap_events;
    struct av_devstate *dev;  /**< device copies (av_device.h); NULL without GPU tasks */
    /* Set by av_dev_setup, NULL without device copies.  The rest of the
     * runtime reaches the device copies only through these, so that it
     * never calls into av_device.c (which calls it). */
    void (*host_use)(struct av_ctx *ctx, int m, const char *why);  /**< av_host_use */
    void (*dev_release)(struct av_ctx *ctx);                       /**< av_dev_release */
} av_ctx;

/** Starts the program: MPI_Init_thread (FUNNELED), MPI_ERRORS_RETURN on
 *  MPI_COMM_WORLD, rank and size, the command line, allocation of the
 *  `n_mem` memrefs of `mem` (in schedule order; `mem[k]` is the k-th
 *  schedule memref), default values, then `--input` files: rank 0 reads and
 *  checks them all, broadcasts the outcome and, on success, the data.  Ends
 *  with a barrier and starts the clock (the common start of wall time and
 *  trace).  Does not return on `--help` (exit 0), on a bad command line or
 *  bad input (message on rank 0's stderr, every rank exits 2). */
void av_init(av_ctx *ctx, int argc, char **argv, av_memref *mem, int n_mem);

/** Stops the wall-time clock.  Call once the last level is done, before
 *  the outputs are gathered to rank 0; `av_finish` calls it if not done. */
void av_stop_clock(av_ctx *ctx);

/** Ends the program: on rank 0 prints the report line of each memref
 *  `mem[outputs[j]]` (j < n_outputs, in that order), then
 *  "wall time: %.6f s" (the largest over ranks), writes DIR/NAME.npy for
 *  each with `--output-dir DIR` (creating DIR), gathers and writes the trace
 *  with `--trace`; frees the memrefs and calls MPI_Finalize.  The outputs
 *  must already be valid on rank 0.  Returns the exit status for `main`: 0,
 *  or 2 (on every rank) when a file could not be written. */
int av_finish(av_ctx *ctx, const int *outputs, int n_outputs);

/* ------------------------------------------------------------------------
 * Tasks, transfers, barriers
 * ---------------------------------------------------------------------- */

/** Loops with constant bounds and less work than a few thousand operations
 *  run on one thread unless their work reaches this: `if (WORK >=
 *  av_omp_min_work)` picks the loop under `#pragma omp parallel for` or
 *  the same loop without it (starting OpenMP threads costs microseconds,
 *  entering a parallel region even on one thread about 0.3 us).  av_init sets it from the environment
 *  variable AVIAL_OMP_MIN_WORK, 8192 when unset (the translator's
 *  SMALL_PARALLEL_WORK, avial2c/codegen/body.py); 0 makes every loop
 *  parallel. */
extern int64_t av_omp_min_work;

/** Seconds since the common start (MPI_Wtime based). */
double av_now(const av_ctx *ctx);

/** Records that task `name` ran from `t0` (from av_now) until now, when
 *  tracing.  Cheap no-op otherwise. */
void av_task_done(av_ctx *ctx, const char *name, double t0);

/** Records an event of category `cat` ("h2d", "d2h", ...) named `name` that
 *  ran from `t0` until now and moved `bytes`, when tracing. */
void av_record(av_ctx *ctx, const char *name, const char *cat, double t0, int64_t bytes);

/** The clock (av_now) when tracing, 0 otherwise: AV_TASK's start time.  Two
 *  MPI_Wtime calls per task cost 0.06-0.08 us, as much as a tiny task. */
double av_task_clock(const av_ctx *ctx);

/** Runs the statement `call` as task `name`, timed and traced with --trace:
 *  `AV_TASK(&ctx, "task1", task1(a, b));` */
#define AV_TASK(ctx, name, call)                  \
    do {                                          \
        double av_task_t0_ = av_task_clock(ctx);  \
        call;                                     \
        av_task_done((ctx), (name), av_task_t0_); \
    } while (0)

/** One posted, not yet completed transfer. */
typedef struct av_pending {
    const char *why;
    int peer, tag, is_send;
    int64_t bytes;
    double t0;    /**< when it was posted (av_now) */
    size_t mark;  /**< trace records made before it was posted */
} av_pending;

/** A set of posted non-blocking transfers, completed together by
 *  `av_wait_all`.  Initialise with AV_REQSET_INIT; reusable after each
 *  `av_wait_all`, which also releases its storage. */
typedef struct av_reqset {
    MPI_Request *reqs;
    int n_reqs, cap_reqs;
    av_pending *pend;
    int n_pend, cap_pend;
} av_reqset;

#define AV_REQSET_INIT {NULL, 0, 0, NULL, 0, 0}

/** The request slot for an MPI_Irecv of `bytes` bytes from rank `src` with
 *  `tag`, to be posted by the caller and completed by `av_wait_all`; the
 *  transfer is traced then.  `tag` must be unique among the transfers in
 *  flight between the two ranks and at most MPI_TAG_UB (32767 is always
 *  safe).  `why` (e.g. "%c for task3") names the transfer in error
 *  messages and traces; it must outlive the wait:
 *
 *      AV_MPI_CHECK(MPI_Irecv(c, 20, MPI_INT32_T, src, tag, MPI_COMM_WORLD,
 *                             av_recv_request(ctx, &rs, src, tag, 80, "%c for task3")),
 *                   "%c for task3");
 */
MPI_Request *av_recv_request(av_ctx *ctx, av_reqset *rs, int src, int tag, int64_t bytes,
                             const char *why);

/** The request slot for an MPI_Isend to rank `dst`, as `av_recv_request`.
 *  The buffer must not be modified until `av_wait_all`. */
MPI_Request *av_send_request(av_ctx *ctx, av_reqset *rs, int dst, int tag, int64_t bytes,
                             const char *why);

/** Completes every transfer of `rs` (MPI_Waitall), records them when
 *  tracing, and empties `rs`.  An empty set is fine.  `why` names the wait.
 *  In the trace, each send and receive is a slice of its posting only (from
 *  its request until the next request, the next record or the wait), the
 *  MPI_Waitall one "wait" slice after them, so the slices of one rank never
 *  overlap; av_trace_gather joins each send to its receive by a flow arrow. */
void av_wait_all(av_ctx *ctx, av_reqset *rs, const char *why);

/** MPI_Barrier on MPI_COMM_WORLD, checked and traced; `why` says which
 *  level boundary it is. */
void av_barrier(av_ctx *ctx, const char *why);

/* ------------------------------------------------------------------------
 * Checked calls
 * ---------------------------------------------------------------------- */

/** Prints "error: WHAT: CALL failed: DETAIL" on stderr, where CALL is the
 *  function name at the start of `call_text` ("MPI_Isend(buf, ...)" gives
 *  "MPI_Isend"), and aborts all ranks with MPI_Abort(MPI_COMM_WORLD, 3). */
void av_fail(const char *what, const char *call_text, const char *detail);

/** Prints "error: WHAT: CALL failed: <MPI_Error_string(rc)>" and aborts
 *  all ranks with status 3. */
void av_mpi_fail(int rc, const char *call_text, const char *what);

/** Checks an MPI call: `AV_MPI_CHECK(MPI_Isend(...), "task2");` */
#define AV_MPI_CHECK(call, what)                         \
    do {                                                 \
        int av_mpi_rc_ = (call);                         \
        if (av_mpi_rc_ != MPI_SUCCESS) {                 \
            av_mpi_fail(av_mpi_rc_, #call, (what));      \
        }                                                \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* AVIAL_RT_H */
