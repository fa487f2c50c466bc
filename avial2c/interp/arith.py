"""Closures for the arith and math ops, and the runtime value of constants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from avial2c.interp.base import Compiler, Env, Fn, Handler
from avial2c.interp.casts import cast
from avial2c.interp.math import fma, math_powf, math_unary
from avial2c.interp.scalars import cmpf, cmpi, float_binary, int_binary, negf, norm_fn, round_f32
from avial2c.ir import Const, Op, Operand, ScalarType
from avial2c.ops import (
    ARITH_CASTS,
    ARITH_FLOAT_BINARY,
    ARITH_INT_BINARY,
    CMPF_PREDICATES,
    CMPI_PREDICATES,
    MATH_UNARY,
)


def scalar_type(c: Compiler, x: Operand, op: Op) -> ScalarType:
    if not isinstance(x.type, ScalarType):
        raise c.error(f"'{op.name}': an operand or result has no scalar type", op)
    return x.type


def convert(value: Any, t: ScalarType) -> int | float:
    """A literal as the runtime value of type t."""
    if t.is_float:
        v = float(value)
        return round_f32(v) if t.name == "f32" else v
    return norm_fn(t.bits)(int(value))


def const_value(x: Const) -> int | float:
    return convert(x.value, x.type)


# --------------------------------------------------------------------------
# closure shapes


def apply1(f: Callable[[Any], Any], op: Op) -> Fn:
    (a,) = op.operands
    r = op.result

    def run(env: Env) -> None:
        env[r] = f(env[a])

    return run


def apply2(f: Callable[[Any, Any], Any], op: Op) -> Fn:
    a, b = op.operands
    r = op.result

    def run(env: Env) -> None:
        env[r] = f(env[a], env[b])

    return run


def apply3(f: Callable[[Any, Any, Any], Any], op: Op) -> Fn:
    a, b, x = op.operands
    r = op.result

    def run(env: Env) -> None:
        env[r] = f(env[a], env[b], env[x])

    return run


# --------------------------------------------------------------------------
# handlers


def short_name(op: Op) -> str:
    return op.name.partition(".")[2]


def int_op(c: Compiler, op: Op) -> Fn:
    t = scalar_type(c, op.result, op)
    if t.is_float:
        raise c.error(f"'{op.name}' needs an integer type, found {t}", op)
    return apply2(int_binary(short_name(op), t), op)


def float_op(c: Compiler, op: Op) -> Fn:
    t = scalar_type(c, op.result, op)
    if not t.is_float:
        raise c.error(f"'{op.name}' needs a float type, found {t}", op)
    return apply2(float_binary(short_name(op), t), op)


def predicate(c: Compiler, op: Op, names: tuple[str, ...]) -> str:
    p = op.attr("predicate")
    if isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(names):
        return names[p]
    if isinstance(p, str) and p in names:
        return p
    raise c.error(f"'{op.name}' has an unknown predicate {p!r}", op)


def cmpi_op(c: Compiler, op: Op) -> Fn:
    t = scalar_type(c, op.operands[0], op)
    return apply2(cmpi(predicate(c, op, CMPI_PREDICATES), t), op)


def cmpf_op(c: Compiler, op: Op) -> Fn:
    return apply2(cmpf(predicate(c, op, CMPF_PREDICATES)), op)


def select_op(c: Compiler, op: Op) -> Fn:
    cond, yes, no = op.operands
    r = op.result

    def run(env: Env) -> None:
        env[r] = env[yes] if env[cond] else env[no]

    return run


def negf_op(c: Compiler, op: Op) -> Fn:
    return apply1(negf, op)


def cast_op(c: Compiler, op: Op) -> Fn:
    src = scalar_type(c, op.operands[0], op)
    dst = scalar_type(c, op.result, op)
    try:
        f = cast(short_name(op), src, dst)
    except KeyError:
        raise c.error(f"'{op.name}' cannot convert {src} to {dst}", op) from None
    return apply1(f, op)


def constant_op(c: Compiler, op: Op) -> Fn:
    value = convert(op.attr("value", 0), scalar_type(c, op.result, op))
    r = op.result

    def run(env: Env) -> None:
        env[r] = value

    return run


def math_op(c: Compiler, op: Op) -> Fn:
    t = scalar_type(c, op.result, op)
    short = short_name(op)
    if short == "fma":
        return apply3(fma(t), op)
    if short == "powf":
        return apply2(math_powf(t), op)
    return apply1(math_unary(short, t), op)


HANDLERS: dict[str, Handler] = {
    **{f"arith.{n}": int_op for n in ARITH_INT_BINARY},
    **{f"arith.{n}": float_op for n in ARITH_FLOAT_BINARY},
    **{f"arith.{n}": cast_op for n in ARITH_CASTS},
    **{f"math.{n}": math_op for n in MATH_UNARY | {"powf", "fma"}},
    "arith.cmpi": cmpi_op,
    "arith.cmpf": cmpf_op,
    "arith.select": select_op,
    "arith.negf": negf_op,
    "arith.constant": constant_op,
}
