"""Scalar semantics of the arith casts (representation as in ``interp_ops``).

* ``index_cast``/``extsi`` sign-extend or truncate, ``index_castui``/``extui``
  zero-extend (or truncate), ``trunci`` keeps the low bits;
* ``sitofp``/``uitofp`` round to nearest even in the target float type;
* ``fptosi``/``fptoui`` truncate toward zero and saturate at the bounds of
  the target type (NaN gives 0) — MLIR leaves out-of-range results poison;
* ``extf`` is exact, ``truncf`` rounds to nearest even (overflow gives ±inf);
* ``bitcast`` reinterprets the bits (i32 ↔ f32, i64 ↔ f64; to its own type, it
  changes nothing).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from avial2c.interp.scalars import norm_fn, round_f32, round_fraction_f32, signed_fn, unsigned_fn
from avial2c.ir import ScalarType

Cast = Callable[[Any], Any]

_BIT_FORMATS = {"i32": "<i", "f32": "<f", "i64": "<q", "f64": "<d"}


def cast(short: str, src: ScalarType, dst: ScalarType) -> Cast:
    """The function computing `arith.<short>` from src to dst; KeyError when unknown."""
    return _CASTS[short](src, dst)


def _int_to_int_signed(src: ScalarType, dst: ScalarType) -> Cast:
    norm, s = norm_fn(dst.bits), signed_fn(src.bits)
    return lambda v: norm(s(v))


def _int_to_int_unsigned(src: ScalarType, dst: ScalarType) -> Cast:
    norm, u = norm_fn(dst.bits), unsigned_fn(src.bits)
    return lambda v: norm(u(v))


def _trunci(src: ScalarType, dst: ScalarType) -> Cast:
    return norm_fn(dst.bits)


def int_to_float(dst: ScalarType) -> Callable[[int], float]:
    """Round an exact integer to float type dst (ties to even)."""
    if dst.name == "f64":
        return float

    def to_f32(v: int) -> float:
        if abs(v) <= 1 << 53:
            return round_f32(float(v))
        return round_fraction_f32(Fraction(v))

    return to_f32


def _sitofp(src: ScalarType, dst: ScalarType) -> Cast:
    conv, s = int_to_float(dst), signed_fn(src.bits)
    return lambda v: conv(s(v))


def _uitofp(src: ScalarType, dst: ScalarType) -> Cast:
    conv, u = int_to_float(dst), unsigned_fn(src.bits)
    return lambda v: conv(u(v))


def float_to_int(lo: int, hi: int, norm: Callable[[int], int]) -> Callable[[float], int]:
    """Truncate toward zero, saturating to [lo, hi]; NaN gives 0."""

    def conv(x: float) -> int:
        if x != x:
            return 0
        if x >= hi:
            return norm(hi)
        if x <= lo:
            return norm(lo)
        return norm(math.trunc(x))

    return conv


def _fptosi(src: ScalarType, dst: ScalarType) -> Cast:
    bits = dst.bits
    return float_to_int(-(1 << (bits - 1)), (1 << (bits - 1)) - 1, norm_fn(bits))


def _fptoui(src: ScalarType, dst: ScalarType) -> Cast:
    return float_to_int(0, (1 << dst.bits) - 1, norm_fn(dst.bits))


def _extf(src: ScalarType, dst: ScalarType) -> Cast:
    return lambda x: x


def _truncf(src: ScalarType, dst: ScalarType) -> Cast:
    return round_f32 if dst.name == "f32" else _extf(src, dst)


def _bitcast(src: ScalarType, dst: ScalarType) -> Cast:
    if src == dst:  # MLIR allows a bitcast to the same type: it changes nothing
        return lambda v: v
    pack = struct.Struct(_BIT_FORMATS[src.name]).pack
    unpack = struct.Struct(_BIT_FORMATS[dst.name]).unpack
    if struct.calcsize(_BIT_FORMATS[src.name]) != struct.calcsize(_BIT_FORMATS[dst.name]):
        raise KeyError(f"{src} to {dst}")
    return lambda v: unpack(pack(v))[0]


_CASTS: dict[str, Callable[[ScalarType, ScalarType], Cast]] = {
    "index_cast": _int_to_int_signed,
    "extsi": _int_to_int_signed,
    "index_castui": _int_to_int_unsigned,
    "extui": _int_to_int_unsigned,
    "trunci": _trunci,
    "sitofp": _sitofp,
    "uitofp": _uitofp,
    "fptosi": _fptosi,
    "fptoui": _fptoui,
    "extf": _extf,
    "truncf": _truncf,
    "bitcast": _bitcast,
}
