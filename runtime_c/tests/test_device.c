/*
 * Unit tests of the device-copy table (av_device.c) with emulated device
 * memory: which copies happen, in which direction, and that each one moves
 * the current contents.  Counting operations wrap av_emulated_ops.
 *
 * usage: mpirun -n 1 test_device     Exit status 0 when every check passes.
 */
#include "avial_rt.h"

#include <stdio.h>
#include <string.h>

static int checks, failures, to_device, to_host;

#define CHECK(cond)                                                               \
    do {                                                                          \
        checks++;                                                                 \
        if (!(cond)) {                                                            \
            failures++;                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                         \
    } while (0)

static void counting_to_device(void *dev, const void *host, size_t bytes, const char *what) {
    to_device++;
    av_emulated_ops.to_device(dev, host, bytes, what);
}

static void counting_to_host(void *host, const void *dev, size_t bytes, const char *what) {
    to_host++;
    av_emulated_ops.to_host(host, dev, bytes, what);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    av_dev_ops ops = av_emulated_ops;
    ops.to_device = counting_to_device;
    ops.to_host = counting_to_host;
    av_memref mem[2] = {{"a", AV_I32, 1, {4}, NULL, 0}, {"b", AV_I32, 1, {4}, NULL, 0}};
    av_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.mem = mem;
    ctx.n_mem = 2;
    ctx.size = 1;
    for (int k = 0; k < 2; k++) {
        av_memref_alloc(&mem[k]);
        av_memref_fill_default(&mem[k], k);
    }
    int32_t *a = mem[0].data;

    /* without av_dev_setup host code never copies */
    av_host_use(&ctx, 0, "no device");
    av_host_wrote(&ctx, 0);
    CHECK(to_device == 0 && to_host == 0);

    CHECK(ctx.host_use == NULL && ctx.dev_release == NULL);
    av_dev_setup(&ctx, &ops);
    /* av_finish reaches the device copies through these hooks only */
    CHECK(ctx.host_use == av_host_use && ctx.dev_release == av_dev_release);
    /* first use for reading copies the host contents */
    int32_t *da = av_dev_use(&ctx, 0, AV_DEV_READ, "t1");
    CHECK(to_device == 1 && da != a && memcmp(da, a, 16) == 0);
    /* a second use finds the device copy current */
    CHECK(av_dev_use(&ctx, 0, AV_DEV_READ, "t2") == da && to_device == 1);
    /* a kernel writes it: the host copy is stale until host code uses it */
    da[2] = 99;
    av_dev_wrote(&ctx, 0);
    CHECK(a[2] != 99);
    av_host_use(&ctx, 0, "cpu task");
    CHECK(to_host == 1 && a[2] == 99);
    av_host_use(&ctx, 0, "cpu task again");
    CHECK(to_host == 1);
    /* host code writes it: the next GPU read copies it again */
    a[0] = -5;
    av_host_wrote(&ctx, 0);
    CHECK(av_dev_use(&ctx, 0, AV_DEV_READ, "t3") == da && to_device == 2 && da[0] == -5);
    /* an overwriting GPU task never copies, even when the device copy is stale */
    a[1] = 7;
    av_host_wrote(&ctx, 0);
    av_dev_use(&ctx, 0, AV_DEV_OVERWRITE, "t4");
    CHECK(to_device == 2);
    da[1] = 8;
    av_dev_wrote(&ctx, 0);
    av_host_use(&ctx, 0, "outputs");
    CHECK(to_host == 2 && a[1] == 8);
    /* memref b never went to the device: host code finds its copy current */
    av_host_use(&ctx, 1, "cpu task");
    CHECK(to_host == 2);
    /* row by row (a task split by rows): rows [1, 3) of b go to the device */
    int32_t *b = mem[1].data;
    int32_t *db = av_dev_use_rows(&ctx, 1, AV_DEV_READ, "split", 1, 3);
    CHECK(to_device == 3 && db[1] == b[1] && db[2] == b[2] && db[0] != b[0]);
    /* rows are clipped to the memref; the two stale runs left are copied */
    av_dev_use_rows(&ctx, 1, AV_DEV_READ, "split", -1, 9);
    CHECK(to_device == 5 && db[0] == b[0] && db[3] == b[3]);
    /* the kernel writes row 2; a send of rows [0, 2) copies nothing back */
    db[2] = 42;
    av_dev_wrote_rows(&ctx, 1, 2, 3);
    av_host_use_rows(&ctx, 1, "send", 0, 2);
    CHECK(to_host == 2 && b[2] != 42);
    /* a receive of row 3: host code then copies row 2 back, and only it */
    b[3] = -1;
    av_host_wrote_rows(&ctx, 1, 3, 4);
    av_host_use(&ctx, 1, "cpu task");
    CHECK(to_host == 3 && b[2] == 42 && b[3] == -1);
    /* and a GPU task copies row 3 to the device, and only it */
    av_dev_use(&ctx, 1, AV_DEV_READ, "gpu task");
    CHECK(to_device == 6 && db[3] == -1 && db[2] == 42);
    av_dev_release(&ctx);
    CHECK(ctx.dev == NULL && ctx.host_use == NULL && ctx.dev_release == NULL);
    for (int k = 0; k < 2; k++) av_memref_free(&mem[k]);
    MPI_Finalize();
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
