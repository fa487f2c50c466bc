/*
 * av_trace.c — the clock (av_now), trace records (tasks, transfers, waits,
 * barriers, device copies) and, at the end, gathering every rank's records
 * on rank 0 and writing them as Chrome/Perfetto trace JSON, with a flow
 * arrow from each send to the receive that matches it.
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

double av_task_clock(const av_ctx *ctx) {
    return ctx->args.trace_path != NULL ? av_now(ctx) : 0.0;
}

void av_task_done(av_ctx *ctx, const char *name, double t0) {
    if (ctx->args.trace_path == NULL) return;  /* no clock read when not tracing */
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

/* Writes one record as a complete ("X") slice and, for a message with a
 * flow id, the flow event that binds to it: "s" (start) on a send, "f"
 * (end, bound to the enclosing slice) on a receive, in the middle of the
 * slice so that viewers bind it to this slice and no other. */
static void json_event(FILE *f, const av_event *e, int tid, int64_t flow) {
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
    if (flow <= 0) return;
    int send = strcmp(e->cat, "send") == 0;
    fprintf(f, ",\n{\"name\": \"message\", \"cat\": \"message\", \"ph\": \"%s\", \"id\": %" PRId64
               ", \"ts\": %.3f, \"pid\": 0, \"tid\": %d%s}",
            send ? "s" : "f", flow, (e->t0 + e->t1) / 2 * 1e6, tid, send ? "" : ", \"bp\": \"e\"");
}

/* ------------------------------------------------------------------------
 * Flow arrows: which receive matches which send
 * ---------------------------------------------------------------------- */

/* A message end: a send from `src` or a receive on `dst`, and its record. */
typedef struct msg_end {
    int src, dst, tag;
    int at; /* index of the record among all ranks' records */
} msg_end;

static int cmp_msg_end(const void *pa, const void *pb) {
    const msg_end *a = pa, *b = pb;
    if (a->src != b->src) return a->src < b->src ? -1 : 1;
    if (a->dst != b->dst) return a->dst < b->dst ? -1 : 1;
    if (a->tag != b->tag) return a->tag < b->tag ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at);
}

/* Sets flow[i] to the same id (from 1) for a send and the receive that
 * matches it, 0 for every other record.  MPI does not let messages between
 * two ranks with one tag overtake each other, so the k-th send from s to d
 * with tag t is received by the k-th receive on d from s with tag t; each
 * rank records its messages in the order it posted them. */
static void match_messages(const av_event *all, const int *counts, int size, int64_t *flow) {
    int total = 0;
    for (int r = 0; r < size; r++) total += counts[r];
    msg_end *sends = malloc((size_t)(total > 0 ? total : 1) * sizeof *sends);
    msg_end *recvs = malloc((size_t)(total > 0 ? total : 1) * sizeof *recvs);
    if (sends == NULL || recvs == NULL) av_fail("trace", "matching messages", "out of memory");
    int ns = 0, nr = 0;
    for (int r = 0, at = 0; r < size; at += counts[r], r++) {
        for (int j = 0; j < counts[r]; j++) {
            const av_event *e = &all[at + j];
            flow[at + j] = 0;
            if (e->peer < 0) continue;
            if (strcmp(e->cat, "send") == 0) sends[ns++] = (msg_end){r, e->peer, e->tag, at + j};
            else if (strcmp(e->cat, "recv") == 0) recvs[nr++] = (msg_end){e->peer, r, e->tag, at + j};
        }
    }
    qsort(sends, (size_t)ns, sizeof *sends, cmp_msg_end);
    qsort(recvs, (size_t)nr, sizeof *recvs, cmp_msg_end);
    int64_t id = 0;
    for (int i = 0, k = 0; i < ns && k < nr;) {
        msg_end a = sends[i], b = recvs[k];
        a.at = b.at = 0;
        int c = cmp_msg_end(&a, &b);
        if (c < 0) { i++; continue; }
        if (c > 0) { k++; continue; }
        flow[sends[i++].at] = flow[recvs[k++].at] = ++id;
    }
    free(sends);
    free(recvs);
}

/* On rank 0: writes the gathered events (counts[r] from rank r); 0 or 2. */
static int write_trace(const char *path, const av_event *all, const int *counts, int size) {
    int total = 0;
    for (int r = 0; r < size; r++) total += counts[r];
    int64_t *flow = malloc((size_t)(total > 0 ? total : 1) * sizeof *flow);
    if (flow == NULL) av_fail("trace", "matching messages", "out of memory");
    match_messages(all, counts, size, flow);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "error: --trace %s: cannot write: %s\n", path, strerror(errno));
        free(flow);
        return 2;
    }
    fprintf(f, "{\"traceEvents\": [\n{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 0, "
               "\"args\": {\"name\": \"avial program\"}}");
    for (int r = 0; r < size; r++) {
        fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 0, \"tid\": %d, "
                   "\"args\": {\"name\": \"rank %d\"}}", r, r);
    }
    for (int r = 0, at = 0; r < size; at += counts[r], r++) {
        for (int j = 0; j < counts[r]; j++) json_event(f, &all[at + j], r, flow[at + j]);
    }
    free(flow);
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
