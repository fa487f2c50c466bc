"""Building IR by hand, for unit tests of the stages after the checker.

A program built here is a raw :class:`~avial2c.ir.Program`; the planner,
interpreter, printers and code generators take a
:class:`~avial2c.ir.CheckedProgram`, so a test hands it to :func:`checked`
first (the checker accepts typed programs as well as the seed form, and
rebuilds every value: keep what the test needs by name or position, not by
identity).  Not a test module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from avial2c.check.checker import check_program
from avial2c.diagnostics import DiagnosticEngine
from avial2c.ir import (
    Block,
    CheckedProgram,
    Const,
    MemRefType,
    Op,
    Operand,
    Program,
    ScalarType,
    Target,
    TargetType,
    Task,
    TaskType,
    Type,
    Value,
    make_attrs,
)


def checked(program: Program, infer_accesses: bool = False) -> CheckedProgram:
    """PROGRAM through the checker; an error fails the test."""
    engine = DiagnosticEngine()
    result = check_program(program, engine, infer_accesses=infer_accesses)
    assert result is not None and not engine.has_errors, engine.render()
    return result


def memref(shape: tuple[int, ...], elem: ScalarType, space: str | None = None) -> MemRefType:
    return MemRefType(shape, elem, space)


def v(name: str, t: Type) -> Value:
    return Value(name, t)


def c(value: int | float, t: ScalarType) -> Const:
    return Const(value, t)


@dataclass
class Body:
    """Appends ops to a block; each method returns the op's result(s)."""

    ops: list[Op] = field(default_factory=list)

    def add(
        self,
        name: str,
        operands: tuple[Operand, ...] = (),
        results: tuple[Value, ...] = (),
        regions: tuple[Block, ...] = (),
    ) -> tuple[Value, ...]:
        self.ops.append(Op(name, operands, results, (), regions))
        return results

    def op(self, name: str, result: Value, *operands: Operand, **attrs: str) -> Value:
        self.ops.append(Op(name, operands, (result,), make_attrs(**attrs)))
        return result

    def block(self, *args: Value) -> Block:
        return Block(args, tuple(self.ops))


def task(
    name: str,
    target: Target,
    reads: tuple[Value, ...],
    writes: tuple[Value, ...],
    body: Block,
    rank: int | None = None,
    display: str | None = None,
) -> Task:
    return Task(v(name, TaskType()), target, reads, writes, body, rank, display)


def target(name: str, arch: str) -> Target:
    return Target(v(name, TargetType()), arch)
