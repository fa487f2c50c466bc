"""The immutable IR of an avial program.

Every stage after parsing works on these frozen dataclasses and never mutates
them; a stage that changes the program builds a new one.

Conventions shared by all stages (the contract between front end, planner,
interpreter and code generators):

* ``arith.constant`` is not an op in the IR: every use of a constant is a
  :class:`Const` operand.  Seed-form integer literals become ``Const`` too
  (their ``known_type`` is ``None`` until the checker has inferred it).
* Raw and checked programs: the front end builds a :class:`Program` in which
  seed-form values and literals have no type yet (``known_type`` is None);
  the checker returns a :class:`CheckedProgram`, which verifies on
  construction that every value and constant has one.  The stages after the
  checker take a ``CheckedProgram`` and read ``type``, which is never None.
* Terminators without operands (``scf.yield``, ``scf.reduce``,
  ``gpu.terminator``, ``avial.yield``, ``func.return``) are dropped.  A block
  whose parent op has results ends with the op that carries them
  (``scf.yield``, ``scf.condition`` or ``scf.reduce``).
* Regions hold exactly one :class:`Block`.  ``scf.if`` always has two regions;
  a missing ``else`` is an empty block.
* Per-op layouts (operands / regions / attrs) are documented in
  :data:`OP_LAYOUTS`.
* Values are compared by identity; two programs are equal when their
  canonical generic text (``printer.canonical``) is equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Span:
    """A source range; lines and columns count from 1."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int


NO_SPAN = Span("<generated>", 0, 0, 0, 0)


# --------------------------------------------------------------------------
# Types


SCALAR_NAMES = ("i1", "i8", "i16", "i32", "i64", "index", "f32", "f64")


@dataclass(frozen=True)
class ScalarType:
    name: str  # one of SCALAR_NAMES

    @property
    def is_float(self) -> bool:
        return self.name in ("f32", "f64")

    @property
    def is_int(self) -> bool:
        """Integer-like: iN and index."""
        return not self.is_float

    @property
    def bits(self) -> int:
        if self.name == "index":
            return 64
        return int(self.name[1:])

    def __str__(self) -> str:
        return self.name


I1 = ScalarType("i1")
I8 = ScalarType("i8")
I16 = ScalarType("i16")
I32 = ScalarType("i32")
I64 = ScalarType("i64")
INDEX = ScalarType("index")
F32 = ScalarType("f32")
F64 = ScalarType("f64")


@dataclass(frozen=True)
class MemRefType:
    shape: tuple[int, ...]
    elem: ScalarType
    # None for ordinary memory, "workgroup" for GPU shared memory.
    space: str | None = None

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.numel * elem_bytes(self.elem)

    def __str__(self) -> str:
        dims = "".join(f"{d}x" for d in self.shape)
        space = ", #gpu.address_space<workgroup>" if self.space == "workgroup" else ""
        return f"memref<{dims}{self.elem}{space}>"


@dataclass(frozen=True)
class TargetType:
    def __str__(self) -> str:
        return "!avial.target"


@dataclass(frozen=True)
class TaskType:
    def __str__(self) -> str:
        return "!avial.task"


Type = ScalarType | MemRefType | TargetType | TaskType


def elem_bytes(t: ScalarType) -> int:
    """Storage size of an element (i1 is stored as one byte)."""
    return {"i1": 1, "i8": 1, "i16": 2, "i32": 4, "i64": 8, "index": 8, "f32": 4, "f64": 8}[t.name]


# --------------------------------------------------------------------------
# Values and operands


class UntypedError(Exception):
    """A value or constant has no type where the program must be checked."""


@dataclass(frozen=True, eq=False)
class Value:
    """An SSA value.  Compared by identity; ``name`` is for display only.

    ``known_type`` is None only in a raw program, for a seed-form value the
    checker has not inferred yet; only the front end and the checker read it.
    The stages after the checker read :attr:`type`.
    """

    name: str  # without the leading '%'
    known_type: Type | None
    span: Span = field(default=NO_SPAN, repr=False)

    @property
    def type(self) -> Type:
        """The type (raises UntypedError before the checker inferred it)."""
        if self.known_type is None:
            raise UntypedError(f"'%{self.name}' has no type: the program is not checked")
        return self.known_type


ConstValue = int | float


@dataclass(frozen=True, eq=False)
class Const:
    """A constant operand.

    ``value`` is an ``int`` for integer and index types (normalised to the
    signed range of the type; i1 is 0 or 1) and a ``float`` for f32/f64.
    ``known_type`` is None for an untyped seed-form literal until the checker
    resolves it; the stages after the checker read :attr:`type`.
    """

    value: ConstValue
    known_type: ScalarType | None
    span: Span = field(default=NO_SPAN, repr=False)

    @property
    def type(self) -> ScalarType:
        """The type (raises UntypedError before the checker inferred it)."""
        if self.known_type is None:
            raise UntypedError(f"literal {self.value!r} has no type: the program is not checked")
        return self.known_type


Operand = Value | Const

AttrValue = str | int | float | bool | tuple[int, ...]


# --------------------------------------------------------------------------
# Ops and blocks


@dataclass(frozen=True, eq=False)
class Block:
    args: tuple[Value, ...]
    ops: tuple[Op, ...]


EMPTY_BLOCK = Block((), ())


@dataclass(frozen=True, eq=False)
class Op:
    name: str  # "dialect.op", e.g. "arith.addi"
    operands: tuple[Operand, ...] = ()
    results: tuple[Value, ...] = ()
    attrs: tuple[tuple[str, AttrValue], ...] = ()  # sorted by key
    regions: tuple[Block, ...] = ()
    span: Span = field(default=NO_SPAN, repr=False)

    def attr(self, key: str, default: AttrValue | None = None) -> AttrValue | None:
        for k, v in self.attrs:
            if k == key:
                return v
        return default

    @property
    def result(self) -> Value:
        assert len(self.results) == 1, self.name
        return self.results[0]


def make_attrs(**kw: AttrValue) -> tuple[tuple[str, AttrValue], ...]:
    return tuple(sorted(kw.items()))


# Per-op layout of the normalised IR.
OP_LAYOUTS: dict[str, str] = {
    "arith.<binary>": "operands (lhs, rhs); one result",
    "arith.cmpi": "operands (lhs, rhs); attrs predicate: str (eq ne slt sle sgt sge ult ule ugt uge)",
    "arith.cmpf": "operands (lhs, rhs); attrs predicate: str (false oeq ogt oge olt ole one ord "
    "ueq ugt uge ult ule une uno true)",
    "arith.select": "operands (cond, true_value, false_value)",
    "arith.<cast>": "operands (x,); result type is the target type",
    "math.<op>": "operands as in MLIR (fma: a, b, c)",
    "memref.load": "operands (memref, *indices); one result",
    "memref.store": "operands (value, memref, *indices)",
    "memref.dim": "operands (memref, index)",
    "memref.alloca/alloc": "no operands; result MemRefType (space 'workgroup' for shared memory)",
    "memref.dealloc": "operands (memref,)",
    "scf.for": "operands (lb, ub, step, *inits); regions (body,) with args (iv, *iter_args); "
    "results = loop results; body ends with scf.yield when there are iter_args",
    "scf.parallel": "operands (*lbs, *ubs, *steps, *inits) with n = len(body.args); "
    "results = reduction results; with inits the body ends with scf.reduce",
    "scf.reduce": "operands = values to reduce; one region per operand, args (lhs, rhs), "
    "ending with scf.reduce.return",
    "scf.reduce.return": "operands (value,)",
    "scf.if": "operands (cond,); regions (then, else) — else may be empty; "
    "with results both end with scf.yield",
    "scf.while": "operands = inits; regions (before, after); before ends with "
    "scf.condition(cond, *args); after ends with scf.yield",
    "scf.condition": "operands (cond, *args)",
    "scf.execute_region": "regions (body,); with results it ends with scf.yield",
    "scf.yield": "operands = yielded values (only present when non-empty)",
    "gpu.launch": "operands (grid_x, grid_y, grid_z, block_x, block_y, block_z); regions (body,) "
    "with 12 args (block_id xyz, thread_id xyz, grid_dim xyz, block_dim xyz). "
    "Raw terse form (before checking): no operands, no body args, attrs terse=True",
    "gpu.thread_id/block_id/block_dim/grid_dim/global_id": "attrs dimension: 'x'|'y'|'z'; "
    "one index result",
    "gpu.barrier": "no operands",
}


# --------------------------------------------------------------------------
# The avial level


@dataclass(frozen=True, eq=False)
class Target:
    value: Value  # %cpu, type TargetType
    arch: str
    span: Span = field(default=NO_SPAN, repr=False)


@dataclass(frozen=True, eq=False)
class Task:
    value: Value  # %task1, type TaskType; names the task
    target: Target
    reads: tuple[Value, ...]  # schedule memrefs, program order, no duplicates
    writes: tuple[Value, ...]
    body: Block
    rank: int | None = None  # {rank = N}
    display_name: str | None = None  # {name = "..."}
    span: Span = field(default=NO_SPAN, repr=False)
    split: str | None = None  # {split = "rows"}

    @property
    def name(self) -> str:
        return self.display_name if self.display_name is not None else self.value.name


@dataclass(frozen=True, eq=False)
class Loop:
    """``scf.for %iv = lb to ub step step`` around tasks in the schedule region.

    The bounds are constants (the trip count is known at translation).  The
    body holds tasks and nested loops in program order; its tasks run once
    per iteration, and a task body may use ``iv`` (an ``index`` value).
    """

    iv: Value  # type INDEX
    lb: int
    ub: int
    step: int  # > 0
    body: tuple[Task | Loop, ...]
    span: Span = field(default=NO_SPAN, repr=False)

    @property
    def trips(self) -> int:
        return max(0, -(-(self.ub - self.lb) // self.step))

    def tasks(self) -> Iterator[Task]:
        """Every task of the body, nested loops included, in program order."""
        for item in self.body:
            if isinstance(item, Loop):
                yield from item.tasks()
            else:
                yield item


Item = Task | Loop


@dataclass(frozen=True, eq=False)
class Program:
    file: str
    memrefs: tuple[Value, ...]  # the schedule's operands, in order
    targets: tuple[Target, ...]
    tasks: tuple[Task, ...]  # program order; a task inside a loop appears once
    span: Span = field(default=NO_SPAN, repr=False)
    func_name: str | None = None  # enclosing func.func, if any (display only)
    # The schedule region as written: tasks and loops.  Empty when it holds
    # no loop; then the region is ``tasks``.
    loops_body: tuple[Item, ...] = ()
    # What transforms did to it that the plan should say (--fuse: each fusion and why).
    transformed: tuple[str, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        """The schedule region: its tasks and loops in program order."""
        return self.loops_body if self.loops_body else self.tasks

    @property
    def has_loops(self) -> bool:
        return bool(self.loops_body)


@dataclass(frozen=True, eq=False)
class CheckedProgram(Program):
    """A program the checker accepted: every value and constant in it has a
    type, and every schedule memref a memref type.

    Construction verifies it (:class:`UntypedError` otherwise), once, so the
    stages after the checker, which take a ``CheckedProgram``, read
    ``Value.type`` and ``Const.type`` without testing for None.  The checker
    builds it (:meth:`of`); so does a transform of a checked program.
    """

    def __post_init__(self) -> None:
        for x in program_operands(self):
            if x.known_type is None:
                what = f"'%{x.name}'" if isinstance(x, Value) else f"literal {x.value!r}"
                where = position(x.span)
                raise UntypedError(f"{what}{where} has no type: the program is not checked")
        for m in self.memrefs:
            if not isinstance(m.known_type, MemRefType):
                where = position(m.span)
                raise UntypedError(f"schedule operand '%{m.name}'{where} has no memref type")

    @classmethod
    def of(cls, program: Program) -> CheckedProgram:
        """PROGRAM, verified to be fully typed."""
        return cls(**{f.name: getattr(program, f.name) for f in fields(Program)})

    def memref_type(self, m: Value) -> MemRefType:
        """The type of schedule memref M (or of any value known to be a memref)."""
        assert isinstance(m.type, MemRefType), m.name
        return m.type


def position(span: Span) -> str:
    """' (file:line:col)' for a span from the source; '' for a generated one."""
    return f" ({span.file}:{span.line}:{span.col})" if span.line else ""


# --------------------------------------------------------------------------
# Walking


def walk_ops(block: Block) -> Iterator[Op]:
    """All ops of a block, nested ones included, in pre-order."""
    for op in block.ops:
        yield op
        for region in op.regions:
            yield from walk_ops(region)


def block_operands(block: Block) -> Iterator[Operand]:
    """Every value and constant of a block: its arguments, then each op's
    operands, its regions' and its results, in pre-order."""
    yield from block.args
    for op in block.ops:
        yield from op.operands
        for region in op.regions:
            yield from block_operands(region)
        yield from op.results


def program_operands(program: Program) -> Iterator[Operand]:
    """Every value and constant of a program: memrefs, targets, tasks and
    their bodies, the schedule loops' induction variables."""
    yield from program.memrefs
    for target in program.targets:
        yield target.value
    for task in program.tasks:
        yield task.value
        yield task.target.value
        yield from task.reads
        yield from task.writes
        yield from block_operands(task.body)
    yield from schedule_ivs(program.loops_body)


def with_tasks(
    items: tuple[Item, ...], tasks: dict[Task, Task], ivs: dict[Value, Value]
) -> tuple[Item, ...]:
    """ITEMS with each task replaced by ``tasks[task]`` and each loop's
    induction variable by ``ivs.get(iv, iv)`` (for stages that rebuild tasks)."""
    out: list[Item] = []
    for item in items:
        if isinstance(item, Loop):
            iv = ivs.get(item.iv, item.iv)
            out.append(
                Loop(iv, item.lb, item.ub, item.step, with_tasks(item.body, tasks, ivs), item.span)
            )
        else:
            out.append(tasks[item])
    return tuple(out)


def schedule_ivs(items: tuple[Item, ...]) -> Iterator[Value]:
    """The induction variables of the schedule's loops, outer ones first."""
    for item in items:
        if isinstance(item, Loop):
            yield item.iv
            yield from schedule_ivs(item.body)


CPU_ARCHS = ("x86_64", "aarch64", "cpu")


def is_gpu_arch(arch: str) -> bool:
    return arch == "gpu" or arch.startswith("sm_")


# --------------------------------------------------------------------------
# What task bodies may contain (docs/language.md, "Ops allowed in task bodies")
