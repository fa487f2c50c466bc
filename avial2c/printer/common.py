"""Op tables and helpers shared by the printers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from avial2c.ir import (
    INDEX,
    Block,
    Const,
    Item,
    Loop,
    Op,
    Operand,
    Task,
    Value,
    walk_ops,
)
from avial2c.ops import ARITH_CASTS, ARITH_FLOAT_BINARY, ARITH_INT_BINARY, MATH_OPS, RENAMED_OPS
from avial2c.printer.floats import float_bits, float_text, to_f32

BINARY_OPS = frozenset(
    [f"arith.{n}" for n in ARITH_INT_BINARY | ARITH_FLOAT_BINARY]
    + [f"math.{n}" for n in MATH_OPS]
    + ["arith.negf"]
)


CAST_OPS = frozenset(f"arith.{n}" for n in ARITH_CASTS)


# The terminator MLIR requires at the end of region K of an op, when the IR
# dropped it (because it had no operands).
TERMINATORS = {
    ("scf.for", 0): "scf.yield",
    ("scf.parallel", 0): "scf.reduce",
    ("scf.if", 0): "scf.yield",
    ("scf.if", 1): "scf.yield",
    ("scf.while", 1): "scf.yield",
    ("scf.execute_region", 0): "scf.yield",
    ("gpu.launch", 0): "gpu.terminator",
}


# Order of constants at the top of a task body.
TYPE_ORDER = ("index", "i1", "i8", "i16", "i32", "i64", "f32", "f64")


def op_name(op: Op) -> str:
    """The MLIR 22 name of OP (LLVM 16 spellings renamed)."""
    return RENAMED_OPS.get(op.name, op.name)


def terminator_needed(parent: Op, index: int) -> str | None:
    """The operand-less terminator to print at the end of region INDEX of PARENT."""
    name = TERMINATORS.get((parent.name, index))
    if name is None:
        return None
    block = parent.regions[index]
    if block.ops and block.ops[-1].name == name:
        return None
    return name


def is_empty_else(parent: Op, index: int) -> bool:
    """An scf.if without results and without an else: MLIR prints an empty region."""
    return (
        parent.name == "scf.if" and index == 1 and not parent.results
        and not parent.regions[1].ops
    )  # fmt: skip


def escape(text: str) -> str:
    """A string literal in MLIR's escaping (llvm::printEscapedString)."""
    out = []
    for byte in text.encode("utf-8"):
        if byte == 0x5C:
            out.append("\\\\")
        elif 0x20 <= byte <= 0x7E and byte != 0x22:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:02X}")
    return '"' + "".join(out) + '"'


def literal(c: Const) -> str:
    """The attribute text of a constant: `true`, `0 : index`, `1.500000e+00 : f32`."""
    t = c.type
    if t.is_float:
        return f"{float_text(float(c.value), t)} : {t}"
    if t.name == "i1":
        return "true" if int(c.value) & 1 else "false"
    return f"{int(c.value)} : {t}"


ConstKey = tuple[str, int]


def const_key(c: Const) -> ConstKey:
    """Constants with equal keys are the same constant (floats compared bitwise)."""
    t = c.type
    if t.is_float:
        return (t.name, float_bits(float(c.value), t))
    return (t.name, int(c.value))


def const_order(c: Const) -> tuple[int, int, float, int]:
    t = c.type
    rank = TYPE_ORDER.index(t.name)
    if not t.is_float:
        return (rank, 0, int(c.value), 0)
    value = to_f32(float(c.value)) if t.name == "f32" else float(c.value)
    if math.isnan(value):
        return (rank, 1, 0.0, float_bits(value, t))
    return (rank, 0, value, float_bits(value, t))


def task_constants(body: Block) -> list[Const]:
    """One constant per distinct (value, type) used in BODY, in a fixed order."""
    seen: dict[ConstKey, Const] = {}
    for op in walk_ops(body):
        for x in op.operands:
            if isinstance(x, Const):
                seen.setdefault(const_key(x), x)
    return sorted(seen.values(), key=const_order)


def loop_bounds(loop: Loop) -> tuple[Const, Const, Const]:
    """The lower bound, upper bound and step of LOOP as index constants."""
    return (Const(loop.lb, INDEX), Const(loop.ub, INDEX), Const(loop.step, INDEX))


def loop_constants(items: tuple[Item, ...]) -> list[Const]:
    """One index constant per distinct bound or step of the loops in ITEMS
    (nested ones included), in a fixed order: the schedule region's constants."""
    seen: dict[ConstKey, Const] = {}
    pending = list(items)
    while pending:
        item = pending.pop()
        if isinstance(item, Loop):
            for x in loop_bounds(item):
                seen.setdefault(const_key(x), x)
            pending.extend(item.body)
    return sorted(seen.values(), key=const_order)


def operand_type(x: Operand) -> str:
    return str(x.type)


def types_text(xs: tuple[Operand, ...]) -> str:
    return ", ".join(operand_type(x) for x in xs)


def results_signature(results: tuple[Value, ...]) -> str:
    if len(results) == 1:
        return operand_type(results[0])
    return f"({types_text(results)})"


@dataclass
class Lines:
    lines: list[str] = field(default_factory=list)

    def add(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def task_attributes(task: Task, typed: bool) -> str:
    """` {name = "x", rank = 1 : i64}` (sorted, as MLIR prints them), or nothing."""
    attrs = []
    if task.display_name is not None:
        attrs.append(f"name = {escape(task.display_name)}")
    if task.rank is not None:
        attrs.append(f"rank = {task.rank}{' : i64' if typed else ''}")
    if task.split is not None:
        attrs.append(f"split = {escape(task.split)}")
    return f" {{{', '.join(attrs)}}}" if attrs else ""


# Terminators that the custom form writes out (MLIR's parser adds the others).
EXPLICIT_TERMINATORS: dict[str, tuple[str, ...]] = {
    "scf.while": ("scf.yield",),
    "scf.execute_region": ("scf.yield",),
    "gpu.launch": ("gpu.terminator",),
}
