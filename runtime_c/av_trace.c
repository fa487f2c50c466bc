/*
 * av_trace.c — the clock (av_now), trace records (tasks, transfers, waits,
 * barriers, device copies) and, at the end, gathering every rank's records
 * on rank 0 and writing them as Chrome/Perfetto trace JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "av_internal.h"

/* ------------------------------------------------------------------------
 * Tracing
 * ---------------------------------------------------------------------- */

double av_now(const av_ctx *ctx) { return MPI_Wtime() - ctx->t_start; }

/* Copies `src` into `dst[cap]`, cutting at a UTF-8 character boundary. */
static void copy_text(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void av_trace_event(av_ctx *ctx, const char *name, const char *cat, double t0, double t1,
                    int64_t bytes, int peer, int tag) {
    if (ctx->args.trace_path == NULL) return;
    if (ctx->n_events == ctx->cap_events) {
        size_t cap = ctx->cap_events ? 2 * ctx->cap_events : 64;
        av_event *grown = realloc(ctx->events, cap * sizeof *grown);
        if (grown == NULL) av_fail(name, "trace recording", "out of memory");
        ctx->events = grown;
        ctx->cap_events = cap;
    }
    av_event *e = &ctx->events[ctx->n_events++];
    memset(e, 0, sizeof *e);
    copy_text(e->name, sizeof e->name, name);
    copy_text(e->cat, sizeof e->cat, cat);
    e->t0 = t0;
    e->t1 = t1;
    e->bytes = bytes;
    e->peer = peer;
    e->tag = tag;
}

void av_record(av_ctx *ctx, const char *name, const char *cat, double t0, int64_t bytes) {
    av_trace_event(ctx, name, cat, t0, av_now(ctx), bytes, -1, -1);
}

void av_task_done(av_ctx *ctx, const char *name, double t0) {
    av_trace_event(ctx, name, "task", t0, av_now(ctx), 0, -1, -1);
}

/* ------------------------------------------------------------------------
 * The trace file
 * ---------------------------------------------------------------------- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static void json_event(FILE *f, const av_event *e, int tid) {
    fprintf(f, ",\n{\"name\": ");
    json_string(f, e->name);
    fprintf(f, ", \"cat\": ");
    json_string(f, e->cat);
    fprintf(f, ", \"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"pid\": 0, \"tid\": %d",
            e->t0 * 1e6, (e->t1 - e->t0) * 1e6, tid);
    if (e->peer >= 0) {
        fprintf(f, ", \"args\": {\"peer\": %d, \"tag\": %d, \"bytes\": %" PRId64 "}", (int)e->peer,
                (int)e->tag, e->bytes);
    } else if (e->bytes > 0) {
        fprintf(f, ", \"args\": {\"bytes\": %" PRId64 "}", e->bytes);
    }
    fprintf(f, "}");
}

/* On rank 0: writes the gathered events (counts[r] from rank r); 0 or 2. */
static int write_trace(const char *path, const av_event *all, const int *counts, int size) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "error: --trace %s: cannot write: %s\n", path, strerror(errno));
        return 2;
    }
    fprintf(f, "{\"traceEvents\": [\n{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, "
               "\"args\": {\"name\": \"avial program\"}}");
    for (int r = 0; r < size; r++) {
        fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": %d, "
                   "\"args\": {\"name\": \"rank %d\"}}", r, r);
    }
    for (int r = 0, at = 0; r < size; at += counts[r], r++) {
        for (int j = 0; j < counts[r]; j++) json_event(f, &all[at + j], r);
    }
    fprintf(f, "\n]}\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "error: --trace %s: cannot write: %s\n", path, strerror(errno));
        return 2;
    }
    return 0;
}

/* Gathers every rank's events on rank 0 and writes them; 0 or 2. */
int av_trace_gather(av_ctx *ctx) {
    int n = (int)ctx->n_events, *counts = NULL, *bytes = NULL, *displs = NULL, total = 0;
    av_event *all = NULL;
    if (ctx->rank == 0) {
        counts = calloc((size_t)ctx->size, sizeof *counts);
        bytes = calloc((size_t)ctx->size, sizeof *bytes);
        displs = calloc((size_t)ctx->size, sizeof *displs);
        if (counts == NULL || bytes == NULL || displs == NULL) av_fail("trace", "gathering", "out of memory");
    }
    AV_MPI_CHECK(MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD), "trace");
    for (int r = 0; ctx->rank == 0 && r < ctx->size; r++) {
        bytes[r] = counts[r] * (int)sizeof(av_event);
        displs[r] = total * (int)sizeof(av_event);
        total += counts[r];
    }
    if (ctx->rank == 0) {
        all = malloc((size_t)(total > 0 ? total : 1) * sizeof *all);
        if (all == NULL) av_fail("trace", "gathering", "out of memory");
    }
    AV_MPI_CHECK(MPI_Gatherv(ctx->events, n * (int)sizeof(av_event), MPI_BYTE, all, bytes, displs,
                             MPI_BYTE, 0, MPI_COMM_WORLD), "trace");
    int status = ctx->rank == 0 ? write_trace(ctx->args.trace_path, all, counts, ctx->size) : 0;
    free(counts);
    free(bytes);
    free(displs);
    free(all);
    return status;
}
