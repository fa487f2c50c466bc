/*
 * avial_cuda.h — checked CUDA calls for the .cu files that avial2c generates.
 *
 * Self-contained (it does not need mpi.h): failures go through `av_fail`,
 * defined in av_ctx.c, which prints the message and aborts every rank with
 * MPI_Abort(MPI_COMM_WORLD, 3).
 *
 *     AV_CUDA_CHECK(cudaMalloc(&d_a, bytes), "task3");
 *     task3_kernel<<<grid, block>>>(d_a, d_b);
 *     AV_CUDA_LAUNCH_CHECK("task3");
 */
#ifndef AVIAL_CUDA_H
#define AVIAL_CUDA_H

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Prints "error: WHAT: CALL failed: DETAIL" on stderr, where CALL is the
 *  function name at the start of `call_text`, and aborts all ranks with
 *  status 3.  (Also declared in avial_rt.h.) */
void av_fail(const char *what, const char *call_text, const char *detail);

#ifdef __cplusplus
}
#endif

/** Checks a CUDA runtime call: on failure prints
 *  "error: WHAT: cudaMemcpy failed: <cudaGetErrorString>" and aborts. */
#define AV_CUDA_CHECK(call, what)                                   \
    do {                                                            \
        cudaError_t av_cuda_rc_ = (call);                           \
        if (av_cuda_rc_ != cudaSuccess) {                           \
            av_fail((what), #call, cudaGetErrorString(av_cuda_rc_)); \
        }                                                           \
    } while (0)

/** Checks the kernel launch just made: cudaGetLastError ("error: WHAT:
 *  kernel launch failed: ..."), then cudaDeviceSynchronize ("error: WHAT:
 *  kernel execution failed: ..."). */
#define AV_CUDA_LAUNCH_CHECK(what)                                          \
    do {                                                                    \
        cudaError_t av_cuda_rc_ = cudaGetLastError();                       \
        if (av_cuda_rc_ != cudaSuccess) {                                   \
            av_fail((what), "kernel launch", cudaGetErrorString(av_cuda_rc_)); \
        }                                                                   \
        av_cuda_rc_ = cudaDeviceSynchronize();                              \
        if (av_cuda_rc_ != cudaSuccess) {                                   \
            av_fail((what), "kernel execution", cudaGetErrorString(av_cuda_rc_)); \
        }                                                                   \
    } while (0)

#endif /* AVIAL_CUDA_H */
