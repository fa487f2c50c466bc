/*
 * av_place.h — what a program placed for one number of ranks checks.
 *
 * With --placement heft the translator places every task on a rank of a
 * machine of N ranks, so the program is right only on N ranks: main() calls
 * av_require_size right after av_init.
 */
#ifndef AV_PLACE_H
#define AV_PLACE_H

#include "avial_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Unless the world has exactly `size` ranks: rank 0 says so on stderr
 *  (`why` names the placement), and every rank finalizes MPI and exits with
 *  status 2.  Every rank sees the same world size, so all stop together. */
void av_require_size(av_ctx *ctx, int size, const char *why);

#ifdef __cplusplus
}
#endif

#endif /* AV_PLACE_H */
