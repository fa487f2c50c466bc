"""Float literals spelled exactly as MLIR prints them (APFloat's shortest round-trip form)."""

from __future__ import annotations

import math
import struct

from avial2c.ir import (
    ScalarType,
)


def to_f32(value: float) -> float:
    """VALUE rounded to the nearest f32 (overflow gives an infinity)."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def float_bits(value: float, t: ScalarType) -> int:
    if t.name == "f32":
        return int(struct.unpack("<I", struct.pack("<f", to_f32(value)))[0])
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def float_text(value: float, t: ScalarType) -> str:
    """VALUE as MLIR prints a float of type T (AsmPrinter's printFloatValue)."""
    if t.name == "f32":
        value = to_f32(value)
    precision = 24 if t.name == "f32" else 53
    if math.isfinite(value):
        short = apfloat_string(value, precision, 6, 0, False)
        if float_bits(float(short), t) == float_bits(value, t):
            return short
        full = apfloat_string(value, precision, 0, 3, True)
        if "." in full:
            return full
    return f"0x{float_bits(value, t):X}"


def decimal_digits(value: float, precision: int, fmt_precision: int) -> tuple[list[int], int]:
    """The digits (most significant first) and exponent of |VALUE| as APFloat makes them."""
    m, e = math.frexp(abs(value))
    sig, exp = int(m * (1 << precision)), e - precision
    while sig % 2 == 0:
        sig, exp = sig >> 1, exp + 1
    if exp >= 0:
        sig, exp = sig << exp, 0
    else:
        sig *= 5**-exp
    bits_required = (fmt_precision * 196 + 58) // 59
    if sig.bit_length() > bits_required:
        removable = (sig.bit_length() - bits_required) * 59 // 196
        sig, exp = sig // 10**removable, exp + removable
    digits = [int(d) for d in str(sig)]
    while digits[-1] == 0:
        digits.pop()
        exp += 1
    return round_digits(digits, exp, fmt_precision)


def round_digits(digits: list[int], exp: int, keep: int) -> tuple[list[int], int]:
    """Round DIGITS to KEEP digits, half up, dropping trailing zeros (APFloat's rule)."""
    if len(digits) <= keep:
        return digits, exp
    exp += len(digits) - keep
    round_up = digits[keep] >= 5
    digits = digits[:keep]
    if round_up:
        while digits and digits[-1] == 9:
            digits.pop()
            exp += 1
        if not digits:
            return [1], exp
        digits[-1] += 1
        return digits, exp
    while digits[-1] == 0:
        digits.pop()
        exp += 1
    return digits, exp


def apfloat_string(
    value: float, precision: int, fmt_precision: int, max_padding: int, truncate_zero: bool
) -> str:
    """llvm::APFloat::toString for a finite VALUE."""
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        if max_padding:
            return sign + "0"
        if truncate_zero:
            return sign + "0.0E+0"
        return sign + "0." + "0" * max(fmt_precision, 1) + "e+00"
    if not fmt_precision:
        fmt_precision = 2 + precision * 59 // 196
    digits, exp = decimal_digits(value, precision, fmt_precision)
    text = "".join(str(d) for d in digits)
    if use_scientific(len(digits), exp, fmt_precision, max_padding):
        return sign + scientific(text, exp, fmt_precision, truncate_zero)
    if exp >= 0:
        return sign + text + "0" * exp
    whole = exp + len(text)
    if whole > 0:
        return sign + text[:whole] + "." + text[whole:]
    return sign + "0." + "0" * -whole + text


def use_scientific(ndigits: int, exp: int, fmt_precision: int, max_padding: int) -> bool:
    if not max_padding:
        return True
    if exp >= 0:
        return exp > max_padding or ndigits + exp > fmt_precision
    msd = exp + ndigits - 1
    return msd < 0 and -msd > max_padding


def scientific(text: str, exp: int, fmt_precision: int, truncate_zero: bool) -> str:
    exp += len(text) - 1
    frac = text[1:]
    if not frac and truncate_zero:
        frac = "0"
    if not truncate_zero and fmt_precision > len(frac):
        frac += "0" * (fmt_precision - len(frac))
    digits = str(abs(exp))
    if not truncate_zero and len(digits) < 2:
        digits = "0" + digits
    mark = "E" if truncate_zero else "e"
    return f"{text[0]}.{frac}{mark}{'+' if exp >= 0 else '-'}{digits}"
