"""Scalar semantics of the arith and math ops, on Python ints and floats.

Representation of runtime scalars:

* an integer of type iN (index: i64) is a Python ``int`` in the signed range
  of the type, except i1, which is 0 or 1 (its signed reading is 0 or -1);
* f64 is a Python ``float``; f32 is a Python ``float`` that is exactly a
  float32 value: every f32 result is rounded to float32 (to nearest, ties to
  even; overflow gives ±inf).  For + - * / and sqrt, computing in double and
  rounding once is exactly the float32 operation.

Where MLIR leaves a result undefined or poison, the interpreter defines it
as follows; the generated C does the same:

* ``divsi divui remsi remui floordivsi ceildivsi`` by zero give 0;
* ``divsi floordivsi ceildivsi`` of INT_MIN by -1 give INT_MIN (wrap-around),
  ``remsi`` gives 0;
* the shift amount is read as unsigned; ``shli``/``shrui`` by at least the
  bit width give 0, ``shrsi`` gives the sign fill (0 or -1);
* ``fptosi``/``fptoui`` truncate toward zero and saturate at the bounds of
  the target type; NaN gives 0;
* ``minimumf maximumf minnumf maxnumf`` (and ``minf``/``maxf``, which are
  ``minimumf``/``maximumf``) order -0.0 below +0.0;
* the math functions on f32 are computed in double and rounded to float32,
  except ``rsqrt`` (``1 / sqrt(x)``, each step rounded to the operand type)
  and ``fma`` (exact, rounded once); ``round`` rounds half away from zero.
"""

from __future__ import annotations

import array
import math
import struct
from collections.abc import Callable
from fractions import Fraction
from functools import cache

import numpy as np

from avial2c.ir import ScalarType

IntBinary = Callable[[int, int], int]
FloatBinary = Callable[[float, float], float]

NAN = math.nan
INF = math.inf

# --------------------------------------------------------------------------
# float32 rounding


_F32_CELL = array.array("f", [0.0])


def round_f32(x: float) -> float:
    """The float32 value nearest to the double x (ties to even, overflow → inf)."""
    cell = _F32_CELL
    cell[0] = x
    return cell[0]


def round_fraction_f32(r: Fraction) -> float:
    """The float32 value nearest to the exact rational r (ties to even)."""
    d = float(r)  # nearest double; rounding it again can only go wrong at a tie
    f = round_f32(d)
    if math.isinf(f) or Fraction(d) == r or Fraction(f) == r:
        return f
    toward = INF if Fraction(f) < r else -INF
    g = float(np.nextafter(np.float32(f), np.float32(toward)))
    if math.isinf(g):
        return f
    df, dg = abs(Fraction(f) - r), abs(Fraction(g) - r)
    if df != dg:
        return f if df < dg else g
    return f if _f32_even(f) else g


def _f32_even(x: float) -> bool:
    bits: int = struct.unpack("<I", struct.pack("<f", x))[0]
    return bits & 1 == 0


def float_rounder(t: ScalarType) -> Callable[[float], float]:
    """Rounds a double to the precision of float type t."""
    return round_f32 if t.name == "f32" else _identity_float


def _identity_float(x: float) -> float:
    return x


# --------------------------------------------------------------------------
# integers


@cache
def norm_fn(bits: int) -> Callable[[int], int]:
    """Wraps any int into the stored form of an integer of `bits` bits."""
    if bits == 1:
        return _norm_i1
    mask = (1 << bits) - 1
    half = 1 << (bits - 1)

    def norm(v: int) -> int:
        return ((v + half) & mask) - half

    return norm


def _norm_i1(v: int) -> int:
    return v & 1


def signed_fn(bits: int) -> Callable[[int], int]:
    """The signed reading of a stored value (only i1 differs from the stored form)."""
    return _neg if bits == 1 else _identity_int


def unsigned_fn(bits: int) -> Callable[[int], int]:
    mask = (1 << bits) - 1

    def unsigned(v: int) -> int:
        return v & mask

    return unsigned


def _neg(v: int) -> int:
    return -v


def _identity_int(v: int) -> int:
    return v


def trunc_div(a: int, b: int) -> int:
    """a / b rounded toward zero (b != 0)."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def int_binary(short: str, t: ScalarType) -> IntBinary:
    """The function computing `arith.<short>` on integers of type t."""
    return _int_table(t.bits)[short]


@cache
def _int_table(bits: int) -> dict[str, IntBinary]:
    norm, s, u = norm_fn(bits), signed_fn(bits), unsigned_fn(bits)

    def divsi(a: int, b: int) -> int:
        return 0 if b == 0 else norm(trunc_div(s(a), s(b)))

    def remsi(a: int, b: int) -> int:
        if b == 0:
            return 0
        sa, sb = s(a), s(b)
        return norm(sa - sb * trunc_div(sa, sb))

    def floordivsi(a: int, b: int) -> int:
        return 0 if b == 0 else norm(s(a) // s(b))

    def ceildivsi(a: int, b: int) -> int:
        return 0 if b == 0 else norm(-(-s(a) // s(b)))

    def divui(a: int, b: int) -> int:
        return 0 if b == 0 else norm(u(a) // u(b))

    def remui(a: int, b: int) -> int:
        return 0 if b == 0 else norm(u(a) % u(b))

    def shli(a: int, b: int) -> int:
        n = u(b)
        return 0 if n >= bits else norm(a << n)

    def shrui(a: int, b: int) -> int:
        n = u(b)
        return 0 if n >= bits else norm(u(a) >> n)

    def shrsi(a: int, b: int) -> int:
        return norm(s(a) >> min(u(b), bits))

    return {
        "addi": lambda a, b: norm(a + b),
        "subi": lambda a, b: norm(a - b),
        "muli": lambda a, b: norm(a * b),
        "divsi": divsi,
        "remsi": remsi,
        "floordivsi": floordivsi,
        "ceildivsi": ceildivsi,
        "divui": divui,
        "remui": remui,
        "andi": lambda a, b: a & b,
        "ori": lambda a, b: a | b,
        "xori": lambda a, b: norm(a ^ b),
        "shli": shli,
        "shrui": shrui,
        "shrsi": shrsi,
        "minsi": lambda a, b: a if s(a) <= s(b) else b,
        "maxsi": lambda a, b: a if s(a) >= s(b) else b,
        "minui": lambda a, b: a if u(a) <= u(b) else b,
        "maxui": lambda a, b: a if u(a) >= u(b) else b,
    }


@cache
def cmpi(predicate: str, t: ScalarType) -> Callable[[int, int], int]:
    """`arith.cmpi` with `predicate` on integers of type t; the result is 0 or 1."""
    s, u = signed_fn(t.bits), unsigned_fn(t.bits)
    table: dict[str, Callable[[int, int], bool]] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "slt": lambda a, b: s(a) < s(b),
        "sle": lambda a, b: s(a) <= s(b),
        "sgt": lambda a, b: s(a) > s(b),
        "sge": lambda a, b: s(a) >= s(b),
        "ult": lambda a, b: u(a) < u(b),
        "ule": lambda a, b: u(a) <= u(b),
        "ugt": lambda a, b: u(a) > u(b),
        "uge": lambda a, b: u(a) >= u(b),
    }
    test = table[predicate]
    return lambda a, b: 1 if test(a, b) else 0


def absi(t: ScalarType) -> Callable[[int], int]:
    norm, s = norm_fn(t.bits), signed_fn(t.bits)
    return lambda v: norm(abs(s(v)))


# --------------------------------------------------------------------------
# floats


def divf(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def remf(a: float, b: float) -> float:
    """C fmod: exact, the sign of a; NaN for an infinite a or a zero b."""
    try:
        return math.fmod(a, b)
    except ValueError:
        return NAN


def _is_less(a: float, b: float) -> bool:
    """a < b, with -0.0 below +0.0."""
    if a == b:
        return math.copysign(1.0, a) < math.copysign(1.0, b)
    return a < b


def minimumf(a: float, b: float) -> float:
    if a != a:
        return a
    if b != b:
        return b
    return b if _is_less(b, a) else a


def maximumf(a: float, b: float) -> float:
    if a != a:
        return a
    if b != b:
        return b
    return b if _is_less(a, b) else a


def minnumf(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return b if _is_less(b, a) else a


def maxnumf(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return b if _is_less(a, b) else a


_FLOAT_BINARY: dict[str, FloatBinary] = {
    "addf": lambda a, b: a + b,
    "subf": lambda a, b: a - b,
    "mulf": lambda a, b: a * b,
    "divf": divf,
    "remf": remf,
    "minimumf": minimumf,
    "maximumf": maximumf,
    "minf": minimumf,
    "maxf": maximumf,
    "minnumf": minnumf,
    "maxnumf": maxnumf,
}

# Results that are one of the operands or exact: no rounding needed.
_EXACT_FLOAT = frozenset(["remf", "minimumf", "maximumf", "minf", "maxf", "minnumf", "maxnumf"])


def float_binary(short: str, t: ScalarType) -> FloatBinary:
    """The function computing `arith.<short>` on floats of type t."""
    f = _FLOAT_BINARY[short]
    if t.name == "f64" or short in _EXACT_FLOAT:
        return f
    return lambda a, b: round_f32(f(a, b))


def negf(x: float) -> float:
    return -x


@cache
def cmpf(predicate: str) -> Callable[[float, float], int]:
    """`arith.cmpf` with `predicate`; ordered predicates are false on NaN, unordered true."""
    table: dict[str, Callable[[float, float], bool]] = {
        "false": lambda a, b: False,
        "true": lambda a, b: True,
        "oeq": lambda a, b: a == b,
        "ogt": lambda a, b: a > b,
        "oge": lambda a, b: a >= b,
        "olt": lambda a, b: a < b,
        "ole": lambda a, b: a <= b,
        "one": lambda a, b: a == a and b == b and a != b,
        "ord": lambda a, b: a == a and b == b,
        "ueq": lambda a, b: not (a < b or a > b),
        "ugt": lambda a, b: not a <= b,
        "uge": lambda a, b: not a < b,
        "ult": lambda a, b: not a >= b,
        "ule": lambda a, b: not a > b,
        "une": lambda a, b: a != b,
        "uno": lambda a, b: a != a or b != b,
    }
    test = table[predicate]
    return lambda a, b: 1 if test(a, b) else 0
