/*
 * av_calibrate_gpu.cu — the GPU measurements of `avial2c calibrate`
 * (av_calibrate.h), linked into av_calibrate when nvcc and a device are
 * found.  A CUDA call that fails does not abort: the rank reports no GPU
 * and why (ok = 0).
 *
 * Measured on the device this rank's programs use (local rank % count), as
 * the runtime's copies and launches do (runtime_c/av_cuda.cu):
 *   - copies of pageable host memory (malloc) to and from the device, GB/s;
 *   - an empty kernel's launch until cudaDeviceSynchronize returns;
 *   - the rate of y[i] = x[i] * a + b over a large array, counting 4
 *     operations per element as avial2c/plan/cost.py does.
 * Each figure is the median of several repetitions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <chrono>

#include <cuda_runtime.h>

#include "av_calibrate.h"

#define CAL_REPS 15

__global__ void cal_empty(void) {}

__global__ void cal_axpb(int64_t n, float *__restrict__ y, const float *__restrict__ x, float a,
                         float b) {
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        const float v = x[i];
        const float w = v * a;
        const float z = w + b;
        y[i] = z;
    }
}

static double now(void) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

static double median(double *v, int n) {
    std::sort(v, v + n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* False, with OUT->why, when RC is an error. */
static bool ok(cudaError_t rc, const char *call, av_cal_gpu *out) {
    if (rc == cudaSuccess) return true;
    snprintf(out->why, sizeof out->why, "%s failed: %s", call, cudaGetErrorString(rc));
    out->ok = 0;
    return false;
}

/* Seconds per copy of BYTES, the median of REPS (after one to warm up). */
static double copy_time(void *dst, const void *src, size_t bytes, cudaMemcpyKind dir, int reps,
                        av_cal_gpu *out) {
    double t[CAL_REPS];
    if (!ok(cudaMemcpy(dst, src, bytes, dir), "cudaMemcpy", out)) return 0;
    for (int r = 0; r < reps; ++r) {
        double t0 = now();
        if (!ok(cudaMemcpy(dst, src, bytes, dir), "cudaMemcpy", out)) return 0;
        t[r] = now() - t0;
    }
    return median(t, reps);
}

extern "C" void av_cal_measure_gpu(int local_rank, int quick, av_cal_gpu *out) {
    memset(out, 0, sizeof *out);
    int count = 0;
    cudaError_t rc = cudaGetDeviceCount(&count);
    if (rc != cudaSuccess || count <= 0) {
        snprintf(out->why, sizeof out->why, "no CUDA device (cudaGetDeviceCount: %s)",
                 rc != cudaSuccess ? cudaGetErrorString(rc) : "0 devices");
        return;
    }
    out->count = count;
    out->device = local_rank % count;
    cudaDeviceProp prop;
    if (!ok(cudaSetDevice(out->device), "cudaSetDevice", out)) return;
    if (!ok(cudaGetDeviceProperties(&prop, out->device), "cudaGetDeviceProperties", out)) return;
    out->major = prop.major;
    out->minor = prop.minor;
    snprintf(out->name, sizeof out->name, "%.*s", (int)sizeof out->name - 1, prop.name);

    const int reps = quick ? 5 : CAL_REPS;
    const size_t bytes = (size_t)(quick ? 16 : 64) << 20;
    const int64_t n = (int64_t)(bytes / sizeof(float));
    char *host = (char *)malloc(bytes);
    void *dx = NULL, *dy = NULL;
    if (host == NULL) {
        snprintf(out->why, sizeof out->why, "out of host memory");
        return;
    }
    memset(host, 1, bytes);
    if (ok(cudaMalloc(&dx, bytes), "cudaMalloc", out) && ok(cudaMalloc(&dy, bytes), "cudaMalloc", out)) {
        double h2d = copy_time(dx, host, bytes, cudaMemcpyHostToDevice, reps, out);
        double d2h = out->why[0] ? 0 : copy_time(host, dx, bytes, cudaMemcpyDeviceToHost, reps, out);
        double t[CAL_REPS];
        /* Launches: LAUNCHES empty kernels, each waited for. */
        const int launches = quick ? 20 : 100;
        cal_empty<<<1, 1>>>();
        if (!out->why[0] && ok(cudaDeviceSynchronize(), "cal_empty", out)) {
            for (int r = 0; r < reps && !out->why[0]; ++r) {
                double t0 = now();
                for (int k = 0; k < launches; ++k) {
                    cal_empty<<<1, 1>>>();
                    if (!ok(cudaDeviceSynchronize(), "cal_empty", out)) break;
                }
                t[r] = (now() - t0) / launches;
            }
        }
        double launch = out->why[0] ? 0 : median(t, reps);
        /* The rate: one launch over N elements, timed with events. */
        const int block = 256;
        const unsigned grid = (unsigned)((n + block - 1) / block);
        cudaEvent_t e0, e1;
        if (!out->why[0] && ok(cudaEventCreate(&e0), "cudaEventCreate", out) &&
            ok(cudaEventCreate(&e1), "cudaEventCreate", out)) {
            cal_axpb<<<grid, block>>>(n, (float *)dy, (const float *)dx, 0.5f, 1.0f);
            for (int r = 0; r < reps && ok(cudaDeviceSynchronize(), "cal_axpb", out); ++r) {
                float ms = 0;
                cudaEventRecord(e0);
                cal_axpb<<<grid, block>>>(n, (float *)dy, (const float *)dx, 0.5f, 1.0f);
                cudaEventRecord(e1);
                if (!ok(cudaEventSynchronize(e1), "cal_axpb", out)) break;
                cudaEventElapsedTime(&ms, e0, e1);
                t[r] = ms > 0 ? 4.0 * (double)n / (ms * 1e-3) : 0;
            }
            cudaEventDestroy(e0);
            cudaEventDestroy(e1);
        }
        if (!out->why[0]) {
            out->h2d_gbs = h2d > 0 ? (double)bytes / h2d / 1e9 : 0;
            out->d2h_gbs = d2h > 0 ? (double)bytes / d2h / 1e9 : 0;
            out->launch_us = launch * 1e6;
            out->rate = median(t, reps);
            out->ok = out->h2d_gbs > 0 && out->d2h_gbs > 0 && out->launch_us > 0 && out->rate > 0;
            if (!out->ok) snprintf(out->why, sizeof out->why, "a GPU measurement came out as zero");
        }
    }
    if (dx != NULL) cudaFree(dx);
    if (dy != NULL) cudaFree(dy);
    free(host);
}
