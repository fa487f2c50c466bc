"""The checker: raw IR → checked IR.

Phases, each a small function over the immutable program:

1. targets: known arch names;
2. types: unification over all task bodies (``types.TypeSolver``), shapes of
   untyped memrefs from the constant loop bounds that index them;
3. rules that need resolved types (integer vs float ops, index counts,
   constant indices in bounds, where GPU constructs may appear);
4. rebuild: a new program with every type filled in, then every
   ``gpu.launch`` lowered to its full form (:mod:`avial2c.transforms.expand_launch`);
5. accesses: declared reads/writes against the bodies (or ``--infer-accesses``).

Notes (one per inferred memref type), warnings and errors go to the engine.
The result is a :class:`~avial2c.ir.CheckedProgram` (every value typed), or
None when an error was reported: there is no half-checked program to go on
with.  Until the rebuild, the phases read ``known_type`` (None for a value
the seed form leaves untyped); after it, every value has a type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from avial2c.check.split import CannotSplit, row_split
from avial2c.check.types import Key, TypeSolver
from avial2c.diagnostics import DiagnosticEngine
from avial2c.ir import (
    CPU_ARCHS,
    I1,
    INDEX,
    Block,
    CheckedProgram,
    Const,
    MemRefType,
    Op,
    Operand,
    Program,
    ScalarType,
    Span,
    Target,
    TargetType,
    Task,
    TaskType,
    Value,
    is_gpu_arch,
    schedule_ivs,
    walk_ops,
    with_tasks,
)
from avial2c.ops import (
    ARITH_CASTS,
    ARITH_FLOAT_BINARY,
    ARITH_INT_BINARY,
    CAST_OPERAND_KIND,
    CAST_RESULT_KIND,
    GPU_IDS,
    MATH_OPS,
    int_fits,
    normalize_int,
)
from avial2c.transforms.expand_launch import expand_launches

# The CUDA compute capabilities (nvcc decides at build time which it can compile for).
GPU_ARCHS = (
    "gpu", "sm_70", "sm_72", "sm_75", "sm_80", "sm_86", "sm_87", "sm_88", "sm_89", "sm_90",
    "sm_90a", "sm_100", "sm_100a", "sm_100f", "sm_101", "sm_101a", "sm_103", "sm_103a",
    "sm_110", "sm_110a", "sm_120", "sm_120a", "sm_120f", "sm_121", "sm_121a",
)  # fmt: skip
KNOWN_ARCHS = CPU_ARCHS + GPU_ARCHS




def check_program(
    raw: Program, engine: DiagnosticEngine, infer_accesses: bool = False
) -> CheckedProgram | None:
    """Check RAW; the checked program, or None when errors were reported to ENGINE."""
    check_targets(raw, engine)
    schedule = set(raw.memrefs)
    solver = TypeSolver(engine)
    for task in raw.tasks:
        Constrainer(solver, schedule, engine).block(task.body)
    if engine.has_errors:
        return None
    typer = Typer(raw, solver, engine)
    if engine.has_errors:
        return None
    for task in raw.tasks:
        check_task_rules(task, typer, engine)
    if engine.has_errors:
        return None
    program = expand_launches(Rebuilder(raw, typer).program())
    program = check_accesses(program, engine, infer_accesses)
    check_splits(program, engine)
    return None if engine.has_errors else CheckedProgram.of(program)


def check_splits(program: Program, engine: DiagnosticEngine) -> None:
    """A task with {split = "rows"} must be one the planner can split."""
    for task in program.tasks:
        if task.split is None:
            continue
        try:
            row_split(task)
        except CannotSplit as e:
            engine.error(f"cannot split '%{task.value.name}' by rows: {e.message}",
                         e.op.span if e.op is not None else task.span)  # fmt: skip


# --------------------------------------------------------------------------
# 1. targets


def check_targets(program: Program, engine: DiagnosticEngine) -> None:
    for t in program.targets:
        if t.arch not in KNOWN_ARCHS:
            engine.error(
                f"unknown arch '{t.arch}' for 'avial.target'; expected a CPU "
                f"({', '.join(CPU_ARCHS)}) or a CUDA arch ({', '.join(GPU_ARCHS)})",
                t.span,
            )
    for task in program.tasks:
        if task.rank is not None and task.rank < 0:
            engine.error(f"'rank' of task '%{task.value.name}' must be >= 0", task.span)


# --------------------------------------------------------------------------
# 2. type constraints


def elem_key(memref: Value) -> Key:
    return ("elem", memref)


@dataclass
class Constrainer:
    solver: TypeSolver
    schedule: set[Value]
    engine: DiagnosticEngine

    def block(self, block: Block) -> None:
        for arg in block.args:
            self.node(arg)
        for op in block.ops:
            self.op(op)

    def node(self, x: Operand) -> Key:
        """Register a scalar value or constant; fix its type when written."""
        if isinstance(x.known_type, ScalarType):
            self.solver.fix(x, x.known_type, x.span, "this value")
        elif isinstance(x, Value) and (isinstance(x.known_type, MemRefType) or x in self.schedule):
            self.engine.error(f"expected a scalar, but '%{x.name}' is a memref", x.span)
        else:
            self.solver.register(x)
        if isinstance(x, Const) and isinstance(x.value, float):
            self.solver.hint(x, "float", "a float literal")
        return x

    def memref(self, x: Operand, op: Op) -> Value | None:
        if isinstance(x, Value) and (isinstance(x.known_type, MemRefType) or x in self.schedule):
            key = elem_key(x)
            if isinstance(x.known_type, MemRefType):
                self.solver.fix(key, x.known_type.elem, x.span, f"element type of '%{x.name}'")
            else:
                self.solver.register(key)
            return x
        shown = f"'%{x.name}'" if isinstance(x, Value) else "a constant"
        self.engine.error(f"'{op.name}' needs a memref operand, but {shown} is not a memref", op.span)
        return None

    def same(self, xs: Iterable[Operand], op: Op, hint: str | None = None) -> None:
        keys = [self.node(x) for x in xs]
        what = f"operands and results of '{op.name}' must have the same type"
        for k in keys[1:]:
            self.solver.unify(keys[0], k, op.span, what)
        if hint and keys:
            self.solver.hint(keys[0], hint, f"from '{op.name}'")

    def fix(self, x: Operand, t: ScalarType, op: Op, role: str) -> None:
        self.solver.fix(self.node(x), t, op.span, f"{role} of '{op.name}' must be {t}")

    def op(self, op: Op) -> None:
        dialect, _, short = op.name.partition(".")
        handler = getattr(self, f"op_{dialect}", None)
        if handler is not None:
            handler(op, short)
        for region in op.regions:
            self.block(region)
        if op.name.startswith("scf."):
            self.scf_regions(op, short)

    def op_arith(self, op: Op, short: str) -> None:
        if short in ARITH_INT_BINARY:
            self.same((*op.operands, *op.results), op, "int")
        elif short in ARITH_FLOAT_BINARY or short == "negf":
            self.same((*op.operands, *op.results), op, "float")
        elif short in ("cmpi", "cmpf"):
            self.same(op.operands, op, "int" if short == "cmpi" else "float")
            self.fix(op.result, I1, op, "the result")
        elif short == "select":
            self.fix(op.operands[0], I1, op, "the condition")
            self.same((*op.operands[1:], *op.results), op)
        elif short in ARITH_CASTS:
            if short != "bitcast":
                self.solver.hint(self.node(op.operands[0]), CAST_OPERAND_KIND[short], "")
                self.solver.hint(self.node(op.result), CAST_RESULT_KIND[short], "")
            else:
                self.node(op.operands[0])
                self.node(op.result)

    def op_math(self, op: Op, short: str) -> None:
        if short in MATH_OPS:
            self.same((*op.operands, *op.results), op, "int" if short == "absi" else "float")

    def op_memref(self, op: Op, short: str) -> None:
        if short in ("load", "store"):
            m_index = 0 if short == "load" else 1
            m = self.memref(op.operands[m_index], op)
            for i in op.operands[m_index + 1 :]:
                self.fix(i, INDEX, op, "indices")
            if m is None:
                return
            value = op.result if short == "load" else op.operands[0]
            what = f"'{op.name}' value and the element type of '%{m.name}' must agree"
            self.solver.unify(elem_key(m), self.node(value), op.span, what)
        elif short == "dim":
            self.memref(op.operands[0], op)
            self.fix(op.operands[1], INDEX, op, "the index")
            self.fix(op.result, INDEX, op, "the result")
        elif short in ("alloca", "alloc"):
            t = op.result.known_type
            if not isinstance(t, MemRefType):
                self.engine.error(f"'{op.name}' needs a memref result type", op.span)
                return
            self.memref(op.result, op)
        elif short == "dealloc":
            self.memref(op.operands[0], op)

    def op_gpu(self, op: Op, short: str) -> None:
        if short == "launch":
            for x in op.operands:
                self.fix(x, INDEX, op, "launch sizes")
            for a in op.regions[0].args:
                self.fix(a, INDEX, op, "launch ids")
        elif short in GPU_IDS:
            self.fix(op.result, INDEX, op, "the result")

    def op_scf(self, op: Op, short: str) -> None:
        if short == "for":
            lb, ub, step, *inits = op.operands
            iv = op.regions[0].args[0]
            self.same((lb, ub, step, iv), op, "int")
            self.same_each(op, inits, op.regions[0].args[1:], op.results)
        elif short == "parallel":
            n = len(op.regions[0].args)
            for x in (*op.operands[: 3 * n], *op.regions[0].args):
                self.fix(x, INDEX, op, "bounds and induction variables")
            self.same_each(op, op.operands[3 * n :], op.results)
        elif short == "if":
            self.fix(op.operands[0], I1, op, "the condition")
        elif short == "while":
            self.same_each(op, op.operands, op.regions[0].args)
            self.same_each(op, op.results, op.regions[1].args)

    def scf_regions(self, op: Op, short: str) -> None:
        """Tie region terminators to their parent's results (after the regions were seen)."""
        if short == "for":
            self.same_each(op, self.yielded(op.regions[0]), op.results)
        elif short in ("if", "execute_region"):
            for region in op.regions:
                if region.ops or short == "execute_region":
                    self.same_each(op, self.yielded(region), op.results)
        elif short == "while":
            cond = self.terminator(op.regions[0], "scf.condition")
            if cond is not None:
                self.fix(cond.operands[0], I1, cond, "the condition")
                self.same_each(op, cond.operands[1:], op.results)
            self.same_each(op, self.yielded(op.regions[1]), op.regions[0].args)
        elif short == "parallel":
            red = self.terminator(op.regions[0], "scf.reduce")
            if red is not None:
                self.same_each(op, red.operands, op.results)
                for value, region in zip(red.operands, red.regions, strict=False):
                    ret = self.terminator(region, "scf.reduce.return")
                    self.same((value, *region.args, *(ret.operands if ret else ())), red)

    def terminator(self, block: Block, name: str) -> Op | None:
        if block.ops and block.ops[-1].name == name:
            return block.ops[-1]
        return None

    def yielded(self, block: Block) -> tuple[Operand, ...]:
        term = self.terminator(block, "scf.yield")
        return term.operands if term else ()

    def same_each(self, op: Op, *groups: Iterable[Operand]) -> None:
        lists = [tuple(g) for g in groups]
        count = len(lists[0])
        if any(len(g) != count for g in lists):
            sizes = " vs ".join(str(len(g)) for g in lists)
            self.engine.error(f"'{op.name}': number of values does not match ({sizes})", op.span)
            return
        for items in zip(*lists, strict=True):
            self.same(items, op)


# --------------------------------------------------------------------------
# Resolution: scalar types, memref types (with shapes inferred)


Range = tuple[int, int]


@dataclass
class Typer:
    """Resolved types of a raw program; reports what cannot be determined."""

    raw: Program
    solver: TypeSolver
    engine: DiagnosticEngine
    memref_types: dict[Value, MemRefType] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shapes = ShapeInference(self.raw, self.engine).run()
        for m in self.raw.memrefs:
            self.memref_types_for(m, shapes)

    def memref_types_for(self, m: Value, shapes: dict[Value, tuple[int, ...]]) -> None:
        if isinstance(m.known_type, MemRefType):
            self.memref_types[m] = m.known_type
            return
        elem, why = self.solver.resolve(elem_key(m)) if self.solver.known(elem_key(m)) else (None, "")
        shape = shapes.get(m)
        if elem is None or shape is None:
            missing = "element type" if shape is not None else "shape"
            self.engine.error(
                f"cannot determine the type of memref '%{m.name}' (its {missing} is unknown); "
                f"annotate it, e.g. 'avial.schedule %{m.name} : memref<20xi32>'",
                m.span,
            )
            return
        t = MemRefType(shape, elem)
        self.memref_types[m] = t
        how = f"element type {why}" if why else "element type from its loads and stores"
        self.engine.note(
            f"inferred type {t} for '%{m.name}' (shape from the loop bounds that index it, {how})",
            m.span,
            "inferred-type",
        )

    def scalar(self, x: Operand) -> ScalarType:
        if isinstance(x.known_type, ScalarType):
            return x.known_type
        t, _ = self.solver.resolve(x)
        if t is None:
            what = f"'%{x.name}'" if isinstance(x, Value) else "this literal"
            self.engine.error(f"cannot determine the type of {what}; write it with a type", x.span)
            return INDEX
        return t

    def memref(self, v: Value) -> MemRefType:
        if isinstance(v.known_type, MemRefType):
            return v.known_type
        return self.memref_types[v]

    def is_memref(self, x: Operand) -> bool:
        return isinstance(x, Value) and (
            isinstance(x.known_type, MemRefType) or x in self.memref_types
        )


@dataclass
class ShapeInference:
    """Shapes of untyped schedule memrefs, from the ranges of their indices."""

    program: Program
    engine: DiagnosticEngine
    ranges: dict[Value, Range] = field(default_factory=dict)
    extents: dict[Value, list[int | None]] = field(default_factory=dict)

    def run(self) -> dict[Value, tuple[int, ...]]:
        untyped = {m for m in self.program.memrefs if m.known_type is None}
        for task in self.program.tasks:
            for op in walk_ops(task.body):
                self.visit(op, untyped)
        shapes: dict[Value, tuple[int, ...]] = {}
        for m, dims in self.extents.items():
            if all(d is not None for d in dims):
                shapes[m] = tuple(d for d in dims if d is not None)
        return shapes

    def range_of(self, x: Operand) -> Range | None:
        if isinstance(x, Const):
            return (int(x.value), int(x.value))
        return self.ranges.get(x)

    def visit(self, op: Op, untyped: set[Value]) -> None:
        if op.name in ("scf.for", "scf.parallel"):
            self.loop_ranges(op)
        elif op.name == "gpu.launch" and len(op.operands) == 6:
            self.launch_ranges(op)
        elif op.name in ("arith.addi", "arith.subi", "arith.muli"):
            self.arith_range(op)
        elif op.name in ("memref.load", "memref.store"):
            m_index = 0 if op.name == "memref.load" else 1
            m = op.operands[m_index]
            if isinstance(m, Value) and m in untyped:
                self.access(m, op.operands[m_index + 1 :], op)

    def loop_ranges(self, op: Op) -> None:
        ivs = op.regions[0].args if op.name == "scf.parallel" else op.regions[0].args[:1]
        n = len(ivs)
        for k, iv in enumerate(ivs):
            lo, hi, step = (self.range_of(op.operands[k + j * n]) for j in range(3))
            if lo is None or hi is None or step is None or step[0] != step[1] or step[0] <= 0:
                continue
            first, end = lo[0], hi[1]
            if end <= first:
                continue
            last = first + (end - 1 - first) // step[0] * step[0]
            self.ranges[iv] = (first, last)

    def launch_ranges(self, op: Op) -> None:
        sizes = [self.range_of(x) for x in op.operands]
        args = op.regions[0].args
        for d in range(3):
            grid, block = sizes[d], sizes[3 + d]
            if grid is not None:
                self.ranges[args[d]] = (0, grid[1] - 1)
            if block is not None:
                self.ranges[args[3 + d]] = (0, block[1] - 1)

    def arith_range(self, op: Op) -> None:
        a, b = (self.range_of(x) for x in op.operands)
        if a is None or b is None:
            return
        if op.name == "arith.addi":
            self.ranges[op.result] = (a[0] + b[0], a[1] + b[1])
        elif op.name == "arith.subi":
            self.ranges[op.result] = (a[0] - b[1], a[1] - b[0])
        else:
            products = [x * y for x in a for y in b]
            self.ranges[op.result] = (min(products), max(products))

    def access(self, m: Value, indices: tuple[Operand, ...], op: Op) -> None:
        dims = self.extents.get(m)
        if dims is None:
            dims = self.extents[m] = [None] * len(indices)
        elif len(dims) != len(indices):
            self.engine.error(
                f"'%{m.name}' is indexed with {len(indices)} indices here but "
                f"{len(dims)} elsewhere",
                op.span,
            )
            return
        for d, x in enumerate(indices):
            r = self.range_of(x)
            if r is not None and r[1] >= 0:
                dims[d] = max(dims[d] or 0, r[1] + 1)


# --------------------------------------------------------------------------
# 3. rules over resolved types


def check_task_rules(task: Task, typer: Typer, engine: DiagnosticEngine) -> None:
    on_gpu = is_gpu_arch(task.target.arch)
    for op in task.body.ops:
        if on_gpu and op.name != "gpu.launch":
            engine.error(
                f"task '%{task.value.name}' runs on GPU target '%{task.target.value.name}' "
                f"({task.target.arch}), so its work must be inside 'gpu.launch'; "
                f"found '{op.name}'",
                op.span,
            )
    check_block_rules(task.body, typer, engine, in_launch=False, top=True)


def check_block_rules(
    block: Block, typer: Typer, engine: DiagnosticEngine, in_launch: bool, top: bool
) -> None:
    for op in block.ops:
        check_op_rules(op, typer, engine, in_launch, top)
        inner = in_launch or op.name == "gpu.launch"
        for region in op.regions:
            check_block_rules(region, typer, engine, inner, top=False)


def check_op_rules(
    op: Op, typer: Typer, engine: DiagnosticEngine, in_launch: bool, top: bool
) -> None:
    dialect, _, short = op.name.partition(".")
    if op.name == "gpu.launch":
        if not top:
            engine.error("'gpu.launch' must be at the top level of a task body", op.span)
        if any(not isinstance(x, Const) for x in op.operands):
            engine.error("the grid and block sizes of 'gpu.launch' must be constants", op.span)
        elif any(int(x.value) < 1 for x in op.operands if isinstance(x, Const)):
            engine.error("the grid and block sizes of 'gpu.launch' must be at least 1", op.span)
    elif op.name == "gpu.barrier" and not in_launch:
        engine.error("'gpu.barrier' is only allowed inside 'gpu.launch'", op.span)
    elif op.name in ("memref.alloca", "memref.alloc"):
        t = op.result.known_type
        if isinstance(t, MemRefType) and t.space == "workgroup" and not in_launch:
            engine.error("workgroup memory can only be allocated inside 'gpu.launch'", op.span)
    elif op.name in ("memref.load", "memref.store"):
        check_indices(op, typer, engine)
    elif dialect == "arith" or dialect == "math":
        check_arith_kind(op, short, typer, engine)
    for x in op.operands:
        check_literal(x, typer, engine)


def check_indices(op: Op, typer: Typer, engine: DiagnosticEngine) -> None:
    m_index = 0 if op.name == "memref.load" else 1
    m = op.operands[m_index]
    if not isinstance(m, Value) or not typer.is_memref(m):
        return
    t = typer.memref(m)
    indices = op.operands[m_index + 1 :]
    if len(indices) != len(t.shape):
        engine.error(
            f"'{op.name}' of '%{m.name}' ({t}) needs {len(t.shape)} indices, found {len(indices)}",
            op.span,
        )
        return
    for d, x in enumerate(indices):
        if isinstance(x, Const) and not 0 <= int(x.value) < t.shape[d]:
            engine.error(
                f"index {int(x.value)} is out of bounds for dimension {d} of '%{m.name}' "
                f"({t}, valid indices 0..{t.shape[d] - 1})",
                x.span if x.span.line == op.span.line else op.span,
            )


def check_arith_kind(op: Op, short: str, typer: Typer, engine: DiagnosticEngine) -> None:
    if short in ARITH_INT_BINARY or short in ("cmpi", "absi"):
        want = "int"
    elif short in ARITH_FLOAT_BINARY or short in ("cmpf", "negf") or short in MATH_OPS:
        want = "float"
    elif short in ARITH_CASTS:
        check_cast(op, short, typer, engine)
        return
    else:
        return
    t = typer.scalar(op.operands[0])
    if (want == "float") != t.is_float:
        kind = "a float" if want == "float" else "an integer"
        engine.error(f"'{op.name}' needs {kind} type, found {t}", op.span)


def check_cast(op: Op, short: str, typer: Typer, engine: DiagnosticEngine) -> None:
    src, dst = typer.scalar(op.operands[0]), typer.scalar(op.result)
    ok = {
        "sitofp": src.is_int and src != INDEX and dst.is_float,
        "uitofp": src.is_int and src != INDEX and dst.is_float,
        "fptosi": src.is_float and dst.is_int and dst != INDEX,
        "fptoui": src.is_float and dst.is_int and dst != INDEX,
        "extf": src.is_float and dst.is_float and dst.bits > src.bits,
        "truncf": src.is_float and dst.is_float and dst.bits < src.bits,
        "extsi": src.is_int and dst.is_int and dst.bits > src.bits and INDEX not in (src, dst),
        "extui": src.is_int and dst.is_int and dst.bits > src.bits and INDEX not in (src, dst),
        "trunci": src.is_int and dst.is_int and dst.bits < src.bits and INDEX not in (src, dst),
        "index_cast": src.is_int and dst.is_int and (src == INDEX) != (dst == INDEX),
        "index_castui": src.is_int and dst.is_int and (src == INDEX) != (dst == INDEX),
        "bitcast": src.bits == dst.bits and INDEX not in (src, dst),
    }[short]
    if not ok:
        engine.error(f"'{op.name}' cannot convert {src} to {dst}", op.span)


def check_literal(x: Operand, typer: Typer, engine: DiagnosticEngine) -> None:
    if isinstance(x, Const) and isinstance(x.value, float):
        t = typer.scalar(x)
        if not t.is_float:
            engine.error(f"float literal {x.value} used where {t} is expected", x.span)
    elif isinstance(x, Const) and isinstance(x.value, int) and x.known_type is None:
        t = typer.scalar(x)
        if not t.is_float and not int_fits(x.value, t.bits, signed_only=t == INDEX):
            engine.error(f"integer literal {x.value} is out of range for {t}", x.span)


# --------------------------------------------------------------------------
# 4. rebuild with types


@dataclass
class Rebuilder:
    raw: Program
    typer: Typer
    values: dict[Value, Value] = field(default_factory=dict)

    def program(self) -> Program:
        memrefs = tuple(self.value(m) for m in self.raw.memrefs)
        targets = {t.value: self.target(t) for t in self.raw.targets}
        tasks = tuple(self.task(t, targets) for t in self.raw.tasks)
        ivs = {iv: self.value(iv) for iv in schedule_ivs(self.raw.loops_body)}
        by_raw = dict(zip(self.raw.tasks, tasks, strict=True))
        return Program(
            self.raw.file,
            memrefs,
            tuple(targets.values()),
            tasks,
            self.raw.span,
            self.raw.func_name,
            with_tasks(self.raw.loops_body, by_raw, ivs),
        )

    def target(self, t: Target) -> Target:
        v = Value(t.value.name, TargetType(), t.value.span)
        self.values[t.value] = v
        return Target(v, t.arch, t.span)

    def task(self, t: Task, targets: dict[Value, Target]) -> Task:
        name = Value(t.value.name, TaskType(), t.value.span)
        return Task(
            name,
            targets[t.target.value],
            tuple(self.value(m) for m in t.reads),
            tuple(self.value(m) for m in t.writes),
            self.block(t.body),
            t.rank,
            t.display_name,
            t.span,
            split=t.split,
        )

    def value(self, v: Value) -> Value:
        new = self.values.get(v)
        if new is None:
            t = self.typer.memref(v) if self.typer.is_memref(v) else self.typer.scalar(v)
            new = self.values[v] = Value(v.name, t, v.span)
        return new

    def operand(self, x: Operand) -> Operand:
        if isinstance(x, Value):
            return self.value(x)
        t = self.typer.scalar(x)
        value: int | float = float(x.value) if t.is_float else normalize_int(int(x.value), t.bits)
        return Const(value, t, x.span)

    def block(self, b: Block, args: tuple[Value, ...] | None = None) -> Block:
        new_args = args if args is not None else tuple(self.value(a) for a in b.args)
        return Block(new_args, tuple(self.ops(b.ops)))

    def ops(self, ops: Iterable[Op]) -> Iterator[Op]:
        for op in ops:
            yield self.op(op)

    def op(self, op: Op) -> Op:
        return Op(
            op.name,
            tuple(self.operand(x) for x in op.operands),
            tuple(self.value(r) for r in op.results),
            op.attrs,
            tuple(self.block(r) for r in op.regions),
            op.span,
        )


# --------------------------------------------------------------------------
# 5. accesses


@dataclass
class Accesses:
    """Schedule memrefs a body loads / stores / names, each with its first use."""

    loads: dict[Value, Span] = field(default_factory=dict)
    stores: dict[Value, Span] = field(default_factory=dict)
    touched: dict[Value, Span] = field(default_factory=dict)


def body_accesses(task: Task, schedule: set[Value]) -> Accesses:
    acc = Accesses()
    for op in walk_ops(task.body):
        position = {"memref.load": 0, "memref.store": 1, "memref.dim": 0}.get(op.name)
        if position is None:
            continue
        m = op.operands[position]
        if not (isinstance(m, Value) and m in schedule):
            continue
        acc.touched.setdefault(m, op.span)
        if op.name == "memref.load":
            acc.loads.setdefault(m, op.span)
        elif op.name == "memref.store":
            acc.stores.setdefault(m, op.span)
    return acc


def check_accesses(program: Program, engine: DiagnosticEngine, infer: bool) -> Program:
    schedule = set(program.memrefs)
    order = {m: k for k, m in enumerate(program.memrefs)}
    tasks = []
    for task in program.tasks:
        acc = body_accesses(task, schedule)
        if infer:
            reads = tuple(sorted(acc.loads, key=order.__getitem__))
            writes = tuple(sorted(acc.stores, key=order.__getitem__))
            tasks.append(
                Task(task.value, task.target, reads, writes, task.body, task.rank,
                     task.display_name, task.span, split=task.split)
            )  # fmt: skip
            continue
        check_declared(task, acc, engine)
        tasks.append(task)
    by_old = dict(zip(program.tasks, tasks, strict=True))
    return Program(
        program.file, program.memrefs, program.targets, tuple(tasks), program.span,
        program.func_name, with_tasks(program.loops_body, by_old, {}),
    )  # fmt: skip


def check_declared(task: Task, acc: Accesses, engine: DiagnosticEngine) -> None:
    name = task.value.name
    for m, span in acc.stores.items():
        if m not in task.writes:
            engine.error(
                f"task '%{name}' stores into '%{m.name}', which it does not declare written",
                span,
            )
    for m, span in acc.loads.items():
        if m not in task.reads and m not in task.writes:
            engine.error(
                f"task '%{name}' loads '%{m.name}', which it does not declare read", span
            )
    for m in task.reads:
        if m not in acc.touched:
            engine.warning(
                f"task '%{name}' declares '%{m.name}' read but never accesses it",
                task.span,
                "unused-access",
            )
    for m in task.writes:
        if m not in acc.stores:
            engine.warning(
                f"task '%{name}' declares '%{m.name}' written but never stores into it",
                task.span,
                "unused-access",
            )
