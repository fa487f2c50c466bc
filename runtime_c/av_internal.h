/*
 * av_internal.h — helpers shared by the runtime's own .c files.
 *
 * Not part of the interface: generated programs include avial_rt.h (and
 * av_ops.h, av_owners.h), never this header.
 */
#ifndef AV_INTERNAL_H
#define AV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "avial_rt.h"

#if defined(__GNUC__) || defined(__clang__)
#define AV_PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define AV_PRINTF_LIKE(fmt, args)
#endif

/* ------------------------------------------------------------------------
 * snprintf-style text building (av_memref.c)
 * ---------------------------------------------------------------------- */

/** Text written into `buf[cap]`, cut at `cap`; `len` counts the full text. */
typedef struct av_sbuf {
    char *buf;
    size_t cap;
    size_t len; /* length of the full text, even past cap */
} av_sbuf;

/** An empty text in `buf[cap]` (buf may be NULL when cap is 0). */
av_sbuf av_sb_make(char *buf, size_t cap);

/** Appends printf-style text. */
void av_sb_printf(av_sbuf *sb, const char *fmt, ...) AV_PRINTF_LIKE(2, 3);

/** Appends a shape as a Python tuple: "()", "(20,)", "(4, 5)". */
void av_sb_shape(av_sbuf *sb, int rank, const int64_t *shape);

/* ------------------------------------------------------------------------
 * Trace records (av_trace.c)
 * ---------------------------------------------------------------------- */

/** Records an event from `t0` to `t1` when tracing (`--trace`); `peer` and
 *  `tag` are -1 except for transfers.  A no-op otherwise. */
void av_trace_event(av_ctx *ctx, const char *name, const char *cat, double t0, double t1,
                    int64_t bytes, int peer, int tag);

/** Gathers every rank's events on rank 0, which writes the trace file
 *  (`--trace`).  Collective.  Returns 0, or 2 on rank 0 when the file could
 *  not be written (after printing why). */
int av_trace_gather(av_ctx *ctx);

#endif /* AV_INTERNAL_H */
