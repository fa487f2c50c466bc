"""Scalar semantics of the math ops (representation as in ``interp_ops``).

The functions use the C library through :mod:`math`, as the generated C
does; the IEEE results that :mod:`math` reports as exceptions (overflow,
poles, NaN from a domain error) come from NumPy instead.  On f32 the result
of the double computation is rounded to float32.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from avial2c.interp.scalars import absi, divf, float_rounder, round_f32, round_fraction_f32
from avial2c.ir import ScalarType

Unary = Callable[[float], float]


def _libm(fast: Unary, slow: Any) -> Unary:
    """fast (from libm) unless it raises, then the IEEE result from NumPy."""

    def f(x: float) -> float:
        try:
            return fast(x)
        except (ValueError, OverflowError):
            return float(slow(np.float64(x)))

    return f


def _integral(op: Callable[[float], int]) -> Unary:
    """floor / ceil: infinities and NaN unchanged, the sign of zero kept."""

    def f(x: float) -> float:
        if not math.isfinite(x):
            return x
        return math.copysign(float(op(x)), x)

    return f


def round_half_away(x: float) -> float:
    """C round: to the nearest integer, halfway cases away from zero."""
    if not math.isfinite(x):
        return x
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return math.copysign(t, x)


_UNARY: dict[str, Unary] = {
    "sqrt": _libm(math.sqrt, np.sqrt),
    "exp": _libm(math.exp, np.exp),
    "exp2": _libm(math.exp2, np.exp2),
    "log": _libm(math.log, np.log),
    "log2": _libm(math.log2, np.log2),
    "log10": _libm(math.log10, np.log10),
    "sin": _libm(math.sin, np.sin),
    "cos": _libm(math.cos, np.cos),
    "tan": _libm(math.tan, np.tan),
    "tanh": _libm(math.tanh, np.tanh),
    "absf": math.fabs,
    "floor": _integral(math.floor),
    "ceil": _integral(math.ceil),
    "round": round_half_away,
}


def powf(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (ValueError, OverflowError):
        return float(np.power(np.float64(a), np.float64(b)))


def fma_exact(a: float, b: float, c: float) -> Fraction | float:
    """a * b + c exactly (a Fraction), or the IEEE float result when not all finite."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c
    return Fraction(a) * Fraction(b) + Fraction(c)


def fma(t: ScalarType) -> Callable[[float, float, float], float]:
    def fma64(a: float, b: float, c: float) -> float:
        r = fma_exact(a, b, c)
        if isinstance(r, float):
            return r
        return _fraction_to_double(r, a * b + c)

    def fma32(a: float, b: float, c: float) -> float:
        r = fma_exact(a, b, c)
        if isinstance(r, float):
            return round_f32(r)
        return round_fraction_f32(r) if r != 0 else round_f32(a * b + c)

    return fma32 if t.name == "f32" else fma64


def _fraction_to_double(r: Fraction, approx: float) -> float:
    """Nearest double to r; a zero keeps the sign that IEEE arithmetic gives it."""
    if r == 0:
        return approx
    try:
        return float(r)
    except OverflowError:
        return math.copysign(math.inf, r)


def math_unary(short: str, t: ScalarType) -> Callable[[Any], Any]:
    """The function computing `math.<short>` (one operand) on type t."""
    if short == "absi":
        return absi(t)
    if short == "rsqrt":
        return _rsqrt(t)
    f = _UNARY[short]
    if t.name == "f64":
        return f
    return lambda x: round_f32(f(x))


def _rsqrt(t: ScalarType) -> Unary:
    rnd = float_rounder(t)
    sqrt = _UNARY["sqrt"]
    return lambda x: rnd(divf(1.0, rnd(sqrt(x))))


def math_powf(t: ScalarType) -> Callable[[float, float], float]:
    if t.name == "f64":
        return powf
    return lambda a, b: round_f32(powf(a, b))
