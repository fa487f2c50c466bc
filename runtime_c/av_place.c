/*
 * av_place.c — the world size a placed program needs (av_place.h).
 */
#include "av_place.h"

#include <stdio.h>
#include <stdlib.h>

void av_require_size(av_ctx *ctx, int size, const char *why) {
    if (ctx->size == size) {
        return;
    }
    if (ctx->rank == 0) {
        fprintf(stderr,
                "error: this program runs on %d rank%s only (%s), not on %d; "
                "run it with -n %d, or translate it again for %d ranks\n",
                size, size == 1 ? "" : "s", why, ctx->size, size, ctx->size);
    }
    MPI_Finalize();
    exit(2);
}
