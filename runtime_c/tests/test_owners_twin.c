/*
 * The owner table (av_owners.c) driven by a script, so that
 * tests/runtime/test_owners_twin.py can compare what it decides with its
 * Python twin, avial2c/plan/owners.py.  No MPI: the table
 * only reads the rank count and the memrefs' shapes from the av_ctx, which
 * is filled here by hand.
 *
 * usage: test_owners_twin < SCRIPT
 *
 * SCRIPT, one item a line:
 *     size S                 the number of ranks (first line)
 *     memref N | memref 0d   one line per memref, in order: N rows, or a
 *                            0-d memref (one row)
 *     need M DST LO HI       prints "need M DST LO HI: K", then the K
 *                            moves as "move M SRC DST LO HI TAG"
 *     wrote M RANK LO HI     prints "wrote M RANK LO HI"
 *     holds M RANK LO HI     prints "holds M RANK LO HI: 0|1"
 *     block LO HI Q SIZE     prints "block LO HI Q SIZE: LO' HI'"
 * and at the end the segments of every memref, one a line:
 *     "segment M LO HI WRITER: R0 R1 ..." (the ranks holding them).
 * Exit status 0, or 2 for a malformed script.
 */
#include "av_owners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEM 64

static int bad(const char *what) {
    fprintf(stderr, "test_owners_twin: bad script: %s\n", what);
    return 2;
}

static void print_move(const av_move *mv) {
    printf("move %d %d %d %lld %lld %d\n", mv->m, mv->src, mv->dst, (long long)mv->lo,
           (long long)mv->hi, mv->tag);
}

int main(void) {
    static av_memref mem[MAX_MEM];
    char word[32], arg[32];
    int size = 0, n_mem = 0;
    if (scanf("%31s %d", word, &size) != 2 || strcmp(word, "size") != 0 || size < 1) {
        return bad("expected 'size S' first");
    }
    /* The memref lines, then the first operation's word. */
    int have_word = 0;
    while (scanf("%31s", word) == 1) {
        if (strcmp(word, "memref") != 0) {
            have_word = 1;
            break;
        }
        if (n_mem == MAX_MEM || scanf("%31s", arg) != 1) {
            return bad("memref");
        }
        av_memref m = {"m", AV_I8, 1, {0}, NULL, 0};
        if (strcmp(arg, "0d") == 0) {
            m.rank = 0;
        } else {
            m.shape[0] = strtoll(arg, NULL, 10);
        }
        mem[n_mem++] = m;
    }
    av_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.size = size;
    ctx.mem = mem;
    ctx.n_mem = n_mem;
    av_owners own;
    av_owners_init(&own, &ctx);

    while (have_word) {
        int m, r, q, s;
        long long lo, hi;
        if (strcmp(word, "need") == 0) {
            if (scanf("%d %d %lld %lld", &m, &r, &lo, &hi) != 4 || m < 0 || m >= n_mem || r < 0 || r >= size) {
                return bad("need");
            }
            const av_moves *moves = av_owner_need(&own, m, r, lo, hi);
            printf("need %d %d %lld %lld: %d\n", m, r, lo, hi, moves->n);
            for (int k = 0; k < moves->n; k++) {
                print_move(&moves->at[k]);
            }
        } else if (strcmp(word, "wrote") == 0) {
            if (scanf("%d %d %lld %lld", &m, &r, &lo, &hi) != 4 || m < 0 || m >= n_mem || r < 0 || r >= size) {
                return bad("wrote");
            }
            av_owner_wrote(&own, m, r, lo, hi);
            printf("wrote %d %d %lld %lld\n", m, r, lo, hi);
        } else if (strcmp(word, "holds") == 0) {
            if (scanf("%d %d %lld %lld", &m, &r, &lo, &hi) != 4 || m < 0 || m >= n_mem || r < 0 || r >= size) {
                return bad("holds");
            }
            printf("holds %d %d %lld %lld: %d\n", m, r, lo, hi, av_owner_holds(&own, m, r, lo, hi));
        } else if (strcmp(word, "block") == 0) {
            if (scanf("%lld %lld %d %d", &lo, &hi, &q, &s) != 4 || s < 1) {
                return bad("block");
            }
            av_rows b = av_block(lo, hi, q, s);
            printf("block %lld %lld %d %d: %lld %lld\n", lo, hi, q, s, (long long)b.lo, (long long)b.hi);
        } else {
            return bad(word);
        }
        have_word = scanf("%31s", word) == 1;
    }

    for (int m = 0; m < own.n_mem; m++) {
        for (int k = 0; k < own.segs[m].n; k++) {
            const av_segment *seg = &own.segs[m].at[k];
            printf("segment %d %lld %lld %d:", m, (long long)seg->lo, (long long)seg->hi, seg->writer);
            for (int r = 0; r < size; r++) {
                if (seg->ranks[r]) {
                    printf(" %d", r);
                }
            }
            printf("\n");
        }
    }
    av_owners_free(&own);
    return 0;
}
