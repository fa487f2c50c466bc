"""``gpu.launch`` emulated on the CPU (``--gpu emulate``).

The launch sizes are constants (the checker makes sure), so every id is
either a loop variable (a dimension of extent > 1) or the literal 0, and the
grid and block sizes are literals.

* **Without barriers or workgroup memory** the threads are independent: the
  body runs in one loop nest over blocks and threads (z outermost), under
  ``#pragma omp parallel for`` (collapsing outer loops as ``cbody`` does).
* **Otherwise** the body is split into *phases* at each ``gpu.barrier``.
  For each block (the block loops are the OpenMP loop), workgroup
  ``memref.alloca``s become zeroed arrays of the block, then each phase is one
  loop nest over the threads of the block (parallel itself when the grid has
  a single block), so every thread finishes a phase before any starts the
  next one — which is what the barrier guarantees.  A thread-private value
  that lives across a barrier is kept in a per-thread array (``x_t[tid]``):
  stored at the end of the phase that defines it, loaded at the start of
  each phase that uses it.
  A thread-private ``memref.alloca`` used across a barrier gets one copy
  per thread in one array of the block (``x_t + tid * n``).
  An ``scf.for`` that contains a barrier must have the same bounds for every
  thread of a block: *uniform* values, computed only from uniform values
  (constants, block ids, grid and block sizes, the induction variables of
  such loops, loads from memrefs no thread writes in the launch).  The ops
  that compute its bounds are hoisted out of the thread loops, to the block
  level; the loop runs once per block around its phases, and its iter_args
  live in per-thread arrays.  A barrier anywhere else (in ``scf.if``,
  ``scf.while``, ...) is rejected with an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from avial2c.codegen.body import (
    MAX_SCRATCH_BYTES,
    Comment,
    Line,
    Loop,
    Stmt,
    Translator,
    body_ops,
    loop_nest,
    omp_parallel_for,
    scalar_type,
    terminator,
)
from avial2c.codegen.names import c_type, storage_type
from avial2c.diagnostics import CompileError
from avial2c.ir import Block, Const, MemRefType, Op, Operand, ScalarType, Value, walk_ops
from avial2c.ops import DIM_NAMES, ID_ARG_BASE

BARRIER_COMMENT = "gpu.barrier: every thread of the block has finished the phase above"
ID_BASE = {f"gpu.{name}": base for name, base in ID_ARG_BASE.items()}


def emulate_launch(tr: Translator, op: Op, in_parallel: bool) -> list[Stmt]:
    """The C statements running the launch OP on the CPU."""
    shape = LaunchShape.of(op)
    tr.namer.push()
    try:
        bind_ids(tr, op, shape)
        body = op.regions[0]
        comment = f"gpu.launch emulated on the CPU: {shape.describe()}"
        if not has_barrier(body) and not workgroup_allocas(body):
            headers = shape.block_headers(tr, op) + shape.thread_headers(tr, op)
            extents = loop_extents(shape.grid) + loop_extents(shape.block)
            stmts = tr.block(body.ops, in_parallel=True)
            return [loop_nest(headers, stmts, omp_for(extents, in_parallel), comment)]
        return Phased(tr, op, shape, in_parallel).stmts(comment)
    finally:
        tr.namer.pop()


def omp_for(extents: Sequence[int], in_parallel: bool) -> str:
    """The pragma of the loops over EXTENTS (none inside a parallel region)."""
    if in_parallel or not extents:
        return ""
    return omp_parallel_for(extents)


def loop_extents(sizes: Sequence[int]) -> list[int]:
    """The extents of the id loops of SIZES (x, y, z), in loop order: z outermost,
    sizes of 1 have no loop."""
    return [n for n in reversed(sizes) if n > 1]


@dataclass(frozen=True)
class LaunchShape:
    grid: tuple[int, int, int]
    block: tuple[int, int, int]

    @staticmethod
    def of(op: Op) -> LaunchShape:
        sizes = []
        for x in op.operands:
            if not isinstance(x, Const) or not isinstance(x.value, int) or x.value < 1:
                raise CompileError(
                    "the grid and block sizes of 'gpu.launch' must be constants >= 1", op.span
                )
            sizes.append(x.value)
        if len(sizes) != 6 or len(op.regions[0].args) != 12:
            raise CompileError("'gpu.launch' needs 6 sizes and 12 body arguments", op.span)
        return LaunchShape((sizes[0], sizes[1], sizes[2]), (sizes[3], sizes[4], sizes[5]))

    @property
    def threads(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    def describe(self) -> str:
        def dims(t: tuple[int, int, int]) -> str:
            return "x".join(str(n) for n in t)

        return f"grid {dims(self.grid)} of blocks of {dims(self.block)} threads"

    def block_headers(self, tr: Translator, op: Op) -> list[str]:
        extents: list[int | str] = list(self.grid)
        if tr.grid_x is not None and self.grid[0] > 1:
            extents[0] = tr.grid_x  # a split launch: the blocks of the rank's rows
        return id_headers(tr, op.regions[0].args[0:3], extents)

    def thread_headers(self, tr: Translator, op: Op) -> list[str]:
        return id_headers(tr, op.regions[0].args[3:6], self.block)

    def linear_thread(self, tr: Translator, op: Op) -> str:
        """The index of the thread within its block: ``tz * (sx*sy) + ty * sx + tx``."""
        args = op.regions[0].args
        terms = []
        stride = 1
        for d in range(3):
            if self.block[d] > 1:
                name = tr.names[args[3 + d]]
                terms.append(name if stride == 1 else f"{name} * {stride}")
            stride *= self.block[d]
        return " + ".join(reversed(terms)) or "0"


def id_headers(tr: Translator, ids: Sequence[Value], extents: Sequence[int | str]) -> list[str]:
    """``for`` headers over the ids of extent > 1 (or a C expression), z outermost."""
    return [
        f"for (int64_t {tr.names[v]} = 0; {tr.names[v]} < {n}; ++{tr.names[v]})"
        for v, n in reversed(list(zip(ids, extents, strict=True)))
        if isinstance(n, str) or n > 1
    ]


def bind_ids(tr: Translator, op: Op, shape: LaunchShape) -> None:
    """Names of the 12 launch arguments and of any id ops left in the body."""
    args = op.regions[0].args
    for d in range(3):
        tr.names[args[6 + d]] = str(shape.grid[d])
        tr.names[args[9 + d]] = str(shape.block[d])
        for base, extent in ((0, shape.grid[d]), (3, shape.block[d])):
            v = args[base + d]
            if extent > 1:
                tr.define(v)
            else:
                tr.names[v] = "0"
    bind_id_ops(tr, op, shape)


def bind_id_ops(tr: Translator, op: Op, shape: LaunchShape) -> None:
    """The id ops left in the launch body (gpu.thread_id x, gpu.global_id y...)
    name what the launch's arguments are named, or the global index."""
    args = op.regions[0].args
    for inner in walk_ops(op.regions[0]):
        dim = DIM_NAMES.find(str(inner.attr("dimension", "x")))
        if inner.name in ID_BASE and dim >= 0:
            tr.names[inner.result] = tr.names[args[ID_BASE[inner.name] + dim]]
        elif inner.name == "gpu.global_id" and dim >= 0:
            tr.names[inner.result] = global_id(tr, args, shape, dim)


def global_id(tr: Translator, args: Sequence[Value], shape: LaunchShape, d: int) -> str:
    block_id, thread_id = tr.names[args[d]], tr.names[args[3 + d]]
    if block_id == "0":
        return thread_id
    return f"({block_id} * {shape.block[d]} + {thread_id})"


def has_barrier(block: Block) -> bool:
    return any(op.name == "gpu.barrier" for op in walk_ops(block))


def op_has_barrier(op: Op) -> bool:
    return any(has_barrier(r) for r in op.regions)


def is_workgroup_alloca(op: Op) -> bool:
    if op.name not in ("memref.alloca", "memref.alloc") or len(op.results) != 1:
        return False
    t = op.result.type
    return isinstance(t, MemRefType) and t.space == "workgroup"


def workgroup_allocas(body: Block) -> list[Op]:
    """The launch's workgroup allocations; they must be at its top level."""
    found = [op for op in body.ops if is_workgroup_alloca(op)]
    for op in walk_ops(body):
        if is_workgroup_alloca(op) and op not in found:
            raise CompileError(
                "workgroup 'memref.alloca' must be at the top level of the 'gpu.launch' body",
                op.span,
            )
    return found


# --------------------------------------------------------------------------
# Phases


@dataclass
class Phase:
    """Ops every thread runs between two barriers, then TAIL: stores into the
    per-thread arrays of loop-carried values (key value, new value)."""

    ops: list[Op]
    tail: list[tuple[Value, Operand]] = field(default_factory=list)


@dataclass
class Barrier:
    op: Op


@dataclass
class Hoisted:
    """Uniform ops that bounds of a loop around barriers need: run once per block."""

    ops: list[Op]


@dataclass
class UniformFor:
    """An scf.for containing a barrier: run once per block around its phases."""

    op: Op
    body: list[Segment]


Segment = Phase | Barrier | UniformFor | Hoisted


def split(
    ops: Sequence[Op],
    tail: list[tuple[Value, Operand]],
    hoist: set[Op] | frozenset[Op] = frozenset(),
) -> list[Segment]:
    """The segments of a block of the launch body (workgroup allocas left out);
    the ops of HOIST go to the block level, before the phase they were in."""
    out: list[Segment] = []
    current: list[Op] = []
    hoisted: list[Op] = []
    for op in ops:
        if op in hoist:
            hoisted.append(op)
            continue
        if hoisted and (op.name == "gpu.barrier" or op_has_barrier(op)):
            out.append(Hoisted(hoisted))
            hoisted = []
        if op.name == "gpu.barrier":
            flush(out, current, [])
            current = []
            out.append(Barrier(op))
        elif op_has_barrier(op):
            if op.name != "scf.for":
                raise CompileError(
                    f"'gpu.barrier' inside '{op.name}' is not supported by --gpu emulate "
                    "(only at the top level of the launch body or in 'scf.for' loops "
                    "with the same bounds in every thread)",
                    op.span,
                )
            body = op.regions[0]
            flush(out, current, list(zip(body.args[1:], op.operands[3:], strict=True)))
            current = []
            y = terminator(body, "scf.yield")
            carried = list(zip(body.args[1:], y.operands, strict=True)) if y else []
            out.append(UniformFor(op, split(body_ops(body, "scf.yield"), carried, hoist)))
        elif not is_workgroup_alloca(op):
            current.append(op)
    if hoisted:
        out.append(Hoisted(hoisted))
    flush(out, current, tail)
    return out


def flush(out: list[Segment], ops: list[Op], tail: list[tuple[Value, Operand]]) -> None:
    """Close the current phase; stores alone join the phase before the last barriers."""
    if not ops and not tail:
        return
    if not ops:
        for seg in reversed(out):
            if isinstance(seg, Phase):
                seg.tail += tail
                return
            if not isinstance(seg, Barrier):
                break
    out.append(Phase(list(ops), list(tail)))


def uniformity(body: Block) -> tuple[set[Value], set[Op]]:
    """The values of the launch BODY that are the same in every thread of a
    block, and the ops that compute the bounds of loops around barriers (to
    be run once per block, before the threads).

    Uniform: values from outside the launch, block ids, grid and block
    sizes, the induction variables of loops around barriers whose bounds are
    uniform, and the result of an arith or math op, or of a load from a
    memref no thread stores into, whose operands are all uniform.  Only the
    ops at the top level of the body and of loops around barriers count:
    that is where every thread of a block runs the same ops.
    """
    args = body.args
    uniform: set[Value] = {*args[0:3], *args[6:12]}
    local = {r for op in walk_ops(body) for r in op.results}
    local |= {a for op in walk_ops(body) for r in op.regions for a in r.args} | set(args)
    stored = {op.operands[1] for op in walk_ops(body) if op.name == "memref.store"}
    producers: dict[Value, Op] = {}
    bounds: list[Operand] = []

    def same(x: Operand) -> bool:
        return not isinstance(x, Value) or x not in local or x in uniform

    def visit(ops: Sequence[Op]) -> None:
        for op in ops:
            if op.name == "scf.for" and op_has_barrier(op):
                bounds.extend(op.operands[:3])
                if all(same(x) for x in op.operands[:3]):
                    uniform.add(op.regions[0].args[0])
                visit(body_ops(op.regions[0], "scf.yield"))
            elif is_uniform_op(op, stored) and all(same(x) for x in op.operands):
                uniform.update(op.results)
                producers.update((r, op) for r in op.results)

    visit(body.ops)
    needed: set[Op] = set()
    stack = [x for x in bounds if isinstance(x, Value)]
    while stack:
        op = producers.get(stack.pop())
        if op is not None and op not in needed:
            needed.add(op)
            stack.extend(x for x in op.operands if isinstance(x, Value))
    return uniform, needed


def is_uniform_op(op: Op, stored: set[Operand]) -> bool:
    """A pure op whose result is uniform when its operands are."""
    if op.regions or len(op.results) != 1:
        return False
    if op.name == "memref.load":
        return op.operands[0] not in stored
    return op.name.startswith(("arith.", "math."))


def phases(segments: Sequence[Segment]) -> Iterator[Phase]:
    for seg in segments:
        if isinstance(seg, Phase):
            yield seg
        elif isinstance(seg, UniformFor):
            yield from phases(seg.body)


def uniform_fors(segments: Sequence[Segment]) -> Iterator[UniformFor]:
    for seg in segments:
        if isinstance(seg, UniformFor):
            yield seg
            yield from uniform_fors(seg.body)


def phase_uses(phase: Phase) -> list[Value]:
    """Values the phase reads, in order of first use."""
    seen: dict[Value, None] = {}
    for op in phase.ops:
        for inner in walk_ops(Block((), (op,))):
            seen.update((x, None) for x in inner.operands if isinstance(x, Value))
    seen.update((x, None) for _, x in phase.tail if isinstance(x, Value))
    return list(seen)


def phase_defs(phase: Phase) -> list[Value]:
    return [r for op in phase.ops for r in op.results]


@dataclass
class Phased:
    """A launch with barriers or workgroup memory, emitted phase by phase."""

    tr: Translator
    op: Op
    shape: LaunchShape
    in_parallel: bool
    slots: dict[Value, str] = field(default_factory=dict)  # value → per-thread array
    private: dict[Value, tuple[str, MemRefType]] = field(default_factory=dict)  # memref → copies
    slot_decls: list[Stmt] = field(default_factory=list)
    uniform: set[Value] = field(default_factory=set)
    tid: str = "0"

    def stmts(self, comment: str) -> list[Stmt]:
        body = self.op.regions[0]
        shared = [self.workgroup(a) for a in workgroup_allocas(body)]
        self.uniform, hoist = uniformity(body)
        segments = split(body.ops, [], hoist)
        self.plan_slots(segments)
        headers = self.shape.block_headers(self.tr, self.op)
        linear = self.shape.linear_thread(self.tr, self.op)
        self.tid = linear if linear.isidentifier() or linear == "0" else self.tr.namer.fresh("tid")
        inner = self.segments(segments, parallel_threads=not headers and not self.in_parallel)
        stmts = [*shared, *self.slot_decls, *inner]
        pragma = omp_for(loop_extents(self.shape.grid), self.in_parallel)
        return [loop_nest(headers, stmts, pragma, comment)]

    def workgroup(self, op: Op) -> Stmt:
        t = op.result.type
        assert isinstance(t, MemRefType)
        if t.nbytes > MAX_SCRATCH_BYTES:
            raise CompileError(f"workgroup memory {t} is too large for the emulation", op.span)
        name = self.tr.define(op.result)
        return Line(
            f"{storage_type(t.elem)} {name}[{max(t.numel, 1)}] = {{0}};  /* workgroup memory: {t} */"
        )

    # per-thread arrays

    def plan_slots(self, segments: Sequence[Segment]) -> None:
        for loop in uniform_fors(segments):
            self.carried_slots(loop.op)
        all_phases = list(phases(segments))
        owner = {v: p for p in all_phases for v in phase_defs(p)}
        for p in all_phases:
            for v in phase_uses(p):
                home = owner.get(v)
                # Ids are loop variables or literals in every phase: no array.
                if home is None or home is p or v in self.slots or v in self.private:
                    continue
                if v in self.tr.names:
                    continue
                self.value_slot(v, home)

    def carried_slots(self, loop: Op) -> None:
        """iter_args and results of a uniform loop share one per-thread array."""
        for k, arg in enumerate(loop.regions[0].args[1:]):
            values = [arg, *loop.results[k : k + 1]]
            name = self.tr.define(values[-1])
            self.tr.names[arg] = name
            self.new_slot(values, name, scalar_type(arg, loop))

    def value_slot(self, v: Value, home: Phase) -> None:
        if isinstance(v.type, MemRefType):
            self.private_slot(v, v.type, next(op for op in home.ops if v in op.results))
            return
        self.new_slot([v], v.name, scalar_type(v, self.op))

    def private_slot(self, v: Value, t: MemRefType, op: Op) -> None:
        """Thread-private memory used across a barrier: one copy per thread."""
        if t.nbytes * self.shape.threads > MAX_SCRATCH_BYTES:
            raise CompileError(
                f"the copies of thread-private {t} for {self.shape.threads} threads are too "
                "large for the emulation",
                op.span,
            )
        array = self.tr.namer.fresh(f"{v.name}_t")
        self.private[v] = (array, t)
        self.tr.define(v)
        n = max(t.numel, 1)
        self.slot_decls.append(Line(
            f"{storage_type(t.elem)} {array}[{self.shape.threads * n}] = {{0}};  "
            f"/* %{v.name}: thread-private {t}, one copy per thread */"
        ))  # fmt: skip

    def new_slot(self, values: Sequence[Value], base: str, t: ScalarType) -> None:
        name = self.tr.namer.fresh(f"{base}_t")
        for v in values:
            self.slots[v] = name
        ctype = c_type(t)
        what = ", ".join(f"%{v.name}" for v in values)
        self.slot_decls.append(
            Line(f"{ctype} {name}[{self.shape.threads}];  /* {what} of each thread */")
        )

    # segments

    def segments(self, segments: Sequence[Segment], parallel_threads: bool) -> list[Stmt]:
        out: list[Stmt] = []
        for seg in segments:
            if isinstance(seg, Phase):
                out.append(self.phase(seg, parallel_threads))
            elif isinstance(seg, Hoisted):
                out.append(Comment("uniform: the same in every thread of the block"))
                out += self.tr.block(seg.ops, in_parallel=True)
            elif isinstance(seg, Barrier):
                out.append(Comment(BARRIER_COMMENT))
            else:
                out.append(self.uniform_for(seg, parallel_threads))
        return out

    def phase(self, phase: Phase, parallel_threads: bool) -> Stmt:
        tr, tid = self.tr, self.tid
        defs = phase_defs(phase)
        stmts: list[Stmt] = []
        linear = self.shape.linear_thread(tr, self.op)
        if tid != linear and self.needs_tid(phase, defs):
            stmts.append(Line(f"const int64_t {tid} = {linear};  /* index in the block */"))
        for v in phase_uses(phase):
            if v in self.slots and v not in defs:
                ctype = c_type(scalar_type(v, self.op))
                stmts.append(Line(f"const {ctype} {tr.names[v]} = {self.slots[v]}[{tid}];"))
        for v in dict.fromkeys([*defs, *phase_uses(phase)]):
            if v in self.private:
                array, t = self.private[v]
                copy = f"{array} + {tid} * {max(t.numel, 1)}"
                stmts.append(Line(f"{storage_type(t.elem)} *const {tr.names[v]} = {copy};"))
        ops = [op for op in phase.ops if not (op.results and op.results[0] in self.private)]
        stmts += tr.block(ops, in_parallel=True)
        stmts += [Line(f"{self.slots[v]}[{tid}] = {tr.names[v]};") for v in defs if v in self.slots]
        for key, x in phase.tail:
            if x is not key:
                stmts.append(Line(f"{self.slots[key]}[{tid}] = {tr.operand(x)};"))
        headers = self.shape.thread_headers(tr, self.op)
        pragma = omp_for(loop_extents(self.shape.block), not parallel_threads)
        return loop_nest(headers, stmts, pragma, "")

    def needs_tid(self, phase: Phase, defs: Sequence[Value]) -> bool:
        """Does the phase touch a per-thread array?"""
        return bool(phase.tail) or any(
            v in self.slots or v in self.private for v in [*defs, *phase_uses(phase)]
        )

    def uniform_for(self, seg: UniformFor, parallel_threads: bool) -> Stmt:
        op = seg.op
        lb, ub, step = op.operands[:3]
        iv = op.regions[0].args[0]
        self.check_uniform(op)
        header = self.tr.for_header(op, iv, lb, ub, step, parallel=False)
        self.uniform.add(iv)
        body = self.segments(seg.body, parallel_threads)
        comment = "scf.for containing gpu.barrier: runs once per block around its phases"
        return Loop(header, tuple(body), comment=comment)

    def check_uniform(self, loop: Op) -> None:
        """The bounds of a loop around barriers must not differ between threads."""
        body = self.op.regions[0]
        local = {r for op in walk_ops(body) for r in op.results}
        local |= {a for op in walk_ops(body) for r in op.regions for a in r.args}
        local |= set(body.args)
        for x in loop.operands[:3]:
            if isinstance(x, Value) and x in local and x not in self.uniform:
                raise CompileError(
                    "an 'scf.for' containing 'gpu.barrier' needs bounds that are the same "
                    "for every thread of a block (computed from constants, block ids and "
                    "sizes, loads of memory no thread writes, such loops' indices)",
                    loop.span,
                )
