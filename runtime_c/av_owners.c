/* av_owners.c — owner tracking by row ranges at run time; see av_owners.h.
 * Mirrors avial2c/plan/owners.py line for line: each
 * function names its Python twin. */
#include "av_owners.h"

#include <stdlib.h>
#include <string.h>

static void out_of_memory(void) {
    av_fail("owner tracking", "malloc", "out of memory");
}

static void *checked_malloc(size_t n) {
    void *p = malloc(n > 0 ? n : 1);
    if (p == NULL) {
        out_of_memory();
    }
    return p;
}

/* Room for one more segment of memref m. */
static void grow_segments(av_segments *segs) {
    if (segs->n < segs->cap) {
        return;
    }
    int cap = segs->cap > 0 ? 2 * segs->cap : 4;
    av_segment *at = (av_segment *)realloc(segs->at, (size_t)cap * sizeof *at);
    if (at == NULL) {
        out_of_memory();
    }
    segs->at = at;
    segs->cap = cap;
}

/* Room for one more move in o->moves. */
static void grow_moves(av_moves *moves) {
    if (moves->n < moves->cap) {
        return;
    }
    int cap = moves->cap > 0 ? 2 * moves->cap : 4;
    av_move *at = (av_move *)realloc(moves->at, (size_t)cap * sizeof *at);
    if (at == NULL) {
        out_of_memory();
    }
    moves->at = at;
    moves->cap = cap;
}

/* Owners.__init__ */
void av_owners_init(av_owners *o, const av_ctx *ctx) {
    o->size = ctx->size;
    o->n_mem = ctx->n_mem;
    o->count = 0;
    o->moves.n = 0;
    o->moves.at = NULL;
    o->moves.cap = 0;
    o->segs = (av_segments *)checked_malloc((size_t)(ctx->n_mem > 0 ? ctx->n_mem : 0) * sizeof *o->segs);
    for (int m = 0; m < ctx->n_mem; m++) {
        av_segments *segs = &o->segs[m];
        segs->rows = ctx->mem[m].rank == 0 ? 1 : ctx->mem[m].shape[0];
        segs->n = 0;
        segs->at = NULL;
        segs->cap = 0;
        grow_segments(segs);
        av_segment *s = &segs->at[0];
        s->lo = 0;
        s->hi = segs->rows;
        s->writer = -1;
        s->ranks = (unsigned char *)checked_malloc((size_t)o->size);
        memset(s->ranks, 1, (size_t)o->size);
        segs->n = 1;
    }
}

void av_owners_free(av_owners *o) {
    for (int m = 0; m < o->n_mem; m++) {
        for (int k = 0; k < o->segs[m].n; k++) {
            free(o->segs[m].at[k].ranks);
        }
        free(o->segs[m].at);
    }
    free(o->segs);
    free(o->moves.at);
    o->segs = NULL;
    o->n_mem = 0;
    o->moves.at = NULL;
    o->moves.n = 0;
    o->moves.cap = 0;
}

/* Owners.split_at: make ROW the start of a segment of M (when it is inside one). */
static void split_at(av_owners *o, int m, int64_t row) {
    av_segments *segs = &o->segs[m];
    for (int k = 0; k < segs->n; k++) {
        if (segs->at[k].lo < row && row < segs->at[k].hi) {
            unsigned char *ranks = (unsigned char *)checked_malloc((size_t)o->size);
            memcpy(ranks, segs->at[k].ranks, (size_t)o->size);
            grow_segments(segs);  /* may move segs->at */
            av_segment *s = &segs->at[k];
            memmove(s + 2, s + 1, (size_t)(segs->n - k - 1) * sizeof *s);
            s[1].lo = row;
            s[1].hi = s->hi;
            s[1].writer = s->writer;
            s[1].ranks = ranks;
            segs->n++;
            s->hi = row;
            return;
        }
    }
}

/* Owners.merge: join neighbouring segments of M with the same ranks and writer. */
static void merge(av_owners *o, int m) {
    av_segments *segs = &o->segs[m];
    int k = 1;
    while (k < segs->n) {
        av_segment *a = &segs->at[k - 1], *b = &segs->at[k];
        if (memcmp(a->ranks, b->ranks, (size_t)o->size) == 0 && a->writer == b->writer) {
            a->hi = b->hi;
            free(b->ranks);
            memmove(b, b + 1, (size_t)(segs->n - k - 1) * sizeof *b);
            segs->n--;
        } else {
            k++;
        }
    }
}

/* min(s.ranks): the lowest rank holding segment s (it always has one). */
static int lowest_rank(const av_owners *o, const av_segment *s) {
    for (int r = 0; r < o->size; r++) {
        if (s->ranks[r]) {
            return r;
        }
    }
    return -1;
}

/* Owners.need */
const av_moves *av_owner_need(av_owners *o, int m, int dst, int64_t lo, int64_t hi) {
    av_moves *moves = &o->moves;
    moves->n = 0;
    if (lo >= hi) {
        return moves;
    }
    split_at(o, m, lo);
    split_at(o, m, hi);
    av_segments *segs = &o->segs[m];
    for (int k = 0; k < segs->n; k++) {
        av_segment *s = &segs->at[k];
        if (s->hi <= lo || s->lo >= hi || s->ranks[dst]) {
            continue;
        }
        int src = s->writer >= 0 && s->ranks[s->writer] ? s->writer : lowest_rank(o, s);
        av_move *last = moves->n > 0 ? &moves->at[moves->n - 1] : NULL;
        if (last != NULL && last->src == src && last->hi == s->lo) {
            last->hi = s->hi;
        } else {
            grow_moves(moves);
            av_move *move = &moves->at[moves->n++];
            move->m = m;
            move->src = src;
            move->dst = dst;
            move->lo = s->lo;
            move->hi = s->hi;
            move->tag = (int)(o->count % AV_TAG_LIMIT);
            o->count++;
        }
        s->ranks[dst] = 1;
    }
    merge(o, m);
    return moves;
}

/* Owners.phase */
void av_owner_phase(av_owners *o) {
    o->count = 0;
}

/* Owners.wrote */
void av_owner_wrote(av_owners *o, int m, int rank, int64_t lo, int64_t hi) {
    if (lo >= hi) {
        return;
    }
    split_at(o, m, lo);
    split_at(o, m, hi);
    av_segments *segs = &o->segs[m];
    for (int k = 0; k < segs->n; k++) {
        av_segment *s = &segs->at[k];
        if (lo <= s->lo && s->hi <= hi) {
            memset(s->ranks, 0, (size_t)o->size);
            s->ranks[rank] = 1;
            s->writer = rank;
        }
    }
    merge(o, m);
}

/* Owners.holds */
int av_owner_holds(const av_owners *o, int m, int rank, int64_t lo, int64_t hi) {
    const av_segments *segs = &o->segs[m];
    for (int k = 0; k < segs->n; k++) {
        const av_segment *s = &segs->at[k];
        if (s->lo < hi && s->hi > lo && !s->ranks[rank]) {
            return 0;
        }
    }
    return 1;
}

/* block */
av_rows av_block(int64_t lo, int64_t hi, int q, int size) {
    int64_t n = hi > lo ? hi - lo : 0;
    int64_t base = n / size, extra = n % size;
    int64_t start = lo + q * base + (q < extra ? q : extra);
    av_rows rows = {start, start + base + (q < extra ? 1 : 0)};
    return rows;
}
