"""A name-free, span-free text of the IR, for comparing programs."""

from __future__ import annotations

from dataclasses import dataclass, field

from avial2c.ir import (
    AttrValue,
    Block,
    CheckedProgram,
    Const,
    Item,
    Loop,
    Op,
    Operand,
    ScalarType,
    Task,
    Value,
)
from avial2c.printer.common import Lines, escape, literal, op_name
from avial2c.printer.floats import float_text


def attr_text(v: AttrValue) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return escape(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(str(x) for x in v) + "]"
    if isinstance(v, float):
        return float_text(v, ScalarType("f64"))
    return str(v)


def canonical_const(c: Const) -> str:
    return f"const({literal(c)})"


@dataclass
class Canonical:
    """The IR as text, values numbered %v0, %v1, … in definition order."""

    values: dict[Value, str] = field(default_factory=dict)
    out: Lines = field(default_factory=Lines)

    def define(self, v: Value) -> str:
        self.values[v] = name = f"%v{len(self.values)}"
        return name

    def typed(self, v: Value) -> str:
        return f"{self.define(v)}: {v.type}"

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return canonical_const(x)
        return self.values.get(x, f"<undefined {x.name}>")

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def program(self, program: CheckedProgram) -> str:
        self.out.add(0, f"schedule({', '.join(self.typed(m) for m in program.memrefs)})")
        for t in program.targets:
            self.out.add(0, f"target {self.define(t.value)} arch {escape(t.arch)}")
        self.items(program.items, 0)
        return self.out.text()

    def items(self, items: tuple[Item, ...], depth: int) -> None:
        for item in items:
            if isinstance(item, Loop):
                self.loop(item, depth)
            else:
                self.task(item, depth)

    def loop(self, loop: Loop, depth: int) -> None:
        self.out.add(
            depth,
            f"for {self.typed(loop.iv)} = {loop.lb} to {loop.ub} step {loop.step} {{",
        )
        self.items(loop.body, depth + 1)
        self.out.add(depth, "}")

    def task(self, task: Task, depth: int) -> None:
        name = "none" if task.display_name is None else escape(task.display_name)
        rank = "none" if task.rank is None else str(task.rank)
        self.out.add(
            depth,
            f"task {self.define(task.value)} on {self.use(task.target.value)}"
            f" reads({self.uses(task.reads)}) writes({self.uses(task.writes)})"
            f" rank {rank} name {name}{' split ' + task.split if task.split else ''} {{",
        )
        self.block(task.body, depth + 1)
        self.out.add(depth, "}")

    def block(self, block: Block, depth: int) -> None:
        if block.args:
            self.out.add(depth, f"^({', '.join(self.typed(a) for a in block.args)})")
        for op in block.ops:
            self.op(op, depth)

    def op(self, op: Op, depth: int) -> None:
        results = ", ".join(self.define(r) for r in op.results)
        head = f"{results} = " if results else ""
        attrs = ", ".join(f"{k} = {attr_text(v)}" for k, v in sorted(op.attrs))
        sig = " : ({}) -> ({})".format(
            ", ".join(str(x.type) for x in op.operands),
            ", ".join(str(r.type) for r in op.results),
        )
        line = f"{head}{op_name(op)}({self.uses(op.operands)}) {{{attrs}}}{sig}"
        if not op.regions:
            self.out.add(depth, line)
            return
        self.out.add(depth, line + " {")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "} {")
            self.block(region, depth + 1)
        self.out.add(depth, "}")


def canonical(program: CheckedProgram) -> str:
    """A name- and span-free text of PROGRAM: equal programs give equal text."""
    return Canonical().program(program)


def programs_equal(a: CheckedProgram, b: CheckedProgram) -> bool:
    return canonical(a) == canonical(b)
