/*
 * av_device.h — GPU copies of schedule memrefs, kept coherent with the host.
 *
 * Each rank holds, for every schedule memref, a host copy (`mem[m].data`)
 * and, once a GPU task on that rank has used it, a device copy.  Either may
 * be the current one; the runtime keeps two bits per memref and copies only
 * when the copy about to be used is stale:
 *
 *   - a GPU task asks for the device copy of each memref it touches with
 *     `av_dev_use`: AV_DEV_READ copies host -> device when the device copy is
 *     stale; AV_DEV_OVERWRITE (the kernel stores every element before any
 *     load) never copies.  After the kernels, `av_dev_wrote` marks each
 *     written memref current on the device only;
 *   - host code (a CPU task, an MPI send, the final outputs) calls
 *     `av_host_use`, which copies device -> host when the host copy is
 *     stale, and `av_host_wrote` after changing the host copy (a CPU task's
 *     write, an MPI receive), which makes the device copy stale.
 *
 * The bits are kept row by row (dimension 0): a GPU task split by rows asks
 * for the rows its block reads (`av_dev_use_rows`: its block and halo) and
 * marks the rows it wrote (`av_dev_wrote_rows`); a receive makes only the
 * rows it carries current on the host (`av_host_wrote_rows`) and a send
 * copies only the rows it carries (`av_host_use_rows`).  Every copy is one
 * contiguous run of stale rows.
 *
 * So data stays on the device between consecutive GPU tasks on one rank
 * when no host code needs it in between; `avial2c FILE --emit plan --ranks N`
 * lists every copy this gives (its "GPU copies" section).
 *
 * Where the device copies live is a table of operations, `av_dev_ops`:
 * `av_cuda_ops` (runtime_c/av_cuda.cu: cudaMalloc, cudaMemcpy) with
 * `--gpu cuda`, `av_emulated_ops` (this runtime: a second, separate
 * allocation per memref) with `--gpu emulate`, so the emulated program
 * makes exactly the copies the CUDA one makes, and a missing copy gives
 * wrong results in emulation too.
 *
 * The header needs neither MPI nor CUDA; it compiles as C11 and as C++.
 */
#ifndef AV_DEVICE_H
#define AV_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct av_ctx av_ctx;

/** How a GPU task uses a memref (`av_dev_use`). */
typedef enum av_dev_mode {
    AV_DEV_READ = 1,      /**< the kernels load it: its current contents are needed */
    AV_DEV_OVERWRITE = 2  /**< the kernels store every element first: no copy */
} av_dev_mode;

/** Where device copies live.  Each operation aborts all ranks (through
 *  av_fail, naming `what`) when it fails. */
typedef struct av_dev_ops {
    const char *name;  /**< "cuda" or "emulated", for messages */
    /** Chooses this rank's device once, before the first allocation:
     *  `local_rank` is the rank's index among the ranks of its node. */
    void (*select)(int local_rank, const char *what);
    void *(*alloc)(size_t bytes, const char *what);
    void (*to_device)(void *dev, const void *host, size_t bytes, const char *what);
    void (*to_host)(void *host, const void *dev, size_t bytes, const char *what);
    void (*release)(void *dev);
} av_dev_ops;

/** Device copies in separate host allocations (`--gpu emulate`). */
extern const av_dev_ops av_emulated_ops;

/** Device copies in CUDA device memory (`--gpu cuda`; runtime_c/av_cuda.cu). */
extern const av_dev_ops av_cuda_ops;

/** Starts keeping device copies with `ops`; call once after av_init in a
 *  program with GPU tasks.  No device is touched until the first av_dev_use.
 *  Sets the hooks in `ctx` through which av_finish copies the outputs to the
 *  host (av_host_use) and frees the device copies (av_dev_release). */
void av_dev_setup(av_ctx *ctx, const av_dev_ops *ops);

/** The device copy of memref `m` for GPU task `task`, current when `mode`
 *  is AV_DEV_READ (copied from the host if it was stale there). */
void *av_dev_use(av_ctx *ctx, int m, av_dev_mode mode, const char *task);

/** av_dev_use for rows [lo, hi) of `m` only (clipped to its rows): each run
 *  of them whose device copy is stale is copied from the host. */
void *av_dev_use_rows(av_ctx *ctx, int m, av_dev_mode mode, const char *task, int64_t lo,
                      int64_t hi);

/** The kernels of a GPU task wrote memref `m`: only the device copy is current. */
void av_dev_wrote(av_ctx *ctx, int m);

/** The kernels wrote rows [lo, hi) of `m`: only their device copy is current. */
void av_dev_wrote_rows(av_ctx *ctx, int m, int64_t lo, int64_t hi);

/** Host code is about to use memref `m`: copies it from the device when
 *  the host copy is stale.  A no-op without device copies. */
void av_host_use(av_ctx *ctx, int m, const char *why);

/** av_host_use for rows [lo, hi) of `m` only. */
void av_host_use_rows(av_ctx *ctx, int m, const char *why, int64_t lo, int64_t hi);

/** Host code changed memref `m`: the device copy, if any, is stale. */
void av_host_wrote(av_ctx *ctx, int m);

/** Host code changed rows [lo, hi) of `m`: their device copy is stale. */
void av_host_wrote_rows(av_ctx *ctx, int m, int64_t lo, int64_t hi);

/** Frees every device copy and clears the hooks (av_finish calls it
 *  through `ctx->dev_release`). */
void av_dev_release(av_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* AV_DEVICE_H */
