/*
 * av_calibrate.h — what av_calibrate.c (MPI, C) asks of av_calibrate_gpu.cu
 * (CUDA), linked in only when `avial2c calibrate` finds nvcc and a device.
 */
#ifndef AV_CALIBRATE_H
#define AV_CALIBRATE_H

#ifdef __cplusplus
extern "C" {
#endif

/* One GPU's measurements; ok = 0 with `why` when there is none to measure. */
typedef struct {
    int ok;
    int device;        /* the device this rank uses: local rank % device count */
    int count;         /* devices visible to this rank */
    int major, minor;  /* compute capability: arch sm_<major><minor> */
    double h2d_gbs;    /* host -> device copies of pageable memory, GB/s */
    double d2h_gbs;    /* device -> host */
    double launch_us;  /* an empty kernel's launch until its end, microseconds */
    double rate;       /* operations per second of y[i] = x[i] * a + b (4 per element) */
    char name[128];    /* the device's name, blanks as '_' */
    char why[160];     /* when ok = 0: why no GPU was measured */
} av_cal_gpu;

/* Measures the GPU that LOCAL_RANK uses (as the runtime picks it: local
 * rank % count); short measurements when QUICK. */
void av_cal_measure_gpu(int local_rank, int quick, av_cal_gpu *out);

#ifdef __cplusplus
}
#endif

#endif
