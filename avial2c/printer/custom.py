"""The typed custom form (``examples/seed_typed.mlir``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from avial2c.ir import (
    Block,
    CheckedProgram,
    Const,
    Item,
    Loop,
    Op,
    Operand,
    Task,
    Value,
    schedule_ivs,
)
from avial2c.ops import GPU_ID_OPS
from avial2c.printer.canonical import attr_text
from avial2c.printer.common import (
    BINARY_OPS,
    CAST_OPS,
    EXPLICIT_TERMINATORS,
    ConstKey,
    Lines,
    const_key,
    escape,
    is_empty_else,
    literal,
    loop_bounds,
    loop_constants,
    op_name,
    operand_type,
    results_signature,
    task_attributes,
    task_constants,
    terminator_needed,
    types_text,
)
from avial2c.printer.generic import generic_properties

NAME_RE = re.compile(r"[A-Za-z_$.\-][\w$.\-]*|[0-9]+", re.ASCII)


SYMBOL_RE = re.compile(r"[A-Za-z_][\w$.]*", re.ASCII)


def constant_name(c: Const) -> str:
    """The name MLIR gives an arith.constant: %c0, %c1_i32, %true, %cst."""
    t = c.type
    if t.is_float:
        return "cst"
    if t.name == "i1":
        return "true" if int(c.value) & 1 else "false"
    suffix = "" if t.name == "index" else f"_{t.name}"
    return f"c{int(c.value)}{suffix}"


@dataclass
class CustomNames:
    """Names in the custom form, unique in every scope as MLIR requires.

    A name stays visible in the regions nested below its definition and is
    free again once its region is closed, so sibling regions may reuse it.
    """

    scopes: list[set[str]] = field(default_factory=lambda: [set()])
    values: dict[Value, str] = field(default_factory=dict)
    constants: dict[ConstKey, str] = field(default_factory=dict)
    counter: int = 0

    def push(self) -> None:
        self.scopes.append(set())

    def pop(self) -> None:
        self.scopes.pop()

    def taken(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def claim(self, name: str) -> str:
        self.scopes[-1].add(name)
        return name

    def fresh(self) -> str:
        while self.taken(str(self.counter)):
            self.counter += 1
        return self.claim(str(self.counter))

    def preferred(self, want: str) -> str:
        """WANT when it is a valid free name, else a fresh number."""
        if NAME_RE.fullmatch(want) and not self.taken(want):
            return self.claim(want)
        return self.fresh()

    def define(self, v: Value) -> str:
        name = "%" + self.preferred(v.name)
        self.values[v] = name
        return name

    def define_results(self, results: tuple[Value, ...]) -> str:
        """Name an op's results, one name each: `%r` or `%sum, %count`."""
        return ", ".join(self.define(r) for r in results)

    def define_constant(self, c: Const, avoid: frozenset[str] = frozenset()) -> str:
        """Name constant C as MLIR would (`%c0`, `%c0_0` when taken), avoiding
        the names in AVOID too."""
        want = constant_name(c)
        name = want
        k = 0
        while self.taken(name) or name in avoid:
            name = f"{want}_{k}"
            k += 1
        self.constants[const_key(c)] = "%" + self.claim(name)
        return self.constants[const_key(c)]


@dataclass
class CustomPrinter:
    names: CustomNames = field(default_factory=CustomNames)
    out: Lines = field(default_factory=Lines)
    # The schedule region's constants (loop bounds and steps), by value.
    bounds: dict[ConstKey, str] = field(default_factory=dict)

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return self.names.constants[const_key(x)]
        name = self.names.values.get(x)
        if name is None:
            raise ValueError(f"value '%{x.name}' is used but not defined")
        return name

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def typed_uses(self, xs: tuple[Operand, ...]) -> str:
        """`%a, %b : i32, f32`."""
        return f"{self.uses(xs)} : {types_text(xs)}"

    def program(self, program: CheckedProgram) -> str:
        func = program.func_name or "main"
        shown = func if SYMBOL_RE.fullmatch(func) else escape(func)
        args = ", ".join(f"{self.names.define(m)}: {operand_type(m)}" for m in program.memrefs)
        self.out.add(0, f"func.func @{shown}({args}) {{")
        memrefs = program.memrefs
        head = "avial.schedule"
        if memrefs:
            head += f" {self.uses(memrefs)} : {types_text(memrefs)}"
        self.out.add(1, head + " {")
        for target in program.targets:
            name = self.names.define(target.value)
            self.out.add(2, f"{name} = avial.target {{arch = {escape(target.arch)}}}")
        # Loop bounds are constants of the schedule region, named apart from
        # the tasks and induction variables so that those keep their names.
        keep = frozenset(t.value.name for t in program.tasks)
        keep |= frozenset(iv.name for iv in schedule_ivs(program.items))
        for c in loop_constants(program.items):
            name = self.bounds[const_key(c)] = self.names.define_constant(c, keep)
            self.out.add(2, f"{name} = arith.constant {literal(c)}")
        for item in program.items:
            self.out.add(0, "")
            self.item(item, 2)
        self.out.add(1, "}")
        self.out.add(1, "return")
        self.out.add(0, "}")
        return self.out.text()

    def item(self, item: Item, depth: int) -> None:
        if isinstance(item, Loop):
            self.loop(item, depth)
        else:
            self.task(item, depth)

    def loop(self, loop: Loop, depth: int) -> None:
        """A time loop of the schedule; its body is a scope of its own."""
        lb, ub, step = (self.bounds[const_key(x)] for x in loop_bounds(loop))
        self.names.push()
        iv = self.names.define(loop.iv)
        self.out.add(depth, f"scf.for {iv} = {lb} to {ub} step {step} {{")
        for k, item in enumerate(loop.body):
            if k:
                self.out.add(0, "")
            self.item(item, depth + 1)
        self.names.pop()
        self.out.add(depth, "}")

    def task(self, task: Task, depth: int) -> None:
        head = f"{self.names.define(task.value)} = avial.task {self.use(task.target.value)}"
        if task.reads:
            head += f" reads({self.uses(task.reads)})"
        if task.writes:
            head += f" writes({self.uses(task.writes)})"
        self.out.add(depth, head + task_attributes(task, False) + " {")
        self.names.push()
        for c in task_constants(task.body):
            self.out.add(
                depth + 1, f"{self.names.define_constant(c)} = arith.constant {literal(c)}"
            )
        for op in task.body.ops:
            self.op(op, depth + 1)
        self.out.add(depth + 1, "avial.yield")
        self.names.pop()
        self.out.add(depth, "}")

    # One line per op; ops with regions print their own lines.

    def op(self, op: Op, depth: int) -> None:
        printer = REGION_OPS.get(op.name)
        if printer is not None:
            printer(self, op, depth)
            return
        body = self.simple(op)
        if body is None:
            self.generic(op, depth)
            return
        prefix = f"{self.names.define_results(op.results)} = " if op.results else ""
        self.out.add(depth, prefix + body)

    def simple(self, op: Op) -> str | None:
        """The text after `%r = ` of an op without regions, or None when unknown."""
        name, xs = op_name(op), op.operands
        if name in ("arith.cmpi", "arith.cmpf"):
            return f"{name} {op.attr('predicate')}, {self.uses(xs)} : {operand_type(xs[0])}"
        if name in BINARY_OPS or name == "arith.select":
            return f"{name} {self.uses(xs)} : {operand_type(op.results[0])}"
        if name in CAST_OPS:
            return (
                f"{name} {self.use(xs[0])} : {operand_type(xs[0])} to {operand_type(op.results[0])}"
            )
        return self.simple_memory(op, name, xs) or self.simple_control(op, name, xs)

    def simple_memory(self, op: Op, name: str, xs: tuple[Operand, ...]) -> str | None:
        if name == "memref.load":
            return f"{name} {self.use(xs[0])}[{self.uses(xs[1:])}] : {operand_type(xs[0])}"
        if name == "memref.store":
            return (
                f"{name} {self.use(xs[0])}, {self.use(xs[1])}[{self.uses(xs[2:])}]"
                f" : {operand_type(xs[1])}"
            )
        if name == "memref.dim":
            return f"{name} {self.uses(xs)} : {operand_type(xs[0])}"
        if name in ("memref.alloca", "memref.alloc") and not xs:
            return f"{name}() : {operand_type(op.results[0])}"
        if name == "memref.dealloc":
            return f"{name} {self.use(xs[0])} : {operand_type(xs[0])}"
        return None

    def simple_control(self, op: Op, name: str, xs: tuple[Operand, ...]) -> str | None:
        if name in GPU_ID_OPS:
            return f"{name} {op.attr('dimension', 'x')}"
        if name in ("gpu.barrier", "gpu.terminator") and not xs:
            return name
        if name == "scf.yield":
            return f"{name} {self.typed_uses(xs)}" if xs else name
        if name == "scf.reduce.return":
            return f"{name} {self.typed_uses(xs)}"
        if name == "scf.condition":
            rest = f" {self.typed_uses(xs[1:])}" if len(xs) > 1 else ""
            return f"{name}({self.use(xs[0])}){rest}"
        return None

    def generic(self, op: Op, depth: int) -> None:
        """An op without custom syntax here: MLIR's generic form, valid anywhere."""
        prefix = f"{self.names.define_results(op.results)} = " if op.results else ""
        props = generic_properties(op)
        attrs = [
            f"{k} = {attr_text(v)}" for k, v in op.attrs
            if not (op.name in GPU_ID_OPS and k == "dimension")
            and not (op.name in ("arith.cmpi", "arith.cmpf") and k == "predicate")
        ]  # fmt: skip
        head = f'{prefix}"{op_name(op)}"({self.uses(op.operands)})'
        if props:
            head += f" <{{{', '.join(props)}}}>"
        tail = f" {{{', '.join(attrs)}}}" if attrs else ""
        tail += f" : ({types_text(op.operands)}) -> {results_signature(op.results)}"
        if not op.regions:
            self.out.add(depth, head + tail)
            return
        self.out.add(depth, head + " ({")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth, labelled=True)
        self.out.add(depth, "})" + tail)

    # Regions

    def region(self, parent: Op, index: int, block: Block, depth: int, labelled: bool) -> None:
        """The body of region INDEX of PARENT; its args are defined already unless LABELLED."""
        if labelled:
            self.names.push()
            if block.args:
                args = ", ".join(f"{self.names.define(a)}: {operand_type(a)}" for a in block.args)
                self.out.add(depth, f"^bb0({args}):")
        for op in block.ops:
            self.op(op, depth + 1)
        term = terminator_needed(parent, index)
        if term is not None and term in EXPLICIT_TERMINATORS.get(parent.name, ()):
            self.out.add(depth + 1, term)
        if labelled:
            self.names.pop()

    def open_scope(self, args: tuple[Value, ...]) -> list[str]:
        """Open the scope of a region and define its ARGS in it; return their names."""
        self.names.push()
        return [self.names.define(a) for a in args]

    def close(self, op: Op, index: int, depth: int) -> None:
        self.region(op, index, op.regions[index], depth, labelled=False)
        self.names.pop()

    def results_prefix(self, op: Op) -> str:
        return f"{self.names.define_results(op.results)} = " if op.results else ""

    def scf_for(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        lb, ub, step, *inits = op.operands
        bounds = f"{self.use(lb)} to {self.use(ub)} step {self.use(step)}"
        block = op.regions[0]
        names = self.open_scope(block.args)
        head = f"{prefix}scf.for {names[0]} = {bounds}"
        if inits:
            pairs = ", ".join(f"{n} = {self.use(x)}" for n, x in zip(names[1:], inits, strict=True))
            head += f" iter_args({pairs}) -> ({types_text(op.results)})"
        iv_type = operand_type(block.args[0])
        if iv_type != "index":
            head += f" : {iv_type}"
        self.out.add(depth, head + " {")
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def scf_parallel(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        n = len(op.regions[0].args)
        lbs, ubs, steps = (self.uses(op.operands[k * n : (k + 1) * n]) for k in range(3))
        inits = op.operands[3 * n :]
        names = self.open_scope(op.regions[0].args)
        head = f"{prefix}scf.parallel ({', '.join(names)}) = ({lbs}) to ({ubs}) step ({steps})"
        if inits:
            head += f" init ({self.uses(inits)}) -> {results_signature(op.results)}"
        self.out.add(depth, head + " {")
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def scf_reduce(self, op: Op, depth: int) -> None:
        self.out.add(depth, f"scf.reduce({self.typed_uses(op.operands)}) {{")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth, labelled=True)
        self.out.add(depth, "}")

    def scf_if(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        types = f" -> ({types_text(op.results)})" if op.results else ""
        self.out.add(depth, f"{prefix}scf.if {self.use(op.operands[0])}{types} {{")
        self.open_scope(())
        self.close(op, 0, depth)
        if not is_empty_else(op, 1):
            self.out.add(depth, "} else {")
            self.open_scope(())
            self.close(op, 1, depth)
        self.out.add(depth, "}")

    def scf_while(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        before, after = op.regions
        names = self.open_scope(before.args)
        pairs = ", ".join(f"{n} = {self.use(x)}" for n, x in zip(names, op.operands, strict=True))
        inits = f" ({pairs})" if op.operands else ""
        sig = f"({types_text(op.operands)}) -> {results_signature(op.results)}"
        self.out.add(depth, f"{prefix}scf.while{inits} : {sig} {{")
        self.close(op, 0, depth)
        self.out.add(depth, "} do {")
        self.region(op, 1, after, depth, labelled=True)
        self.out.add(depth, "}")

    def scf_execute_region(self, op: Op, depth: int) -> None:
        prefix = self.results_prefix(op)
        types = f" -> {results_signature(op.results)}" if op.results else ""
        self.out.add(depth, f"{prefix}scf.execute_region{types} {{")
        self.open_scope(())
        self.close(op, 0, depth)
        self.out.add(depth, "}")

    def gpu_launch(self, op: Op, depth: int) -> None:
        if len(op.operands) != 6 or len(op.regions[0].args) != 12:
            self.generic(op, depth)  # not the checked, full form
            return
        names = self.open_scope(op.regions[0].args)
        sizes = [self.use(x) for x in op.operands]
        grid = ", ".join(f"{names[6 + d]} = {sizes[d]}" for d in range(3))
        block = ", ".join(f"{names[9 + d]} = {sizes[3 + d]}" for d in range(3))
        head = "gpu.launch "
        self.out.add(depth, f"{head}blocks({', '.join(names[0:3])}) in ({grid})")
        pad = " " * len(head)
        self.out.add(depth, f"{pad}threads({', '.join(names[3:6])}) in ({block}) {{")
        self.close(op, 0, depth)
        self.out.add(depth, "}")


REGION_OPS = {
    "scf.for": CustomPrinter.scf_for,
    "scf.parallel": CustomPrinter.scf_parallel,
    "scf.reduce": CustomPrinter.scf_reduce,
    "scf.if": CustomPrinter.scf_if,
    "scf.while": CustomPrinter.scf_while,
    "scf.execute_region": CustomPrinter.scf_execute_region,
    "gpu.launch": CustomPrinter.gpu_launch,
}


def print_custom(program: CheckedProgram) -> str:
    """PROGRAM in the typed custom form."""
    return CustomPrinter().program(program)
