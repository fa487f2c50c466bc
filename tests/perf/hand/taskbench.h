/*
 * taskbench.h — Task Bench's dependence patterns (Slaughter et al., SC'20)
 * as bench_peers.py's taskbench() writes them in avial: what the
 * hand-written MPI version (taskbench.c here) and the StarPU-MPI version
 * (../starpu/taskbench.c) share, so that the three compute the same bits.
 *
 * A grid of STEPS x WIDTH tasks; task (t, x) computes point x of step t from
 * the points of step t - 1 it depends on:
 *
 *   trivial  none;
 *   stencil  x - 1, x, x + 1 (those in [0, WIDTH));
 *   nearest  x - 2 .. x + 2 (those in [0, WIDTH): Task Bench's nearest, radix 5);
 *   fft      x and x XOR 2^((t - 1) mod L), L = min(2, log2 WIDTH): the
 *            butterflies of a radix-2 FFT, two stages repeated (WIDTH a
 *            multiple of 4, or 2);
 *   random   x and each y != x with (7x + 13y + 5(t mod 2) + 3) mod 3 == 0
 *            (at most MAX_DEPS in all): a fixed pseudo-random DAG, the same
 *            every second step;
 *   tree     x / 2, step t holding min(WIDTH, 2^t) points (a fan-out tree).
 *
 * Each point has two buffers of K f64, for even and odd steps (in schedule
 * order b0_0 .. b0_{WIDTH-1}, b1_0 .. b1_{WIDTH-1}); task (t, x) reads the
 * buffers t - 1 mod 2 of its dependencies and writes buffer t mod 2 of
 * point x.  The kernel: for each of the K elements, s = the sum of the
 * dependencies' values, left to right (1.0 without dependencies), then
 * GRAIN steps of acc = acc * 0.5 + s from acc = s (the avial task's
 * arithmetic, in its order; compiled with -ffp-contract=off, as the
 * generated C is, so that no multiply-add is fused).
 */
#ifndef HAND_TASKBENCH_H
#define HAND_TASKBENCH_H

#include <stdint.h>
#include <string.h>

enum { TRIVIAL, STENCIL, TREE, NEAREST, FFT, RANDOM };
enum { MAX_DEPS = 8 };

/* The pattern called NAME, or -1. */
static int pattern_of(const char *name) {
    static const char *const names[] = {"trivial", "stencil", "tree", "nearest", "fft", "random"};
    for (int p = 0; p < (int)(sizeof names / sizeof names[0]); p++)
        if (!strcmp(name, names[p])) return p;
    return -1;
}

/* One task's work: out = f(in[0..ndeps)), element by element. */
static void kernel(const double *const *in, int ndeps, double *out, int64_t k, int64_t grain) {
    for (int64_t i = 0; i < k; ++i) {
        double s = 1.0;
        if (ndeps > 0) {
            s = in[0][i];
            for (int d = 1; d < ndeps; d++) s = s + in[d][i];
        }
        double acc = s;
        for (int64_t q = 0; q < grain; ++q) {
            const double y = acc * 0.5;
            acc = y + s;
        }
        out[i] = acc;
    }
}

/* The points of step t: [0, width_at(...)). */
static int64_t width_at(int pattern, int64_t width, int64_t t) {
    if (pattern != TREE || t >= 62) return width;
    return (int64_t)1 << t < width ? (int64_t)1 << t : width;
}

/* The points of step t - 1 that point x of step t depends on; returns how many. */
static int deps_of(int pattern, int64_t width, int64_t t, int64_t x, int64_t dep[MAX_DEPS]) {
    int n = 0;
    if (t > 0 && (pattern == STENCIL || pattern == NEAREST)) {
        const int64_t r = pattern == STENCIL ? 1 : 2;
        for (int64_t y = x - r; y <= x + r; y++)
            if (y >= 0 && y < width) dep[n++] = y;
    } else if (t > 0 && pattern == TREE) {
        dep[n++] = x / 2;
    } else if (t > 0 && pattern == FFT) {
        const int64_t stages = width >= 4 ? 2 : 1;
        const int64_t partner = x ^ ((int64_t)1 << ((t - 1) % stages));
        dep[n++] = x < partner ? x : partner;
        dep[n++] = x < partner ? partner : x;
    } else if (t > 0 && pattern == RANDOM) {
        for (int64_t y = 0; y < width && n < MAX_DEPS; y++)
            if (y == x || (7 * x + 13 * y + 5 * (t % 2) + 3) % 3 == 0) dep[n++] = y;
    }
    return n;
}

#endif
