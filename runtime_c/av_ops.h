/*
 * av_ops.h — the scalar operations of generated task bodies, with exactly the
 * semantics of MLIR's arith and math dialects and of the reference
 * interpreter (avial2c/interp_ops.py, interp_cast.py, interp_math.py).
 *
 * Plain C operators are used in generated code wherever they already mean
 * the same thing (float + - * /, bitwise and/or/xor, comparisons, select).
 * Everything else goes through one of the inline (AV_FN) functions below,
 * named after the MLIR op and the operand type: `av_addi_i32(a, b)`,
 * `av_divsi_i64(a, b)`, `av_fptosi_i8(x)`.
 *
 * Integers (iN stored as intN_t, index as int64_t, i1 as bool):
 *   - addi subi muli shli wrap around modulo 2^N: they are computed in an
 *     unsigned type (at least 32 bits wide, so that no operand is promoted to
 *     a signed int) and converted back, so signed overflow never happens;
 *     the conversion back is modulo 2^N in GCC, Clang and NVCC;
 *   - divsi remsi floordivsi ceildivsi divui remui by zero give 0;
 *     divsi, floordivsi and ceildivsi of INT_MIN by -1 give INT_MIN, remsi 0;
 *   - the shift amount is read as unsigned: shli and shrui by at least N give
 *     0, shrsi gives the sign fill (0 or -1);
 *   - i1 is 0 or 1, and its signed reading is 0 or -1 (so 1 is the smaller
 *     value in signed comparisons, and divsi/remsi follow from that).
 * Floats:
 *   - fptosi and fptoui truncate toward zero and saturate at the bounds of
 *     the target type; NaN gives 0;
 *   - minimumf/maximumf propagate NaN, minnumf/maxnumf return the other
 *     operand of a NaN; all four order -0.0 below +0.0.
 *
 * Built with -ffp-contract=off (and never -ffast-math), float expressions are
 * evaluated exactly as written, one IEEE rounding per operation.
 *
 * With OpenMP, the reductions the code generator uses beyond the built-in
 * ones (`+` on integers would risk signed overflow) are declared here:
 * `av_red_addi_i32` etc.
 */
#ifndef AV_OPS_H
#define AV_OPS_H

/* Host functions in C; host and device functions in CUDA sources (nvcc). */
#ifdef __CUDACC__
#define AV_FN static inline __host__ __device__
#else
#define AV_FN static inline
#endif

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Integers of 8, 16, 32 and 64 bits.  AV_INT_OPS(N, S, U, W, MIN) defines
 * the ops on N-bit integers: S the signed type, U the unsigned one, W the
 * unsigned type the wrap-around arithmetic is done in, MIN the smallest S.
 * ---------------------------------------------------------------------- */

#define AV_INT_OPS(N, S, U, W, MIN)                                               \
    AV_FN S av_addi_i##N(S a, S b) { return (S)(U)((W)(U)a + (W)(U)b); }  \
    AV_FN S av_subi_i##N(S a, S b) { return (S)(U)((W)(U)a - (W)(U)b); }  \
    AV_FN S av_muli_i##N(S a, S b) { return (S)(U)((W)(U)a * (W)(U)b); }  \
    AV_FN S av_divsi_i##N(S a, S b) {                                     \
        if (b == 0) return 0;                                                     \
        if (a == MIN && b == -1) return a;                                        \
        return (S)(a / b);                                                        \
    }                                                                             \
    AV_FN S av_remsi_i##N(S a, S b) {                                     \
        if (b == 0 || b == -1) return 0;                                          \
        return (S)(a % b);                                                        \
    }                                                                             \
    AV_FN S av_floordivsi_i##N(S a, S b) {                                \
        if (b == 0) return 0;                                                     \
        if (a == MIN && b == -1) return a;                                        \
        S q = (S)(a / b);                                                         \
        return (a % b != 0 && (a < 0) != (b < 0)) ? (S)(q - 1) : q;               \
    }                                                                             \
    AV_FN S av_ceildivsi_i##N(S a, S b) {                                 \
        if (b == 0) return 0;                                                     \
        if (a == MIN && b == -1) return a;                                        \
        S q = (S)(a / b);                                                         \
        return (a % b != 0 && (a < 0) == (b < 0)) ? (S)(q + 1) : q;               \
    }                                                                             \
    AV_FN S av_divui_i##N(S a, S b) {                                     \
        return b == 0 ? (S)0 : (S)(U)((W)(U)a / (W)(U)b);                         \
    }                                                                             \
    AV_FN S av_remui_i##N(S a, S b) {                                     \
        return b == 0 ? (S)0 : (S)(U)((W)(U)a % (W)(U)b);                         \
    }                                                                             \
    AV_FN S av_shli_i##N(S a, S b) {                                      \
        return (U)b >= N ? (S)0 : (S)(U)((W)(U)a << (U)b);                        \
    }                                                                             \
    AV_FN S av_shrui_i##N(S a, S b) {                                     \
        return (U)b >= N ? (S)0 : (S)(U)((W)(U)a >> (U)b);                        \
    }                                                                             \
    AV_FN S av_shrsi_i##N(S a, S b) {                                     \
        if ((U)b >= N) return a < 0 ? (S)-1 : (S)0;                               \
        return (S)(a >> (U)b);                                                    \
    }                                                                             \
    AV_FN S av_minsi_i##N(S a, S b) { return a <= b ? a : b; }            \
    AV_FN S av_maxsi_i##N(S a, S b) { return a >= b ? a : b; }            \
    AV_FN S av_minui_i##N(S a, S b) { return (U)a <= (U)b ? a : b; }      \
    AV_FN S av_maxui_i##N(S a, S b) { return (U)a >= (U)b ? a : b; }      \
    AV_FN S av_absi_i##N(S a) { return a < 0 ? (S)(U)((W)0 - (W)(U)a) : a; }

AV_INT_OPS(8, int8_t, uint8_t, uint32_t, INT8_MIN)
AV_INT_OPS(16, int16_t, uint16_t, uint32_t, INT16_MIN)
AV_INT_OPS(32, int32_t, uint32_t, uint32_t, INT32_MIN)
AV_INT_OPS(64, int64_t, uint64_t, uint64_t, INT64_MIN)

/* ------------------------------------------------------------------------
 * i1: bool 0 or 1, read as 0 or -1 when signed.
 * ---------------------------------------------------------------------- */

AV_FN bool av_addi_i1(bool a, bool b) { return a != b; }
AV_FN bool av_subi_i1(bool a, bool b) { return a != b; }
AV_FN bool av_muli_i1(bool a, bool b) { return a && b; }
/* The only non-zero divisor is 1 (signed: -1); a / -1 = -a = a modulo 2. */
AV_FN bool av_divsi_i1(bool a, bool b) { return b && a; }
AV_FN bool av_remsi_i1(bool a, bool b) { (void)a; (void)b; return false; }
AV_FN bool av_floordivsi_i1(bool a, bool b) { return b && a; }
AV_FN bool av_ceildivsi_i1(bool a, bool b) { return b && a; }
AV_FN bool av_divui_i1(bool a, bool b) { return b && a; }
AV_FN bool av_remui_i1(bool a, bool b) { (void)a; (void)b; return false; }
/* A shift by 1 is a shift by the whole width. */
AV_FN bool av_shli_i1(bool a, bool b) { return !b && a; }
AV_FN bool av_shrui_i1(bool a, bool b) { return !b && a; }
AV_FN bool av_shrsi_i1(bool a, bool b) { (void)b; return a; }
/* Signed: 1 (-1) < 0; unsigned: 0 < 1. */
AV_FN bool av_minsi_i1(bool a, bool b) { return a || b; }
AV_FN bool av_maxsi_i1(bool a, bool b) { return a && b; }
AV_FN bool av_minui_i1(bool a, bool b) { return a && b; }
AV_FN bool av_maxui_i1(bool a, bool b) { return a || b; }
AV_FN bool av_absi_i1(bool a) { return a; }

/* ------------------------------------------------------------------------
 * Float to integer: truncate toward zero, saturate, NaN gives 0.
 * AV_FPTOI(NAME, S, T, LO, HI, SLO, SHI): x <= LO gives SLO, x >= HI gives
 * SHI, else (S)(T)x.  Comparisons are done in double, exact for f32 and f64.
 * ---------------------------------------------------------------------- */

#define AV_FPTOI(NAME, S, T, LO, HI, SLO, SHI)           \
    AV_FN S NAME(double x) {                      \
        if (x != x) return (S)0;                          \
        if (x >= (HI)) return (S)(SHI);                   \
        if (x <= (LO)) return (S)(SLO);                   \
        return (S)(T)x;                                   \
    }

AV_FPTOI(av_fptosi_i8, int8_t, int8_t, -128.0, 127.0, INT8_MIN, INT8_MAX)
AV_FPTOI(av_fptosi_i16, int16_t, int16_t, -32768.0, 32767.0, INT16_MIN, INT16_MAX)
AV_FPTOI(av_fptosi_i32, int32_t, int32_t, -2147483648.0, 2147483647.0, INT32_MIN, INT32_MAX)
/* 2^63 - 1 is not a double: x >= 2^63 - 1 is x >= 2^63. */
AV_FPTOI(av_fptosi_i64, int64_t, int64_t, -0x1p63, 0x1p63, INT64_MIN, INT64_MAX)
AV_FPTOI(av_fptoui_i8, int8_t, uint8_t, 0.0, 255.0, 0, UINT8_MAX)
AV_FPTOI(av_fptoui_i16, int16_t, uint16_t, 0.0, 65535.0, 0, UINT16_MAX)
AV_FPTOI(av_fptoui_i32, int32_t, uint32_t, 0.0, 4294967295.0, 0, UINT32_MAX)
AV_FPTOI(av_fptoui_i64, int64_t, uint64_t, 0.0, 0x1p64, 0, UINT64_MAX)

/* i1 targets: signed range [-1, 0] (stored 1, 0), unsigned [0, 1]. */
AV_FN bool av_fptosi_i1(double x) { return x <= -1.0; }
AV_FN bool av_fptoui_i1(double x) { return x >= 1.0; }

/* ------------------------------------------------------------------------
 * Bit casts between same-width integers and floats.
 * ---------------------------------------------------------------------- */

AV_FN int32_t av_bitcast_f32_i32(float x) { int32_t r; memcpy(&r, &x, sizeof r); return r; }
AV_FN float av_bitcast_i32_f32(int32_t x) { float r; memcpy(&r, &x, sizeof r); return r; }
AV_FN int64_t av_bitcast_f64_i64(double x) { int64_t r; memcpy(&r, &x, sizeof r); return r; }
AV_FN double av_bitcast_i64_f64(int64_t x) { double r; memcpy(&r, &x, sizeof r); return r; }

/* ------------------------------------------------------------------------
 * Float minimum/maximum with -0.0 below +0.0.
 * ---------------------------------------------------------------------- */

#define AV_FLOAT_MINMAX(N, T)                                                          \
    /* a < b, with -0.0 below +0.0 (neither is NaN) */                                 \
    AV_FN bool av_less_##N(T a, T b) {                                         \
        return a == b ? (signbit(a) && !signbit(b)) : a < b;                           \
    }                                                                                  \
    AV_FN T av_minimumf_##N(T a, T b) {                                        \
        if (a != a) return a;                                                          \
        if (b != b) return b;                                                          \
        return av_less_##N(b, a) ? b : a;                                              \
    }                                                                                  \
    AV_FN T av_maximumf_##N(T a, T b) {                                        \
        if (a != a) return a;                                                          \
        if (b != b) return b;                                                          \
        return av_less_##N(a, b) ? b : a;                                              \
    }                                                                                  \
    AV_FN T av_minnumf_##N(T a, T b) {                                         \
        if (a != a) return b;                                                          \
        if (b != b) return a;                                                          \
        return av_less_##N(b, a) ? b : a;                                              \
    }                                                                                  \
    AV_FN T av_maxnumf_##N(T a, T b) {                                         \
        if (a != a) return b;                                                          \
        if (b != b) return a;                                                          \
        return av_less_##N(a, b) ? b : a;                                              \
    }

AV_FLOAT_MINMAX(f32, float)
AV_FLOAT_MINMAX(f64, double)

/* ------------------------------------------------------------------------
 * OpenMP reductions whose combiner is one of the functions above.  Integer
 * sums and products wrap around exactly like the sequential loop (modular
 * arithmetic is associative), and the float min/max are exact too.
 * ---------------------------------------------------------------------- */

#ifdef _OPENMP
#define AV_PRAGMA(x) _Pragma(#x)
#define AV_DECLARE_REDUCTION(OP, N, T, INIT)                                  \
    AV_PRAGMA(omp declare reduction(av_red_##OP##_##N : T :                   \
              omp_out = av_##OP##_##N(omp_out, omp_in)) initializer(omp_priv = (INIT)))
#define AV_INT_REDUCTIONS(N, T)                        \
    AV_DECLARE_REDUCTION(addi, N, T, 0)                \
    AV_DECLARE_REDUCTION(muli, N, T, 1)                \
    AV_DECLARE_REDUCTION(minui, N, T, -1)              \
    AV_DECLARE_REDUCTION(maxui, N, T, 0)
#define AV_FLOAT_REDUCTIONS(N, T)                          \
    AV_DECLARE_REDUCTION(minimumf, N, T, INFINITY)         \
    AV_DECLARE_REDUCTION(maximumf, N, T, -INFINITY)        \
    AV_DECLARE_REDUCTION(minnumf, N, T, NAN)               \
    AV_DECLARE_REDUCTION(maxnumf, N, T, NAN)

AV_INT_REDUCTIONS(i8, int8_t)
AV_INT_REDUCTIONS(i16, int16_t)
AV_INT_REDUCTIONS(i32, int32_t)
AV_INT_REDUCTIONS(i64, int64_t)
AV_FLOAT_REDUCTIONS(f32, float)
AV_FLOAT_REDUCTIONS(f64, double)
#endif

#endif /* AV_OPS_H */
