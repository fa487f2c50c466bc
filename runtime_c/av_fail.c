/*
 * av_fail.c — failures: av_fail prints "error: WHAT: CALL failed: DETAIL"
 * and aborts every rank with status 3; av_mpi_fail does so for an MPI error
 * code.  Calls nothing else in the runtime, so every other file may call it.
 * Only for failures that some ranks may see and others not (a failed MPI or
 * CUDA call, memory exhausted): an error every rank agrees on, such as a
 * bad command line or --input file, leaves through MPI_Finalize instead
 * (av_ctx.c), without MPI_Abort's banner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avial_rt.h"

void av_fail(const char *what, const char *call_text, const char *detail) {
    size_t n = strcspn(call_text, "( \t\n");
    fprintf(stderr, "error: %s: %.*s failed: %s\n", what, (int)n, call_text, detail);
    fflush(stderr);
    int up = 0;
    MPI_Initialized(&up);
    if (up) MPI_Abort(MPI_COMM_WORLD, 3);
    exit(3);
}

void av_mpi_fail(int rc, const char *call_text, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", rc);
    av_fail(what, call_text, text);
}
