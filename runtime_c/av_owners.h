/*
 * av_owners.h — owner tracking by row ranges: which ranks hold a valid copy
 * of which rows of each memref.
 *
 * Where a task runs depends on the number of ranks (`k % size`), which is
 * known only at run time, so the transfers are too.  Each level function of
 * a generated program asks the table for the rows a task of the level needs
 * on its rank, posts the MPI_Irecv/MPI_Isend itself for each message the
 * table returns, and records what the level's tasks wrote.
 *
 * Rows are dimension 0 of a memref (a 0-d memref has one row).  Each memref
 * is a list of *segments*, consecutive row ranges [lo, hi) that cover all
 * its rows, each with the set of ranks holding those rows and the rank that
 * last wrote them (-1: never written):
 *
 *   - every rank starts with a valid copy of every row;
 *   - `av_owner_need(o, m, dst, lo, hi)`: for each segment in [lo, hi) that
 *     `dst` does not hold, the rows come from their last writer if it still
 *     holds them, else from the lowest rank holding them; consecutive
 *     segments with the same source travel as one message, with the next
 *     tag; `dst` holds the rows from then on;
 *   - `av_owner_wrote(o, m, rank, lo, hi)`: a task on `rank` wrote rows
 *     [lo, hi): valid there only;
 *   - segments are split only where a range starts or ends, and neighbours
 *     with the same ranks and writer are merged again, so a memref moved
 *     whole keeps one segment.
 *
 * Every rank makes the same calls with the same arguments, so every rank
 * holds the same table and agrees on every transfer without communicating.
 *
 * This is the C twin of avial2c/plan/owners.py, written to
 * mirror it line for line (each function names its Python twin): the
 * planner replays the same calls for one number of ranks and lists exactly
 * the transfers a run on that many ranks posts, with the same sources, rows
 * and tags.  Change both together.  runtime_c/tests/test_owners_twin.c and
 * tests/runtime/test_owners_twin.py check that they agree.
 */
#ifndef AV_OWNERS_H
#define AV_OWNERS_H

#include "avial_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** MPI guarantees tags up to 32767: a message's tag is its number within
 *  its phase modulo this (TAG_LIMIT in Python).  All messages of a phase
 *  complete in one av_wait_all. */
#define AV_TAG_LIMIT 32768

/** Rows [lo, hi) of a memref held by the same ranks, last written by the
 *  same rank (Segment in Python). */
typedef struct av_segment {
    int64_t lo, hi;        /**< the rows [lo, hi) */
    int writer;            /**< rank of their last write, -1: never written */
    unsigned char *ranks;  /**< ranks[r]: rank r holds them (`size` bytes) */
} av_segment;

/** The segments of one memref, in row order, covering all its rows. */
typedef struct av_segments {
    int64_t rows;  /**< its number of rows: shape[0], 1 for a 0-d memref */
    int n;
    av_segment *at;
    int cap;
} av_segments;

/** One message the table decided: rank `src` sends rows [lo, hi) of memref
 *  `m` to rank `dst` with `tag` (Move in Python).  No
 *  message: src = dst = tag = -1 (no rank matches). */
typedef struct av_move {
    int m, src, dst;
    int64_t lo, hi;
    int tag;
} av_move;

/** The messages of one `av_owner_need`, in the order to post them. */
typedef struct av_moves {
    int n;
    av_move *at;
    int cap;
} av_moves;

/** A row range [lo, hi). */
typedef struct av_rows {
    int64_t lo, hi;
} av_rows;

/** The segments of every schedule memref (Owners in Python). */
typedef struct av_owners {
    int size;              /**< number of ranks */
    int n_mem;             /**< number of schedule memrefs */
    av_segments *segs;     /**< segs[m]: the segments of memref m */
    long long count;       /**< messages posted so far in this phase */
    av_moves moves;        /**< what the last av_owner_need returned */
} av_owners;

/** Starts the table for the memrefs and ranks of `ctx`: each memref one
 *  segment [0, rows) held by every rank, never written.  Aborts all ranks
 *  when out of memory. */
void av_owners_init(av_owners *o, const av_ctx *ctx);

/** Releases the table. */
void av_owners_free(av_owners *o);

/** The messages that make rows [lo, hi) of memref `m` (its index in the
 *  schedule) valid on rank `dst` before a task there uses them, recorded as
 *  done (n = 0 when `dst` holds them all, or lo >= hi).  The result belongs
 *  to the table and is valid until the next call. */
const av_moves *av_owner_need(av_owners *o, int m, int dst, int64_t lo, int64_t hi);

/** A new phase (the transfers before a level, or the final gathering)
 *  starts: its messages are numbered from 0, so their tags are too
 *  (Owners.phase in Python). */
void av_owner_phase(av_owners *o);

/** Records that a task on rank `rank` wrote rows [lo, hi) of memref `m`:
 *  valid there only. */
void av_owner_wrote(av_owners *o, int m, int rank, int64_t lo, int64_t hi);

/** 1 when rank `rank` holds every row of [lo, hi) of memref `m`, else 0. */
int av_owner_holds(const av_owners *o, int m, int rank, int64_t lo, int64_t hi);

/** Rank q's block when rows [lo, hi) are divided among `size` ranks into
 *  contiguous blocks in rank order, the first (hi - lo) % size blocks one
 *  row longer; an empty block (lo == hi) when q gets no rows (block in
 *  Python). */
av_rows av_block(int64_t lo, int64_t hi, int q, int size);

#ifdef __cplusplus
}
#endif

#endif /* AV_OWNERS_H */
