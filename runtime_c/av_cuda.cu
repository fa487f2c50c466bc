/*
 * av_cuda.cu — device copies in CUDA device memory (`--gpu cuda`); see
 * av_device.h.  Compiled by nvcc and linked only into programs built with
 * CUDA.  Every CUDA call is checked: a failure names the task or transfer
 * and aborts all ranks (av_fail).
 */
#include <stdio.h>

#include "av_device.h"
#include "avial_cuda.h"

/* Rank r of a node uses device r % count, so ranks spread over the GPUs. */
static void cuda_select(int local_rank, const char *what) {
    int count = 0;
    AV_CUDA_CHECK(cudaGetDeviceCount(&count), what);
    if (count <= 0) av_fail(what, "cudaGetDeviceCount", "no CUDA device");
    AV_CUDA_CHECK(cudaSetDevice(local_rank % count), what);
}

static void *cuda_alloc(size_t bytes, const char *what) {
    void *p = NULL;
    AV_CUDA_CHECK(cudaMalloc(&p, bytes > 0 ? bytes : 1), what);
    return p;
}

static void cuda_to_device(void *dev, const void *host, size_t bytes, const char *what) {
    AV_CUDA_CHECK(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice), what);
}

static void cuda_to_host(void *host, const void *dev, size_t bytes, const char *what) {
    AV_CUDA_CHECK(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost), what);
}

static void cuda_release(void *dev) {
    /* At the end of the run; a failure here cannot change any result. */
    (void)cudaFree(dev);
}

extern "C" const av_dev_ops av_cuda_ops = {
    "cuda", cuda_select, cuda_alloc, cuda_to_device, cuda_to_host, cuda_release,
};
