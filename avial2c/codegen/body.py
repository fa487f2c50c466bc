"""Task bodies as C statements.

The translation builds a small statement tree (:data:`Stmt`: lines,
comments, loops, ifs, scopes) that ``templates/stmt.c.j2`` renders; the C
text of each simple statement and loop header is made here.

One SSA value becomes one ``const`` local at its definition
(``const int32_t z = av_addi_i32(x, y);``); values carried by loops and
branches (``scf.for`` iter_args, ``scf.if`` / ``scf.while`` /
``scf.execute_region`` results, reductions) are mutable locals declared
before the construct.  Structured ops map one to one:

* ``scf.parallel`` → ``for`` loops under ``#pragma omp parallel for``
  (``collapse(k)`` over the fewest outer loops that give OpenMP
  :data:`COLLAPSE_ENOUGH` iterations, ``reduction(...)`` when
  each ``scf.reduce`` region is one associative op that OpenMP can combine:
  built-in ``+ * & | ^ min max``, or a reduction declared in ``av_ops.h``
  for wrapping integer sums and products and the float min/max); any other
  reduction runs as a sequential loop, which keeps the interpreter's order.
  Parallel loops nested in a parallel region are plain loops.
* ``scf.for`` → ``for`` with the iter_args as locals; ``scf.if`` →
  ``if``/``else``; ``scf.while`` → ``while (true)`` with a ``break`` on the
  condition; ``scf.execute_region`` → a block.
* ``memref.load``/``store`` index the flat row-major storage
  (``a[i * 16 + j]``); task-local ``memref.alloca``/``alloc`` are zeroed
  stack arrays (at most :data:`MAX_SCRATCH_BYTES`), ``dealloc`` is a comment.
* ``gpu.launch`` is emulated by ``cemulate`` (loop nests over the grid).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from avial2c.codegen.expr import expr
from avial2c.codegen.names import Namer, c_type, const_expr, storage_type, type_suffix
from avial2c.diagnostics import CompileError
from avial2c.ir import I1, Block, Const, MemRefType, Op, Operand, ScalarType, Value, walk_ops
from avial2c.ops import GPU_ID_OPS

MAX_SCRATCH_BYTES = 64 * 1024

# Iterations enough to share among the threads of a node.  OpenMP's collapse
# of more loops than that costs a division per iteration and keeps the
# compiler from vectorizing the inner loop (a 2-D Jacobi sweep ran 1.5 times
# slower with collapse(2) over 1024 x 1024 than with the rows alone).
COLLAPSE_ENOUGH = 64
# An scf.parallel with constant bounds whose iterations do fewer operations
# than this in all is written twice, under `if (WORK >= av_omp_min_work)`
# with the OpenMP pragma and without (entering a parallel region costs about
# 0.3 us even on one thread, more than such a loop): it runs on one thread
# unless the program is told otherwise, as starting and joining an OpenMP
# team costs about as much (microseconds), and far more when its threads
# have gone to sleep between tasks (a chain of small tasks ran 50 times
# slower on 2 threads than on one).  av_omp_min_work is this number unless
# AVIAL_OMP_MIN_WORK says otherwise (runtime_c/av_ctx.c; tests set 0, so
# that small programs exercise the parallel loops).
SMALL_PARALLEL_WORK = 1 << 13
LOOP_OPS = frozenset({"scf.for", "scf.while", "scf.parallel"})


# --------------------------------------------------------------------------
# The statement tree


@dataclass(frozen=True)
class Line:
    """One simple statement, e.g. ``c[i] = z;``."""

    text: str
    kind: str = "line"


@dataclass(frozen=True)
class Comment:
    text: str
    kind: str = "comment"


@dataclass(frozen=True)
class Loop:
    """``HEADER { BODY }``, optionally preceded by a comment and a pragma."""

    header: str
    body: tuple[Stmt, ...]
    pragma: str = ""
    comment: str = ""
    kind: str = "loop"


@dataclass(frozen=True)
class If:
    cond: str
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    kind: str = "if"


@dataclass(frozen=True)
class Scope:
    """``{ BODY }``, optionally preceded by a comment."""

    body: tuple[Stmt, ...]
    comment: str = ""
    kind: str = "scope"


Stmt = Line | Comment | Loop | If | Scope


# --------------------------------------------------------------------------
# OpenMP reductions


@dataclass(frozen=True)
class Combine:
    """How one scf.reduce region maps onto an OpenMP reduction."""

    clause: str  # the reduction identifier: "+", "max", "av_red_addi_i32"
    update: str  # format of the update statement, {acc} and {v}


_BUILTIN_FLOAT = {"addf": Combine("+", "{acc} += {v};"), "mulf": Combine("*", "{acc} *= {v};")}
_BUILTIN_INT = {
    "andi": Combine("&", "{acc} = {acc} & {v};"),
    "ori": Combine("|", "{acc} = {acc} | {v};"),
    "xori": Combine("^", "{acc} = {acc} ^ {v};"),
}
_HELPER_BUILTIN_INT = {"minsi": "min", "maxsi": "max"}
_DECLARED_INT = ("addi", "muli", "minui", "maxui")
_DECLARED_FLOAT = {
    "minimumf": "minimumf", "maximumf": "maximumf", "minf": "minimumf", "maxf": "maximumf",
    "minnumf": "minnumf", "maxnumf": "maxnumf",
}  # fmt: skip


def combine_for(region: Block, t: ScalarType) -> Combine | None:
    """The OpenMP form of a reduce region ``r = OP(lhs, rhs); return r``, if any."""
    if len(region.args) != 2 or len(region.ops) != 2:
        return None
    op, ret = region.ops
    if ret.name != "scf.reduce.return" or ret.operands != op.results or len(op.results) != 1:
        return None
    lhs, rhs = region.args
    if not (op.operands == (lhs, rhs) or op.operands == (rhs, lhs)):
        return None
    dialect, _, short = op.name.partition(".")
    if dialect != "arith":
        return None
    return _combine(short, t)


def _combine(short: str, t: ScalarType) -> Combine | None:
    n = type_suffix(t)
    if t.is_float:
        if short in _BUILTIN_FLOAT:
            return _BUILTIN_FLOAT[short]
        if short in _DECLARED_FLOAT:
            name = _DECLARED_FLOAT[short]
            return Combine(f"av_red_{name}_{n}", f"{{acc}} = av_{name}_{n}({{acc}}, {{v}});")
        return None
    if short in _BUILTIN_INT:
        return _BUILTIN_INT[short]
    if t.name == "i1":
        return None
    if short in _HELPER_BUILTIN_INT:
        return Combine(_HELPER_BUILTIN_INT[short], f"{{acc}} = av_{short}_{n}({{acc}}, {{v}});")
    if short in _DECLARED_INT:
        return Combine(f"av_red_{short}_{n}", f"{{acc}} = av_{short}_{n}({{acc}}, {{v}});")
    return None


# --------------------------------------------------------------------------
# Helpers


FOLDED_CONDITIONS = ("arith.cmpi", "arith.ori", "arith.andi")


def walk_nested(op: Op) -> Iterator[Op]:
    """The ops inside OP's regions, at any depth."""
    for region in op.regions:
        yield from walk_ops(region)


def used_values(block: Block) -> set[Value]:
    """Every value some op of BLOCK (nested ones included) uses as an operand."""
    return {x for op in walk_ops(block) for x in op.operands if isinstance(x, Value)}


def scalar_type(v: Operand, op: Op) -> ScalarType:
    if not isinstance(v.type, ScalarType):
        raise CompileError(f"'{op.name}': expected a scalar value", op.span)
    return v.type


def memref_type(v: Operand, op: Op) -> MemRefType:
    if not isinstance(v, Value) or not isinstance(v.type, MemRefType):
        raise CompileError(f"'{op.name}': expected a memref operand", op.span)
    return v.type


def flat_index(shape: tuple[int, ...], indices: Sequence[str]) -> str:
    """Row-major flat index: ``i * 16 + j``; ``0`` for a rank-0 memref."""
    if not shape:
        return "0"
    terms = []
    for d, index in enumerate(indices):
        stride = 1
        for extent in shape[d + 1 :]:
            stride *= extent
        if index != "0":
            terms.append(index if stride == 1 else f"{index} * {stride}")
    return " + ".join(terms) or "0"


def loop_nest(headers: Sequence[str], body: Sequence[Stmt], pragma: str, comment: str) -> Stmt:
    """Perfectly nested loops, the pragma and comment on the outermost."""
    if not headers:
        return Scope(tuple(body), comment)
    inner = tuple(body)
    for header in reversed(headers[1:]):
        inner = (Loop(header, inner),)
    return Loop(headers[0], inner, pragma, comment)


def omp_parallel_for(trips: Sequence[int | None]) -> str:
    """The pragma of a loop nest whose loops run TRIPS times (None: not a
    constant): collapse the fewest outer loops giving COLLAPSE_ENOUGH."""
    depth, product = len(trips), 1
    for k, n in enumerate(trips):
        product = product * n if n is not None else COLLAPSE_ENOUGH
        if product >= COLLAPSE_ENOUGH:
            depth = k + 1
            break
    return "omp parallel for" + (f" collapse({depth})" if depth > 1 else "")


def small_work(trips: Sequence[int | None], body: Block, split: bool) -> tuple[int, int] | None:
    """(iterations, operations) of an scf.parallel too small to share among
    threads (SMALL_PARALLEL_WORK), or None: bounds not constant, a loop in
    the body whose trip count is not constant, or a task split by rows (its
    block is a share already)."""
    if split or any(n is None for n in trips):
        return None
    per_iteration = block_work(body)
    if per_iteration is None:
        return None
    iterations = 1
    for n in trips:
        assert n is not None
        iterations *= n
    work = iterations * max(per_iteration, 1)
    return (iterations, work) if work < SMALL_PARALLEL_WORK else None


def block_work(block: Block) -> int | None:
    """Operations one run of BLOCK does at most: a nested scf.for or
    scf.parallel with constant bounds counts its body once per iteration,
    both branches of an scf.if count; None for a loop whose trip count is
    not constant (scf.while, or bounds computed at run time)."""
    work = 0
    for op in block.ops:
        work += 1
        if op.name in ("scf.for", "scf.parallel"):
            body = op.regions[0]
            dims = len(body.args) if op.name == "scf.parallel" else 1
            o = op.operands
            trips = 1
            for k in range(dims):
                n = trip_count(o[k], o[dims + k], o[2 * dims + k])
                if n is None:
                    return None
                trips *= n
            inner = block_work(body)
            if inner is None:
                return None
            work += trips * inner
        elif op.name in LOOP_OPS:
            return None
        else:
            for region in op.regions:
                inner = block_work(region)
                if inner is None:
                    return None
                work += inner
    return work


def trip_count(lb: Operand, ub: Operand, step: Operand) -> int | None:
    lo, hi, s = int_value(lb), int_value(ub), int_value(step)
    if lo is None or hi is None or s is None or s <= 0:
        return None
    return max(0, -(-(hi - lo) // s))


def terminator(block: Block, name: str) -> Op | None:
    if block.ops and block.ops[-1].name == name:
        return block.ops[-1]
    return None


def body_ops(block: Block, name: str) -> tuple[Op, ...]:
    """The ops of BLOCK without its terminator NAME."""
    return block.ops[:-1] if terminator(block, name) is not None else block.ops


# The C operator of each 64-bit integer op written plainly when it cannot
# overflow, and the arithmetic that bounds its result.
PLAIN_INDEX_OPS = {"arith.addi": "+", "arith.subi": "-", "arith.muli": "*"}
PLAIN_FOLD: dict[str, Callable[[int, int], int]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
}


def int_value(x: Operand) -> int | None:
    if isinstance(x, Const) and isinstance(x.value, int):
        return x.value
    return None


# --------------------------------------------------------------------------
# The translator


@dataclass
class Translator:
    """Translates the ops of one task function; shares its names and uses."""

    namer: Namer
    names: dict[Value, str]  # the C expression of each value in scope
    used: set[Value]
    launch_emulator: Callable[[Translator, Op, bool], list[Stmt]] | None = None
    handlers: dict[str, Callable[[Op, bool], list[Stmt]]] = field(default_factory=dict)
    # Proven bounds (lowest, highest) of 64-bit integer values: loop indices
    # with constant bounds and arithmetic on them.
    ranges: dict[Value, tuple[int, int]] = field(default_factory=dict)
    # A task split by rows: the C names of its first and last-plus-one row,
    # the bounds of the first dimension of its scf.parallel.
    row_bounds: tuple[str, str] | None = None
    # A GPU task split by rows: the x grid size of its launch (a C expression;
    # the launch's own is the most a block of rows needs).
    grid_x: str | None = None
    # i1 values written into their one use as a C expression (see plan_folds).
    folds: set[Value] = field(default_factory=set)
    # False in the compact form of a large program (codegen.c.LARGE_PROGRAM):
    # a small loop (SMALL_PARALLEL_WORK) is written without OpenMP at all,
    # since the pragma would only cost compile time under the default
    # av_omp_min_work (gcc outlines each parallel region: 60 % of its time on
    # a program of 1 000 small distinct tasks).
    omp_small: bool = True

    def __post_init__(self) -> None:
        self.handlers = {
            "memref.load": self.load,
            "memref.store": self.store,
            "memref.dim": self.dim,
            "memref.alloca": self.alloca,
            "memref.alloc": self.alloca,
            "memref.dealloc": self.dealloc,
            "scf.for": self.for_loop,
            "scf.parallel": self.parallel,
            "scf.if": self.if_op,
            "scf.while": self.while_loop,
            "scf.execute_region": self.execute_region,
            "gpu.launch": self.launch,
            **dict.fromkeys(GPU_ID_OPS, self.gpu_id),
        }

    # values

    def operand(self, x: Operand) -> str:
        if isinstance(x, Const):
            return const_expr(x)
        name = self.names.get(x)
        if name is None:
            raise CompileError(f"value '%{x.name}' is used outside its scope", x.span)
        return name

    def operands(self, xs: Iterable[Operand]) -> list[str]:
        return [self.operand(x) for x in xs]

    def define(self, v: Value, wanted: str | None = None) -> str:
        name = self.namer.fresh(wanted if wanted is not None else v.name)
        self.names[v] = name
        return name

    def decl(self, v: Value, op: Op, value: str) -> list[Stmt]:
        """``const T v = value;``, marked used when nothing uses it."""
        name = self.define(v)
        stmts: list[Stmt] = [Line(f"const {c_type(scalar_type(v, op))} {name} = {value};")]
        return stmts + self.mark_unused([v], name)

    def mark_unused(self, values: Sequence[Value], name: str) -> list[Stmt]:
        if any(v in self.used for v in values):
            return []
        return [Line(f"(void){name};  /* unused */")]

    # blocks

    def block(self, ops: Iterable[Op], in_parallel: bool) -> list[Stmt]:
        ops = list(ops)
        self.plan_folds(ops)
        out: list[Stmt] = []
        for op in ops:
            out += self.op(op, in_parallel)
        return out

    def plan_folds(self, ops: Sequence[Op]) -> None:
        """Conditions written as one C expression: an i1 from ``arith.cmpi`` on
        integers, ``arith.ori`` or ``arith.andi`` whose only use is, in the same
        block, the condition of an ``scf.if`` or an operand of ``arith.ori`` /
        ``arith.andi``.  ``(i == 0) || (j == 0)`` then lets the compiler skip
        the comparisons it does not need, where a chain of ``bool`` variables
        joined by ``|`` makes it evaluate all of them at every point.  The ops
        are pure and cannot trap, so evaluating fewer of them changes nothing."""
        counts: dict[Value, int] = {}
        for op in ops:
            for inner in (op, *walk_nested(op)):
                for x in inner.operands:
                    if isinstance(x, Value):
                        counts[x] = counts.get(x, 0) + 1
        users: dict[Value, tuple[Op, int]] = {}
        for op in ops:
            for k, x in enumerate(op.operands):
                if isinstance(x, Value):
                    users[x] = (op, k)
        for op in ops:
            if op.name not in FOLDED_CONDITIONS or len(op.results) != 1:
                continue
            v = op.results[0]
            if v.type != I1 or counts.get(v) != 1 or v not in users:
                continue
            user, k = users[v]
            if not ((user.name == "scf.if" and k == 0) or user.name in ("arith.ori", "arith.andi")):
                continue
            if op.name == "arith.cmpi" and not all(
                isinstance(x.type, ScalarType) and x.type.is_int for x in op.operands
            ):
                continue
            self.folds.add(v)

    def folded(self, op: Op) -> str:
        """The C expression of a folded condition."""
        if op.name == "arith.cmpi":
            return f"({expr(op, self.operands(op.operands))})"
        a, b = self.operands(op.operands)
        return f"({a} {'||' if op.name == 'arith.ori' else '&&'} {b})"

    def scoped(self, ops: Iterable[Op], in_parallel: bool) -> list[Stmt]:
        """The ops of a region in a C scope of their own."""
        self.namer.push()
        try:
            return self.block(ops, in_parallel)
        finally:
            self.namer.pop()

    def op(self, op: Op, in_parallel: bool) -> list[Stmt]:
        if op.results and op.results[0] in self.folds:
            self.names[op.results[0]] = self.folded(op)
            return []
        handler = self.handlers.get(op.name)
        if handler is not None:
            return handler(op, in_parallel)
        dialect = op.name.partition(".")[0]
        plain = self.plain_index_arith(op)
        if plain is not None:
            return self.decl(op.result, op, plain)
        if dialect in ("arith", "math") and len(op.results) == 1:
            return self.decl(op.result, op, expr(op, self.operands(op.operands)))
        raise CompileError(f"'{op.name}' is not supported by the C code generator here", op.span)

    # index arithmetic that cannot overflow

    def range_of(self, x: Operand) -> tuple[int, int] | None:
        value = int_value(x)
        if value is not None:
            return value, value
        return self.ranges.get(x) if isinstance(x, Value) else None

    def plain_index_arith(self, op: Op) -> str | None:
        """``a + b`` for addi/subi/muli on 64-bit integers whose operands' proven
        bounds keep the result in range: wrap-around cannot happen, so plain C
        says it (``i - 1``, not ``av_subi_i64(i, 1)``).  None otherwise."""
        symbol = PLAIN_INDEX_OPS.get(op.name)
        if symbol is None or len(op.operands) != 2 or scalar_type(op.result, op).bits != 64:
            return None
        a, b = (self.range_of(x) for x in op.operands)
        if a is None or b is None:
            return None
        ends = [PLAIN_FOLD[symbol](x, y) for x in a for y in b]
        low, high = min(ends), max(ends)
        if low < -(1 << 63) or high >= 1 << 63:
            return None
        self.ranges[op.result] = (low, high)
        x, y = (self.operand(v) for v in op.operands)
        y = f"({y})" if y.startswith("-") else y
        return f"{x} {symbol} {y}"

    # memref

    def access(self, op: Op, m: Operand, indices: Sequence[Operand]) -> str:
        t = memref_type(m, op)
        return f"{self.operand(m)}[{flat_index(t.shape, self.operands(indices))}]"

    def load(self, op: Op, in_parallel: bool) -> list[Stmt]:
        m, *indices = op.operands
        return self.decl(op.result, op, self.access(op, m, indices))

    def store(self, op: Op, in_parallel: bool) -> list[Stmt]:
        value, m, *indices = op.operands
        return [Line(f"{self.access(op, m, indices)} = {self.operand(value)};")]

    def dim(self, op: Op, in_parallel: bool) -> list[Stmt]:
        m, index = op.operands
        shape = memref_type(m, op).shape
        d = int_value(index)
        if d is not None and 0 <= d < len(shape):
            return self.decl(op.result, op, str(shape[d]))
        extents = ", ".join(str(e) for e in shape)
        return self.decl(op.result, op, f"((const int64_t[]){{{extents}}})[{self.operand(index)}]")

    def alloca(self, op: Op, in_parallel: bool) -> list[Stmt]:
        t = memref_type(op.result, op)
        if t.nbytes > MAX_SCRATCH_BYTES:
            raise CompileError(
                f"'{op.name}' of {t} ({t.nbytes} bytes) is larger than the "
                f"{MAX_SCRATCH_BYTES} bytes the C code generator puts on the stack",
                op.span,
            )
        name = self.define(op.result)
        decl = f"{storage_type(t.elem)} {name}[{max(t.numel, 1)}] = {{0}};"
        return [Line(f"{decl}  /* {op.name}: {t} */"), *self.mark_unused([op.result], name)]

    def dealloc(self, op: Op, in_parallel: bool) -> list[Stmt]:
        name = self.operand(op.operands[0])
        return [Comment(f"memref.dealloc %{name}: its stack storage ends with the scope")]

    def gpu_id(self, op: Op, in_parallel: bool) -> list[Stmt]:
        """Ids inside an emulated launch are bound to loop variables beforehand."""
        if op.result not in self.names:
            raise CompileError(f"'{op.name}' outside 'gpu.launch'", op.span)
        return []

    def launch(self, op: Op, in_parallel: bool) -> list[Stmt]:
        if self.launch_emulator is None:
            raise CompileError("'gpu.launch' cannot be translated here", op.span)
        return self.launch_emulator(self, op, in_parallel)

    # scf.for

    def for_loop(self, op: Op, in_parallel: bool) -> list[Stmt]:
        lb, ub, step, *inits = op.operands
        body = op.regions[0]
        iv, *iter_args = body.args
        out: list[Stmt] = []
        carried: list[str] = []
        for k, (arg, init) in enumerate(zip(iter_args, inits, strict=True)):
            t = scalar_type(arg, op)
            wanted = op.results[k].name if k < len(op.results) else arg.name
            name = self.namer.fresh(wanted)
            out.append(Line(f"{c_type(t)} {name} = {self.operand(init)};"))
            self.names[arg] = name
            if k < len(op.results):
                self.names[op.results[k]] = name
            carried.append(name)
        self.namer.push()
        header = self.for_header(op, iv, lb, ub, step, parallel=False)
        stmts = self.block(body_ops(body, "scf.yield"), in_parallel)
        stmts += self.assign_yield(op, carried, iter_args, terminator(body, "scf.yield"))
        self.namer.pop()
        out.append(Loop(header, tuple(stmts)))
        for k, name in enumerate(carried):
            out += self.mark_unused([iter_args[k], *op.results[k : k + 1]], name)
        return out

    def for_header(
        self, op: Op, iv: Value, lb: Operand, ub: Operand, step: Operand, parallel: bool
    ) -> str:
        t = scalar_type(iv, op)
        name = self.define(iv)
        trips, first_value = trip_count(lb, ub, step), int_value(lb)
        if trips and first_value is not None and t.bits == 64:
            last_value = first_value + (trips - 1) * (int_value(step) or 1)
            self.ranges[iv] = (first_value, last_value)
        first, last, inc = self.operand(lb), self.operand(ub), self.operand(step)
        increment = self.increment(t, name, ub, step, inc, parallel)
        return f"for ({c_type(t)} {name} = {first}; {name} < {last}; {increment})"

    def increment(
        self, t: ScalarType, name: str, ub: Operand, step: Operand, inc: str, parallel: bool
    ) -> str:
        """``++i`` or ``i += s`` when that cannot overflow, else a wrapping add.

        OpenMP loops always use ``+=``: the OpenMP runtime computes their
        iterations from the trip count, not by incrementing past the bound.
        """
        s, u = int_value(step), int_value(ub)
        # i < ub <= MAX before the increment, so i + 1 cannot overflow.
        safe = (
            parallel
            or s == 1
            or (s is not None and u is not None and u + s - 1 < 1 << (t.bits - 1) and t.bits > 1)
        )
        if not safe:
            return f"{name} = av_addi_{type_suffix(t)}({name}, {inc})"
        return f"++{name}" if s == 1 else f"{name} += {inc}"

    def assign_yield(
        self, op: Op, carried: Sequence[str], args: Sequence[Value], yield_op: Op | None
    ) -> list[Stmt]:
        """``acc = next;`` for each carried value, through temporaries when one
        assignment would change a value another one still reads."""
        if yield_op is None:
            return []
        values = self.operands(yield_op.operands)
        moves = [
            (c, v, scalar_type(arg, op))
            for c, v, arg in zip(carried, values, args, strict=True)
            if c != v
        ]
        if not {c for c, _, _ in moves} & {v for _, v, _ in moves}:
            return [Line(f"{c} = {v};") for c, v, _ in moves]
        temps: list[Stmt] = []
        assigns: list[Stmt] = []
        for c, v, t in moves:
            tmp = self.namer.fresh(f"{c}_next")
            temps.append(Line(f"const {c_type(t)} {tmp} = {v};"))
            assigns.append(Line(f"{c} = {tmp};"))
        return temps + assigns

    # scf.parallel

    def parallel(self, op: Op, in_parallel: bool) -> list[Stmt]:
        body = op.regions[0]
        n = len(body.args)
        lbs, ubs, steps = op.operands[:n], op.operands[n : 2 * n], op.operands[2 * n : 3 * n]
        inits = op.operands[3 * n :]
        reduce_op = terminator(body, "scf.reduce") if inits else None
        out: list[Stmt] = []
        accs: list[str] = []
        for k, init in enumerate(inits):
            t = scalar_type(op.results[k], op)
            name = self.namer.fresh(op.results[k].name)
            self.names[op.results[k]] = name
            out.append(Line(f"{c_type(t)} {name} = {self.operand(init)};"))
            accs.append(name)
        combines = self.combines(op, reduce_op)
        self.namer.push()
        headers = [
            self.for_header(op, iv, lb, ub, s, parallel=True)
            for iv, lb, ub, s in zip(body.args, lbs, ubs, steps, strict=True)
        ]
        first_row = None
        if self.row_bounds is not None:
            # Split by rows: this rank's block of the first dimension.
            (first, last), self.row_bounds = self.row_bounds, None
            first_row = first
            iv = self.names[body.args[0]]
            headers[0] = f"for (int64_t {iv} = {first}; {iv} < {last}; ++{iv})"
        stmts = self.block(body_ops(body, "scf.reduce"), in_parallel=True)
        stmts += self.reduce_updates(reduce_op, accs, combines)
        self.namer.pop()
        trips = [trip_count(*b) for b in zip(lbs, ubs, steps, strict=True)]
        pragma, comment = self.parallel_pragma(trips, accs, combines, in_parallel)
        small = small_work(trips, body, split=first_row is not None)
        if pragma and small is not None and not self.omp_small:
            comment = (
                f"{small[0]} iterations, about {small[1]} operations: one thread (a large "
                "program writes its small loops without OpenMP)"
            )
            out.append(loop_nest(headers, stmts, "", comment))
        elif pragma and small is not None:
            # Written twice: entering a parallel region costs about 0.3 us even
            # when its if() clause keeps it on one thread, more than such a loop.
            out.append(Comment(
                f"{small[0]} iterations, about {small[1]} operations: on this thread unless "
                "AVIAL_OMP_MIN_WORK allows more (starting OpenMP threads costs as much)"))  # fmt: skip
            out.append(If(f"{small[1]} >= av_omp_min_work",
                          (loop_nest(headers, stmts, pragma, ""),),
                          (loop_nest(headers, stmts, "", ""),)))  # fmt: skip
        else:
            out.append(loop_nest(headers, stmts, pragma, comment))
        for k, name in enumerate(accs):
            out += self.mark_unused(op.results[k : k + 1], name)
        return out

    def combines(self, op: Op, reduce_op: Op | None) -> list[Combine | None]:
        if reduce_op is None:
            return []
        return [
            combine_for(region, scalar_type(v, op))
            for v, region in zip(reduce_op.operands, reduce_op.regions, strict=True)
        ]

    def parallel_pragma(
        self,
        trips: Sequence[int | None],
        accs: Sequence[str],
        combines: Sequence[Combine | None],
        in_parallel: bool,
    ) -> tuple[str, str]:
        if in_parallel:
            return "", "scf.parallel inside a parallel region: runs as a plain loop"
        if any(c is None for c in combines):
            return "", (
                "scf.parallel whose scf.reduce region is not one associative op OpenMP can "
                "combine: runs sequentially, in the order of the reference interpreter"
            )
        pragma = omp_parallel_for(trips)
        for acc, c in zip(accs, combines, strict=True):
            assert c is not None
            pragma += f" reduction({c.clause}:{acc})"
        return pragma, ""

    def reduce_updates(
        self, reduce_op: Op | None, accs: Sequence[str], combines: Sequence[Combine | None]
    ) -> list[Stmt]:
        if reduce_op is None:
            return []
        out: list[Stmt] = []
        for k, (x, region) in enumerate(zip(reduce_op.operands, reduce_op.regions, strict=True)):
            v = self.operand(x)
            c = combines[k]
            if c is not None:
                out.append(Line(c.update.format(acc=accs[k], v=v)))
            else:
                out.append(self.reduce_region(region, accs[k], v))
        return out

    def reduce_region(self, region: Block, acc: str, v: str) -> Stmt:
        """The general scf.reduce region: ``{ ...; acc = result; }``."""
        lhs, rhs = region.args
        self.names[lhs], self.names[rhs] = acc, v
        stmts = self.scoped(body_ops(region, "scf.reduce.return"), in_parallel=True)
        ret = terminator(region, "scf.reduce.return")
        if ret is not None:
            stmts.append(Line(f"{acc} = {self.operand(ret.operands[0])};"))
        return Scope(tuple(stmts), "scf.reduce")

    # scf.if, scf.execute_region

    def results(self, op: Op) -> list[Stmt]:
        """``T r;`` for each result of OP (assigned in its regions)."""
        out: list[Stmt] = []
        for r in op.results:
            name = self.define(r)
            out.append(Line(f"{c_type(scalar_type(r, op))} {name};"))
        return out

    def yield_into(self, op: Op, block: Block, in_parallel: bool) -> list[Stmt]:
        self.namer.push()
        stmts = self.block(body_ops(block, "scf.yield"), in_parallel)
        y = terminator(block, "scf.yield")
        if y is not None:
            for r, x in zip(op.results, y.operands, strict=True):
                stmts.append(Line(f"{self.names[r]} = {self.operand(x)};"))
        self.namer.pop()
        return stmts

    def unused_results(self, op: Op) -> list[Stmt]:
        out: list[Stmt] = []
        for r in op.results:
            out += self.mark_unused([r], self.names[r])
        return out

    def if_op(self, op: Op, in_parallel: bool) -> list[Stmt]:
        out = self.results(op)
        cond = self.operand(op.operands[0])
        if op.operands[0] in self.folds:
            cond = cond[1:-1]  # if (...) has its own parentheses
        then = self.yield_into(op, op.regions[0], in_parallel)
        orelse = self.yield_into(op, op.regions[1], in_parallel) if len(op.regions) > 1 else []
        out.append(If(cond, tuple(then), tuple(orelse)))
        return out + self.unused_results(op)

    def execute_region(self, op: Op, in_parallel: bool) -> list[Stmt]:
        out = self.results(op)
        out.append(Scope(tuple(self.yield_into(op, op.regions[0], in_parallel)), op.name))
        return out + self.unused_results(op)

    # scf.while

    def while_loop(self, op: Op, in_parallel: bool) -> list[Stmt]:
        before, after = op.regions
        out: list[Stmt] = []
        state: list[str] = []
        for arg, init in zip(before.args, op.operands, strict=True):
            name = self.define(arg)
            out.append(Line(f"{c_type(scalar_type(arg, op))} {name} = {self.operand(init)};"))
            state.append(name)
        passed: list[str] = []
        for k, arg in enumerate(after.args):
            wanted = op.results[k].name if k < len(op.results) else arg.name
            name = self.namer.fresh(wanted)
            self.names[arg] = name
            if k < len(op.results):
                self.names[op.results[k]] = name
            out.append(Line(f"{c_type(scalar_type(arg, op))} {name};"))
            passed.append(name)
        stmts = self.while_body(op, state, passed, in_parallel)
        out.append(Loop("while (true)", tuple(stmts), comment="scf.while"))
        for k, name in enumerate(state):
            out += self.mark_unused([before.args[k]], name)
        for k, name in enumerate(passed):
            out += self.mark_unused([after.args[k], *op.results[k : k + 1]], name)
        return out

    def while_body(
        self, op: Op, state: Sequence[str], passed: Sequence[str], in_parallel: bool
    ) -> list[Stmt]:
        before, after = op.regions
        cond_op = terminator(before, "scf.condition")
        if cond_op is None:
            raise CompileError("'scf.while' without 'scf.condition'", op.span)
        self.namer.push()
        stmts = self.block(body_ops(before, "scf.condition"), in_parallel)
        cond, *args = self.operands(cond_op.operands)
        stmts += [Line(f"{p} = {a};") for p, a in zip(passed, args, strict=True)]
        stmts.append(Line(f"if (!{cond}) break;"))
        stmts += self.block(body_ops(after, "scf.yield"), in_parallel)
        y = terminator(after, "scf.yield")
        if y is not None:
            values = self.operands(y.operands)
            stmts += [Line(f"{s} = {v};") for s, v in zip(state, values, strict=True) if s != v]
        self.namer.pop()
        return stmts
