"""MLIR's generic op form, exactly as ``mlir-opt --mlir-print-op-generic`` prints it."""

from __future__ import annotations

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
)
from avial2c.ops import CMPF_PREDICATES, CMPI_PREDICATES, FASTMATH_OPS, GPU_ID_OPS, OVERFLOW_OPS
from avial2c.printer.common import (
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

LAUNCH_SEGMENTS = "array<i32: 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0>"


@dataclass
class GenericNames:
    """Names as MLIR's SSANameState gives them in generic form.

    Regions are numbered from a stack (the last region pushed first), block
    arguments as %argN and op results as %N with one number per op, and
    numbers are never reused (--mlir-print-op-generic implies unique ids).
    """

    values: dict[Value, str] = field(default_factory=dict)
    constants: dict[Task, dict[ConstKey, str]] = field(default_factory=dict)
    # The schedule region's constants: the bounds and steps of its loops.
    bounds: dict[ConstKey, str] = field(default_factory=dict)
    next_value: int = 0
    next_arg: int = 0

    @classmethod
    def of(cls, program: CheckedProgram) -> GenericNames:
        names = cls()
        for m in program.memrefs:
            names.arg(m)
        # The schedule region, in op order: targets, constants, then tasks and loops.
        for t in program.targets:
            names.result(t.value)
        for c in loop_constants(program.items):
            names.bounds[const_key(c)] = f"%{names.next_value}"
            names.next_value += 1
        pending: list[Item | Block] = names.items(program.items)
        while pending:
            pending.extend(names.region(pending.pop()))
        return names

    def items(self, items: tuple[Item, ...]) -> list[Item | Block]:
        """Number the results of ITEMS (tasks; loops have none); return their regions."""
        for item in items:
            if isinstance(item, Task):
                self.result(item.value)
        return list(items)

    def task_constants(self, task: Task) -> None:
        table = self.constants[task] = {}
        for c in task_constants(task.body):
            table[const_key(c)] = f"%{self.next_value}"
            self.next_value += 1

    def arg(self, v: Value) -> None:
        self.values[v] = f"%arg{self.next_arg}"
        self.next_arg += 1

    def result(self, v: Value) -> None:
        self.values[v] = f"%{self.next_value}"
        self.next_value += 1

    def op_results(self, op: Op) -> None:
        if len(op.results) == 1:
            self.result(op.results[0])
            return
        for k, r in enumerate(op.results):
            self.values[r] = f"%{self.next_value}#{k}"
        self.next_value += 1

    def region(self, item: Item | Block) -> list[Item | Block]:
        """Number one region (a task body starts with its constants, a loop body
        holds tasks and loops); return its nested regions."""
        if isinstance(item, Loop):
            self.arg(item.iv)
            return self.items(item.body)
        if isinstance(item, Task):
            self.task_constants(item)
        block = item.body if isinstance(item, Task) else item
        for a in block.args:
            self.arg(a)
        for op in block.ops:
            if op.results:
                self.op_results(op)
        regions: list[Item | Block] = [r for op in block.ops for r in op.regions]
        return regions


def result_group(names: list[str]) -> str:
    """`%5 = `, `%5:2 = ` or nothing, from the names of an op's results."""
    if not names:
        return ""
    if len(names) == 1:
        return f"{names[0]} = "
    return f"{names[0].partition('#')[0]}:{len(names)} = "


def generic_properties(op: Op) -> list[str]:
    name = op_name(op)
    props: list[str] = []
    if name in FASTMATH_OPS:
        props.append("fastmath = #arith.fastmath<none>")
    if name in OVERFLOW_OPS:
        props.append("overflowFlags = #arith.overflow<none>")
    if name == "arith.cmpi":
        props.append(f"predicate = {CMPI_PREDICATES.index(str(op.attr('predicate')))} : i64")
    elif name == "arith.cmpf":
        props.append(f"predicate = {CMPF_PREDICATES.index(str(op.attr('predicate')))} : i64")
    elif name == "scf.parallel":
        n = len(op.regions[0].args)
        props.append(f"operandSegmentSizes = array<i32: {n}, {n}, {n}, {len(op.operands) - 3 * n}>")
    elif name in ("memref.alloca", "memref.alloc"):
        props.append("operandSegmentSizes = array<i32: 0, 0>")
    elif name in GPU_ID_OPS:
        props.append(f"dimension = #gpu<dim {op.attr('dimension', 'x')}>")
    elif name == "gpu.launch":
        props.append(f"operandSegmentSizes = {LAUNCH_SEGMENTS}")
    return props


@dataclass
class GenericPrinter:
    names: GenericNames
    out: Lines = field(default_factory=Lines)
    constants: dict[ConstKey, str] = field(default_factory=dict)

    def use(self, x: Operand) -> str:
        if isinstance(x, Const):
            return self.constants[const_key(x)]
        name = self.names.values.get(x)
        if name is None:
            raise ValueError(f"value '%{x.name}' is used but not defined")
        return name

    def uses(self, xs: tuple[Operand, ...]) -> str:
        return ", ".join(self.use(x) for x in xs)

    def program(self, program: CheckedProgram) -> str:
        func = program.func_name or "main"
        memrefs = program.memrefs
        sig = f"({types_text(memrefs)}) -> ()"
        self.out.add(0, '"builtin.module"() ({')
        self.out.add(1, f'"func.func"() <{{function_type = {sig}, sym_name = {escape(func)}}}> ({{')
        if memrefs:
            args = ", ".join(f"{self.use(m)}: {operand_type(m)}" for m in memrefs)
            self.out.add(1, f"^bb0({args}):")
        self.out.add(2, f'"avial.schedule"({self.uses(memrefs)}) ({{')
        for target in program.targets:
            self.out.add(
                3,
                f'{self.use(target.value)} = "avial.target"() {{arch = {escape(target.arch)}}}'
                " : () -> !avial.target",
            )
        for c in loop_constants(program.items):
            self.out.add(
                3,
                f'{self.names.bounds[const_key(c)]} = "arith.constant"() '
                f"<{{value = {literal(c)}}}> : () -> index",
            )
        for item in program.items:
            self.item(item, 3)
        self.out.add(3, '"avial.yield"() : () -> ()')
        self.out.add(2, f"}}) : ({types_text(memrefs)}) -> ()")
        self.out.add(2, '"func.return"() : () -> ()')
        self.out.add(1, "}) : () -> ()")
        self.out.add(0, "}) : () -> ()")
        return self.out.text()

    def item(self, item: Item, depth: int) -> None:
        if isinstance(item, Loop):
            self.loop(item, depth)
        else:
            self.task(item, depth)

    def loop(self, loop: Loop, depth: int) -> None:
        bounds = ", ".join(self.names.bounds[const_key(x)] for x in loop_bounds(loop))
        self.out.add(depth, f'"scf.for"({bounds}) ({{')
        self.out.add(depth, f"^bb0({self.use(loop.iv)}: index):")
        for item in loop.body:
            self.item(item, depth + 1)
        self.out.add(depth + 1, '"scf.yield"() : () -> ()')
        self.out.add(depth, "}) : (index, index, index) -> ()")

    def task(self, task: Task, depth: int) -> None:
        operands = (task.target.value, *task.reads, *task.writes)
        sizes = f"array<i32: 1, {len(task.reads)}, {len(task.writes)}>"
        self.out.add(
            depth,
            f'{self.use(task.value)} = "avial.task"({self.uses(operands)}) '
            f"<{{operandSegmentSizes = {sizes}}}> ({{",
        )
        self.constants = self.names.constants[task]
        for c in task_constants(task.body):
            t = c.type
            self.out.add(
                depth + 1,
                f'{self.use(c)} = "arith.constant"() <{{value = {literal(c)}}}> : () -> {t}',
            )
        for op in task.body.ops:
            self.op(op, depth + 1)
        self.out.add(depth + 1, '"avial.yield"() : () -> ()')
        self.out.add(
            depth,
            f"}}){task_attributes(task, True)} : ({types_text(operands)}) -> !avial.task",
        )

    def op(self, op: Op, depth: int) -> None:
        head = result_group([self.use(r) for r in op.results])
        props = generic_properties(op)
        head += f'"{op_name(op)}"({self.uses(op.operands)})'
        if props:
            head += f" <{{{', '.join(props)}}}>"
        tail = f" : ({types_text(op.operands)}) -> {results_signature(op.results)}"
        if op.name == "gpu.launch":
            tail = " {workgroup_attributions = 0 : i64}" + tail
        if not op.regions:
            self.out.add(depth, head + tail)
            return
        self.out.add(depth, head + " ({")
        for k, region in enumerate(op.regions):
            if k:
                self.out.add(depth, "}, {")
            self.region(op, k, region, depth)
        self.out.add(depth, "})" + tail)

    def region(self, parent: Op, index: int, block: Block, depth: int) -> None:
        if is_empty_else(parent, index):
            return
        if block.args:
            args = ", ".join(f"{self.use(a)}: {operand_type(a)}" for a in block.args)
            self.out.add(depth, f"^bb0({args}):")
        for op in block.ops:
            self.op(op, depth + 1)
        term = terminator_needed(parent, index)
        if term is not None:
            self.out.add(depth + 1, f'"{term}"() : () -> ()')


def print_generic(program: CheckedProgram) -> str:
    """PROGRAM in MLIR's generic op form, as mlir-opt --mlir-print-op-generic prints it
    (byte for byte, the blank line at the end included)."""
    return GenericPrinter(GenericNames.of(program)).program(program) + "\n"
