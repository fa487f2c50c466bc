/*
 * av_plan.h — the data movement of a generated program, decided at run time.
 *
 * Where a task runs depends on the number of ranks (`k % size`), which is
 * known only at run time, so the transfers are too.  The generated `main`
 * lists, level by level, every memref a task needs on its rank (each with a
 * comment saying why) as an `av_fetch` call; these functions keep the owner
 * table of EXECUTION.md ("Data movement") and post exactly the transfers that
 * `avial2c FILE --emit plan --ranks N` prints for N ranks, with the same
 * sources and tags:
 *
 *   - every rank starts with a valid copy of every memref;
 *   - `av_fetch` before a level: if memref m is not valid on rank `dst`, it
 *     is sent there from the last writer's rank (or, if that copy is gone,
 *     the lowest rank holding one) and is valid on `dst` from then on;
 *   - `av_wrote` after a level: a memref a task wrote is valid on that
 *     task's rank only.
 *
 * Every rank makes the same calls with the same arguments, so every rank
 * holds the same table and agrees on every transfer without communicating.
 */
#ifndef AV_PLAN_H
#define AV_PLAN_H

#include "avial_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** MPI guarantees tags up to 32767: a transfer's tag is its number modulo
 *  this.  All transfers of a phase complete in one av_wait_all. */
#define AV_TAG_LIMIT 32768

/** Which ranks hold a valid copy of each schedule memref. */
typedef struct av_owners {
    int size;              /**< number of ranks */
    int n_mem;             /**< number of schedule memrefs */
    int *writer;           /**< rank of the last write of each memref, -1: never written */
    unsigned char *valid;  /**< valid[m * size + r]: rank r holds memref m */
    long long count;       /**< transfers posted so far */
} av_owners;

/** Starts the table for the memrefs and ranks of `ctx`: every memref valid
 *  everywhere.  Aborts all ranks when out of memory. */
void av_owners_init(av_owners *o, const av_ctx *ctx);

/** Releases the table. */
void av_owners_free(av_owners *o);

/** Makes memref `m` (its index in the schedule) valid on rank `dst` before a
 *  task there uses it: when it is not, posts the transfer into `rs` (the
 *  receive on `dst`, the send on the source rank; nothing on other ranks)
 *  and records `dst` as holding it.  `why` names the transfer in error
 *  messages and traces and must outlive the av_wait_all. */
void av_fetch(av_owners *o, av_ctx *ctx, av_reqset *rs, int m, int dst, const char *why);

/** Records that a task on rank `rank` wrote memref `m`: valid there only. */
void av_wrote(av_owners *o, int m, int rank);

#ifdef __cplusplus
}
#endif

#endif /* AV_PLAN_H */
