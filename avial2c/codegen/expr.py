"""Scalar arith and math ops as C expressions.

``expr(op, args)`` gives the C expression computing the single result of
``op`` from the C expressions ``args`` of its operands (names or literals).
The semantics are MLIR's, made deterministic exactly as the reference
interpreter defines them (see ``interp_ops``); anything a plain C operator
would get wrong — signed overflow, division by zero, INT_MIN / -1, shifts by
the bit width, out-of-range float to integer conversion, NaN ordering — goes
through a helper of ``runtime_c/av_ops.h`` named after the op and the type
(``av_addi_i32``, ``av_fptosi_i8``, ``av_minimumf_f32``).

Math functions on f32 are computed by the double libm function and rounded
once to float (``(float)exp(x)``), as the interpreter does; the ``f``
variants are used only where they are exact (``sqrtf``, ``fabsf``,
``floorf``, ``ceilf``, ``roundf``, ``fmodf``, ``fmaf``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from avial2c.codegen.names import c_type, type_suffix, unsigned_type
from avial2c.diagnostics import CompileError
from avial2c.ir import Op, Operand, ScalarType
from avial2c.ops import (
    ARITH_CASTS,
    ARITH_FLOAT_BINARY,
    ARITH_INT_BINARY,
    CMPI_OPERATORS,
    MATH_UNARY,
)

Args = Sequence[str]

# Integer ops that plain C operators get right on every type (i1 included).
INT_OPERATORS = {"andi": "&", "ori": "|", "xori": "^"}
FLOAT_OPERATORS = {"addf": "+", "subf": "-", "mulf": "*", "divf": "/"}
# LLVM 16 spellings.
FLOAT_ALIASES = {"minf": "minimumf", "maxf": "maximumf"}

# i1 read as signed is 0 or -1: its signed order is the reverse of 0 < 1.
I1_SIGNED_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}

CMPF_FORMS = {
    "oeq": "{a} == {b}",
    "ogt": "{a} > {b}",
    "oge": "{a} >= {b}",
    "olt": "{a} < {b}",
    "ole": "{a} <= {b}",
    "one": "islessgreater({a}, {b})",
    "ord": "!isunordered({a}, {b})",
    "ueq": "(isunordered({a}, {b}) || {a} == {b})",
    "ugt": "(isunordered({a}, {b}) || {a} > {b})",
    "uge": "(isunordered({a}, {b}) || {a} >= {b})",
    "ult": "(isunordered({a}, {b}) || {a} < {b})",
    "ule": "(isunordered({a}, {b}) || {a} <= {b})",
    "une": "{a} != {b}",
    "uno": "isunordered({a}, {b})",
    # The operands are still evaluated, so that they count as used.
    "false": "((void){a}, (void){b}, false)",
    "true": "((void){a}, (void){b}, true)",
}

# math ops computed by the double function, rounded once on f32.
LIBM_VIA_DOUBLE = frozenset(["exp", "exp2", "log", "log2", "log10", "sin", "cos", "tan", "tanh"])
# math ops whose float variant is exact.
LIBM_EXACT = {"sqrt": "sqrt", "absf": "fabs", "floor": "floor", "ceil": "ceil", "round": "round"}


def scalar(x: Operand, op: Op) -> ScalarType:
    if not isinstance(x.type, ScalarType):
        raise CompileError(f"'{op.name}': operand or result without a scalar type", op.span)
    return x.type


def result_type(op: Op) -> ScalarType:
    return scalar(op.result, op)


def expr(op: Op, args: Args) -> str:
    """The C expression for the one result of the arith/math op OP."""
    dialect, _, short = op.name.partition(".")
    handler = _dispatch(dialect, short)
    if handler is None:
        raise CompileError(f"'{op.name}' is not supported by the C code generator", op.span)
    return handler(op, short, args)


def _dispatch(dialect: str, short: str) -> Callable[[Op, str, Args], str] | None:
    if dialect == "arith":
        if short in ARITH_INT_BINARY:
            return int_binary
        if short in ARITH_FLOAT_BINARY:
            return float_binary
        if short in ARITH_CASTS:
            return cast
        return _ARITH_OTHER.get(short)
    if dialect == "math":
        if short in MATH_UNARY:
            return math_unary
        return _MATH_OTHER.get(short)
    return None


# --------------------------------------------------------------------------
# Binary ops


def int_binary(op: Op, short: str, args: Args) -> str:
    a, b = args
    operator = INT_OPERATORS.get(short)
    if operator is not None:
        return f"{a} {operator} {b}"
    return f"av_{short}_{type_suffix(result_type(op))}({a}, {b})"


def float_binary(op: Op, short: str, args: Args) -> str:
    a, b = args
    t = result_type(op)
    operator = FLOAT_OPERATORS.get(short)
    if operator is not None:
        return f"{a} {operator} {b}"
    if short == "remf":
        return f"{libm('fmod', t)}({a}, {b})"
    return f"av_{FLOAT_ALIASES.get(short, short)}_{t.name}({a}, {b})"


def negf(op: Op, short: str, args: Args) -> str:
    return f"-{args[0]}"


def cmpi(op: Op, short: str, args: Args) -> str:
    a, b = args
    t = scalar(op.operands[0], op)
    pred = str(op.attr("predicate", ""))
    operator = CMPI_OPERATORS.get(pred)
    if operator is None:
        raise CompileError(f"unknown 'arith.cmpi' predicate '{pred}'", op.span)
    if t.name == "i1":
        if pred.startswith("s"):
            operator = I1_SIGNED_MIRROR[operator]
        return f"{a} {operator} {b}"
    if pred.startswith("u"):
        u = unsigned_type(t)
        return f"({u}){a} {operator} ({u}){b}"
    return f"{a} {operator} {b}"


def cmpf(op: Op, short: str, args: Args) -> str:
    a, b = args
    pred = str(op.attr("predicate", ""))
    form = CMPF_FORMS.get(pred)
    if form is None:
        raise CompileError(f"unknown 'arith.cmpf' predicate '{pred}'", op.span)
    return form.format(a=a, b=b)


def select(op: Op, short: str, args: Args) -> str:
    c, a, b = args
    return f"{c} ? {a} : {b}"


# --------------------------------------------------------------------------
# Casts


def cast(op: Op, short: str, args: Args) -> str:
    (x,) = args
    src, dst = scalar(op.operands[0], op), result_type(op)
    return _CASTS[short](x, src, dst)


def _to_i1(x: str) -> str:
    """Truncation to i1 keeps the low bit."""
    return f"(bool)({x} & 1)"


def _sign_extend(x: str, src: ScalarType, dst: ScalarType) -> str:
    if dst.name == "i1":
        return _to_i1(x)
    if src.name == "i1":
        return f"({x} ? -1 : 0)"
    return x if c_type(src) == c_type(dst) else f"({c_type(dst)}){x}"


def _zero_extend(x: str, src: ScalarType, dst: ScalarType) -> str:
    if dst.name == "i1":
        return _to_i1(x)
    if c_type(src) == c_type(dst):
        return x
    if src.name == "i1" or dst.bits < src.bits:
        return f"({c_type(dst)}){x}"
    return f"({c_type(dst)})({unsigned_type(src)}){x}"


def _trunci(x: str, src: ScalarType, dst: ScalarType) -> str:
    return _to_i1(x) if dst.name == "i1" else f"({c_type(dst)}){x}"


def _sitofp(x: str, src: ScalarType, dst: ScalarType) -> str:
    if src.name == "i1":
        minus_one = "-1.0f" if dst.name == "f32" else "-1.0"
        return f"({x} ? {minus_one} : 0)"
    return f"({c_type(dst)}){x}"


def _uitofp(x: str, src: ScalarType, dst: ScalarType) -> str:
    if src.name == "i1":
        return f"({c_type(dst)}){x}"
    return f"({c_type(dst)})({unsigned_type(src)}){x}"


def _fptosi(x: str, src: ScalarType, dst: ScalarType) -> str:
    return f"av_fptosi_{type_suffix(dst)}({x})"


def _fptoui(x: str, src: ScalarType, dst: ScalarType) -> str:
    return f"av_fptoui_{type_suffix(dst)}({x})"


def _float_convert(x: str, src: ScalarType, dst: ScalarType) -> str:
    return f"({c_type(dst)}){x}"


def _bitcast(x: str, src: ScalarType, dst: ScalarType) -> str:
    if src == dst:  # a bitcast to the same type changes nothing
        return x
    return f"av_bitcast_{type_suffix(src)}_{type_suffix(dst)}({x})"


_CASTS: dict[str, Callable[[str, ScalarType, ScalarType], str]] = {
    "index_cast": _sign_extend,
    "extsi": _sign_extend,
    "index_castui": _zero_extend,
    "extui": _zero_extend,
    "trunci": _trunci,
    "sitofp": _sitofp,
    "uitofp": _uitofp,
    "fptosi": _fptosi,
    "fptoui": _fptoui,
    "extf": _float_convert,
    "truncf": _float_convert,
    "bitcast": _bitcast,
}


# --------------------------------------------------------------------------
# math


def libm(name: str, t: ScalarType) -> str:
    """The libm function NAME for type t: sqrtf for f32, sqrt for f64."""
    return f"{name}f" if t.name == "f32" else name


def math_unary(op: Op, short: str, args: Args) -> str:
    (x,) = args
    t = result_type(op)
    if short == "absi":
        return f"av_absi_{type_suffix(t)}({x})"
    if short == "rsqrt":
        one = "1.0f" if t.name == "f32" else "1.0"
        return f"{one} / {libm('sqrt', t)}({x})"
    if short in LIBM_EXACT:
        return f"{libm(LIBM_EXACT[short], t)}({x})"
    if short in LIBM_VIA_DOUBLE:
        return f"(float){short}({x})" if t.name == "f32" else f"{short}({x})"
    raise CompileError(f"'{op.name}' is not supported by the C code generator", op.span)


def math_powf(op: Op, short: str, args: Args) -> str:
    a, b = args
    t = result_type(op)
    return f"(float)pow({a}, {b})" if t.name == "f32" else f"pow({a}, {b})"


def math_fma(op: Op, short: str, args: Args) -> str:
    a, b, c = args
    return f"{libm('fma', result_type(op))}({a}, {b}, {c})"


_ARITH_OTHER: dict[str, Callable[[Op, str, Args], str]] = {
    "negf": negf,
    "cmpi": cmpi,
    "cmpf": cmpf,
    "select": select,
}
_MATH_OTHER: dict[str, Callable[[Op, str, Args], str]] = {
    "powf": math_powf,
    "fma": math_fma,
}
