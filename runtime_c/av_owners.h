/*
 * av_owners.h — owner tracking: which ranks hold a valid copy of each memref.
 *
 * Where a task runs depends on the number of ranks (`k % size`), which is
 * known only at run time, so the transfers are too.  Each level function of
 * a generated program asks `av_owner_move` for every memref a task of the
 * level needs on its rank, posts the MPI_Irecv/MPI_Isend itself when a move
 * is due, and records with `av_wrote` what the level's tasks wrote:
 *
 *   - every rank starts with a valid copy of every memref;
 *   - `av_owner_move`: if memref m is not valid on rank `dst`, it is sent
 *     there from the last writer's rank (or, if that copy is gone, the
 *     lowest rank holding one) with the next tag, and is valid on `dst`
 *     from then on;
 *   - `av_wrote`: a memref a task wrote is valid on that task's rank only.
 *
 * Every rank makes the same calls with the same arguments, so every rank
 * holds the same table and agrees on every transfer without communicating.
 *
 * This is the C twin of avial2c/plan/owners.py, written to mirror it line
 * for line: `avial2c FILE --emit plan --ranks N` replays the same calls and
 * lists exactly the transfers a run on N ranks posts, with the same
 * sources and tags.  Change both together.
 */
#ifndef AV_OWNERS_H
#define AV_OWNERS_H

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

/** One transfer the table decided: rank `src` sends memref `m` to rank
 *  `dst` with `tag`.  No transfer: src = dst = -1 (no rank matches). */
typedef struct av_move {
    int m, src, dst, tag;
} av_move;

/** Starts the table for the memrefs and ranks of `ctx`: every memref valid
 *  everywhere.  Aborts all ranks when out of memory. */
void av_owners_init(av_owners *o, const av_ctx *ctx);

/** Releases the table. */
void av_owners_free(av_owners *o);

/** The transfer that makes memref `m` (its index in the schedule) valid on
 *  rank `dst` before a task there uses it, recorded as done; or no
 *  transfer (src = dst = -1) when `dst` already holds it. */
av_move av_owner_move(av_owners *o, int m, int dst);

/** Records that a task on rank `rank` wrote memref `m`: valid there only. */
void av_wrote(av_owners *o, int m, int rank);

#ifdef __cplusplus
}
#endif

#endif /* AV_OWNERS_H */
