/*
 * av_args.c — the command line every generated program accepts: --input,
 * --output-dir, --trace, --help (no MPI; av_init uses it).
 */
#include "avial_rt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Command line
 * ---------------------------------------------------------------------- */

/* If argv[*i] is option `opt` ("--opt VALUE" or "--opt=VALUE"), stores the
 * value in *value and returns 1 (or 2 when the value is missing). */
static int match_option(int argc, char **argv, int *i, const char *opt, const char **value) {
    size_t n = strlen(opt);
    const char *arg = argv[*i];
    if (strncmp(arg, opt, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (*i + 1 >= argc) return 2;
    *value = argv[++*i];
    return 1;
}

static int add_input(av_args *a, const char *spec, char *err, size_t cap) {
    const char *eq = strchr(spec, '=');
    const char *name = spec[0] == '%' ? spec + 1 : spec;
    if (eq == NULL || eq <= name || eq[1] == '\0') {
        snprintf(err, cap, "--input '%s': expected NAME=FILE.npy", spec);
        return 2;
    }
    size_t len = (size_t)(eq - name);
    for (int j = 0; j < a->n_inputs; j++) {
        if (strlen(a->inputs[j].name) == len && strncmp(a->inputs[j].name, name, len) == 0) {
            snprintf(err, cap, "--input %.*s given more than once", (int)len, name);
            return 2;
        }
    }
    av_input *in = &a->inputs[a->n_inputs++];
    in->spec = spec;
    in->path = eq + 1;
    in->name = malloc(len + 1);
    if (in->name == NULL) abort();
    memcpy(in->name, name, len);
    in->name[len] = '\0';
    return 0;
}

static int set_once(const char **slot, const char *opt, const char *value, char *err, size_t cap) {
    if (*slot != NULL) {
        snprintf(err, cap, "%s given more than once", opt);
        return 2;
    }
    if (value[0] == '\0') {
        snprintf(err, cap, "%s needs a non-empty value", opt);
        return 2;
    }
    *slot = value;
    return 0;
}

/* Handles argv[*i]; 0 or 2 with a message. */
static int parse_one(av_args *a, int argc, char **argv, int *i, char *err, size_t cap) {
    static const char *const opts[] = {"--input", "--output-dir", "--trace"};
    const char *arg = argv[*i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        a->help = 1;
        return 0;
    }
    for (int k = 0; k < 3; k++) {
        const char *value = NULL;
        int m = match_option(argc, argv, i, opts[k], &value);
        if (m == 0) continue;
        if (m == 2) {
            snprintf(err, cap, "%s needs a value", opts[k]);
            return 2;
        }
        if (k == 0) return add_input(a, value, err, cap);
        return set_once(k == 1 ? &a->output_dir : &a->trace_path, opts[k], value, err, cap);
    }
    if (arg[0] == '-') snprintf(err, cap, "unknown option '%s' (try --help)", arg);
    else snprintf(err, cap, "unexpected argument '%s' (try --help)", arg);
    return 2;
}

int av_parse_args(av_args *out, int argc, char **argv, char *err, size_t cap) {
    memset(out, 0, sizeof *out);
    if (err != NULL && cap > 0) err[0] = '\0';
    out->inputs = calloc((size_t)(argc > 0 ? argc : 1), sizeof(av_input));
    if (out->inputs == NULL) abort();
    for (int i = 1; i < argc; i++) {
        int rc = parse_one(out, argc, argv, &i, err, cap);
        if (rc != 0) return rc;
    }
    return 0;
}

void av_args_free(av_args *a) {
    for (int j = 0; j < a->n_inputs; j++) free(a->inputs[j].name);
    free(a->inputs);
    memset(a, 0, sizeof *a);
}
