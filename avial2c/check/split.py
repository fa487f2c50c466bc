"""Can a task be split by rows, and which rows of each memref does a block need?

docs/language.md, "Split tasks".  A task can be split when its body is one
``scf.parallel`` whose first dimension ``%i`` runs over constant ``[lo, hi)``
with step 1, every store into a schedule memref has ``%i`` itself as its
first index, and every load from a schedule memref has as its first index
``%i + c`` (``c`` a constant, through ``arith.addi``/``arith.subi``) or an
index that does not depend on ``%i`` (then the whole memref is needed); and
it does not load a memref it writes at any other row than its own.

A GPU task splits the same way when its body is one terse ``gpu.launch``
(one thread per element of the memrefs it stores into; after
:mod:`avial2c.transforms.expand_launch`, the full form that stands for it:
a 1-D launch whose global thread index ``%t`` runs over ``[0, N)``).  Its
rows are those of the memrefs it stores into: the row of thread ``%t`` is
``%t`` itself, or ``%t / C`` (``arith.divui``/``divsi`` by a constant, the
length of a row in threads); stores and loads must index rows as above,
with that row in place of ``%i``.  Rows ``[0, N / C)``; ``%t % C``
(``arith.remui``/``remsi``, the column) does not depend on the row.  The
body may not use the launch's other ids or sizes, nor ``gpu.barrier`` or
workgroup memory (a block of threads would change meaning).
:func:`split_launch` (avial2c.transforms.split_launch) rewrites the launch
for one rank's block.

:func:`row_split` returns the facts the planner needs (:class:`RowSplit`) or
raises :class:`CannotSplit` naming the op that prevents it.
"""

from __future__ import annotations

from dataclasses import dataclass

from avial2c.ir import (
    Block,
    Const,
    MemRefType,
    Op,
    Operand,
    Task,
    Value,
    is_gpu_arch,
    walk_ops,
)


@dataclass(frozen=True)
class RowRead:
    """Rows of a memref one block of rows [a, b) reads: [a + before, b + after),
    or every row when ``whole``."""

    memref: str
    before: int  # the smallest offset c (<= 0)
    after: int  # one more than the largest offset c (>= 1), rows past the block
    whole: bool = False


@dataclass(frozen=True)
class RowSplit:
    lo: int  # rows [lo, hi) of the first parallel dimension
    hi: int
    reads: tuple[RowRead, ...]  # per memref read, in the task's order
    iterations: int  # of the whole scf.parallel (a GPU task: threads of the launch)
    per_row: int = 1  # a GPU task: threads per row (C above)

    def read(self, memref: str) -> RowRead | None:
        return next((r for r in self.reads if r.memref == memref), None)


class CannotSplit(Exception):
    def __init__(self, message: str, op: Op | None) -> None:
        super().__init__(message)
        self.message = message
        self.op = op


def row_split(task: Task) -> RowSplit:
    """The row split of TASK (checked), or CannotSplit."""
    if is_gpu_arch(task.target.arch):
        return launch_split(task)
    ops = task.body.ops
    for op in ops:
        if op.name == "scf.parallel" and len(op.operands) > 3 * len(op.regions[0].args):
            raise CannotSplit(
                "a task split by rows cannot reduce over its rows ('scf.parallel' with "
                "init values)",
                op,
            )
    if len(ops) != 1 or ops[0].name != "scf.parallel":
        other = next((op for op in ops if op.name != "scf.parallel"), ops[1] if ops else None)
        raise CannotSplit(
            "a task split by rows must hold one 'scf.parallel' and nothing else", other
        )
    par = ops[0]
    body = par.regions[0]
    n = len(body.args)
    bounds = [int_const(x) for x in par.operands[: 3 * n]]
    if None in bounds or par.operands[3 * n :]:
        raise CannotSplit(
            "a task split by rows needs an 'scf.parallel' with constant bounds and no "
            "reduction",
            par,
        )
    lbs, ubs, steps = bounds[:n], bounds[n : 2 * n], bounds[2 * n :]
    if steps[0] != 1:
        raise CannotSplit("the first dimension of a split 'scf.parallel' must have step 1", par)
    iterations = 1
    for lb, ub, step in zip(lbs, ubs, steps, strict=True):
        assert lb is not None and ub is not None and step is not None
        iterations *= max(0, -(-(ub - lb) // step))
    rows = Rows(body)
    reads = row_reads(task, body, rows)
    assert lbs[0] is not None and ubs[0] is not None
    return RowSplit(lbs[0], max(lbs[0], ubs[0]), reads, iterations)


def row_reads(task: Task, body: Block, rows: Rows) -> tuple[RowRead, ...]:
    """The rows of each memref TASK reads, its accesses in BODY checked."""
    schedule = set(task.reads) | set(task.writes)
    written = {m.name for m in task.writes}
    reads: dict[str, RowRead] = {}
    for op in walk_ops(body):
        if op.name == "memref.store" and op.operands[1] in schedule:
            m = op.operands[1]
            assert isinstance(m, Value)
            first = op.operands[2] if len(op.operands) > 2 else None
            if first is None or rows.offset(first) != 0:
                raise CannotSplit(
                    f"a task split by rows must store into '%{m.name}' at row {rows.row} "
                    "itself (its first index)",
                    op,
                )
        elif op.name == "memref.load" and op.operands[0] in schedule:
            m = op.operands[0]
            assert isinstance(m, Value)
            first = op.operands[1] if len(op.operands) > 1 else None
            offset = rows.offset(first) if first is not None else None
            if first is not None and offset is None and rows.depends(first):
                raise CannotSplit(
                    f"the row index of this load of '%{m.name}' depends on "
                    f"{rows.name} other than as {rows.row} + constant",
                    op,
                )
            if m.name in written and offset != 0:
                raise CannotSplit(
                    f"a task split by rows may read '%{m.name}', which it writes, only at "
                    "its own rows (another block writes the others)",
                    op,
                )
            reads[m.name] = merge_read(reads.get(m.name), m.name, offset)
    order = [m.name for m in task.reads + task.writes]
    return tuple(sorted(reads.values(), key=lambda r: order.index(r.memref)))


@dataclass(frozen=True)
class TerseLaunch:
    """The parts of a terse gpu.launch in its expanded form."""

    launch: Op
    gid: Value  # the thread's global index, over [0, threads)
    threads: int
    block: int  # threads per block
    body: Block  # the ops each thread with gid < threads runs


def terse_launch(task: Task) -> TerseLaunch:
    """TASK's one launch, if it is a terse one (expanded), or CannotSplit."""
    ops = task.body.ops
    if len(ops) != 1 or ops[0].name != "gpu.launch":
        other = next((op for op in ops if op.name != "gpu.launch"), ops[1] if ops else None)
        raise CannotSplit(
            "a GPU task split by rows must hold one 'gpu.launch' and nothing else", other
        )
    launch = ops[0]
    sizes = [int_const(x) for x in launch.operands]
    body = launch.regions[0]
    terse = len(sizes) == 6 and sizes[1:3] == [1, 1] and sizes[4:6] == [1, 1]
    grid, block = sizes[0] if terse else None, sizes[3] if terse else None
    found: TerseLaunch | None = None
    if terse and grid == 1 and block is not None and len(body.args) == 12:
        found = TerseLaunch(launch, body.args[3], block, block, body)
    elif terse and grid is not None and block is not None and len(body.args) == 12:
        found = guarded_launch(launch, grid, block)
    if found is None:
        raise CannotSplit(
            "only a terse 'gpu.launch { ... }' (one thread per element of what it stores "
            "into) can be split by rows, not a launch with another grid",
            launch,
        )
    allowed = {found.gid}
    for op in walk_ops(found.body):
        workgroup = any(isinstance(r.type, MemRefType) and r.type.space == "workgroup"
                        for r in op.results)  # fmt: skip
        if op.name == "gpu.barrier" or workgroup:
            raise CannotSplit(
                f"a 'gpu.launch' split by rows cannot use '{op.name}' (workgroup memory and "
                "barriers belong to blocks of threads, which a split changes)",
                op,
            )
        used = next((x for x in op.operands if x in body.args and x not in allowed), None)
        if used is not None:
            raise CannotSplit(
                "a 'gpu.launch' split by rows may use only its global thread index "
                "(gpu.thread_id x), not the other ids or sizes of the launch",
                op,
            )
    return found


def guarded_launch(launch: Op, grid: int, block: int) -> TerseLaunch | None:
    """gid = block_id.x * block_dim.x + thread_id.x; if (gid < N) { body }, or None."""
    body = launch.regions[0]
    args = body.args
    if len(body.ops) != 4:
        return None
    mul, add, cmp, guard = body.ops
    if (
        mul.name != "arith.muli"
        or mul.operands != (args[0], args[9])
        or add.name != "arith.addi"
        or add.operands != (mul.result, args[3])
        or cmp.name != "arith.cmpi"
        or cmp.attr("predicate") != "ult"
        or cmp.operands[0] is not add.result
        or guard.name != "scf.if"
        or guard.operands != (cmp.result,)
        or guard.results
        or guard.regions[1].ops
    ):
        return None
    n = int_const(cmp.operands[1])
    if n is None or not (grid - 1) * block < n <= grid * block:
        return None
    return TerseLaunch(launch, add.result, n, block, guard.regions[0])


def launch_split(task: Task) -> RowSplit:
    """The row split of GPU task TASK (checked), or CannotSplit."""
    tl = terse_launch(task)
    rows = Rows(tl.body, tl.gid)
    stores = [
        op
        for op in walk_ops(tl.body)
        if op.name == "memref.store" and len(op.operands) > 2 and op.operands[1] in task.writes
    ]
    per_row = rows.per_row_of(stores[0].operands[2]) if stores else None
    if per_row is None:
        raise CannotSplit(
            "a 'gpu.launch' split by rows must store at the thread's row: gpu.thread_id x "
            "itself, or it divided by the length of a row (arith.divui by a constant)",
            stores[0] if stores else tl.launch,
        )
    rows.per_row = per_row
    if tl.threads % per_row:
        raise CannotSplit(
            f"the {tl.threads} threads of this 'gpu.launch' are not whole rows of {per_row}",
            tl.launch,
        )
    reads = row_reads(task, tl.body, rows)
    return RowSplit(0, tl.threads // per_row, reads, tl.threads, per_row)


def merge_read(old: RowRead | None, memref: str, offset: int | None) -> RowRead:
    if offset is None:
        return RowRead(memref, 0, 1, whole=True)
    if old is None:
        return RowRead(memref, min(offset, 0), max(offset + 1, 1))
    return RowRead(memref, min(old.before, offset), max(old.after, offset + 1), old.whole)


def int_const(x: Operand) -> int | None:
    return x.value if isinstance(x, Const) and isinstance(x.value, int) else None


class Rows:
    """Row indices in the body of a split scf.parallel (or gpu.launch): offsets
    from %i, and whether a value depends on %i at all.  In a launch (IV given),
    %i is the thread's global index and its row is %i / per_row."""

    def __init__(self, body: Block, iv: Value | None = None) -> None:
        self.launch = iv is not None
        self.iv = body.args[0] if iv is None else iv
        self.per_row = 1
        self.defs: dict[Value, Op] = {}
        self.arg_of: dict[Value, Op] = {}
        for op in walk_ops(body):
            for r in op.results:
                self.defs[r] = op
            for region in op.regions:
                for a in region.args:
                    self.arg_of[a] = op
        self.memo: dict[Value, bool] = {}

    @property
    def name(self) -> str:
        """What rows are computed from, in messages."""
        return f"%{self.iv.name}" if not self.launch else "gpu.thread_id x"

    @property
    def row(self) -> str:
        """The row, in messages."""
        if not self.launch:
            return f"%{self.iv.name}"
        return "gpu.thread_id x" if self.per_row == 1 else f"gpu.thread_id x / {self.per_row}"

    def per_row_of(self, x: Operand) -> int | None:
        """In a launch, C when X is a row: %i itself (1) or %i / C."""
        if x is self.iv:
            return 1
        op = self.defs.get(x) if isinstance(x, Value) else None
        if op is not None and op.name in ("arith.divui", "arith.divsi") and op.operands[0] is self.iv:
            c = int_const(op.operands[1])
            return c if c is not None and c >= 1 else None
        return None

    def offset(self, x: Operand) -> int | None:
        """c when X is %i + c (through addi/subi with constants), else None."""
        if x is self.iv if not self.launch else self.per_row_of(x) == self.per_row:
            return 0
        op = self.defs.get(x) if isinstance(x, Value) else None
        if op is None or op.name not in ("arith.addi", "arith.subi"):
            return None
        a, b = op.operands
        if op.name == "arith.addi" and int_const(a) is not None:
            a, b = b, a
        c = int_const(b)
        base = self.offset(a)
        if c is None or base is None:
            return None
        return base + c if op.name == "arith.addi" else base - c

    def depends(self, x: Operand) -> bool:
        """Does X depend on %i (through any op, or a loop whose bounds do)?"""
        if not isinstance(x, Value):
            return False
        if x is self.iv:
            return True
        if x in self.memo:
            return self.memo[x]
        if self.is_column(x):
            return False  # %i % C: the same columns in every row
        self.memo[x] = True  # a cycle (loop-carried value) is treated as dependent
        op = self.defs.get(x) or self.arg_of.get(x)
        if op is None:
            result = False
        elif is_loop_index(op, x):
            # A loop index depends only on the loop's bounds.
            bounds = op.operands[:3] if op.name == "scf.for" else op.operands
            result = any(self.depends(y) for y in bounds)
        else:
            result = any(self.depends(y) for y in op.operands) or any(
                self.depends(y) for inner in walk_ops(Block((), (op,))) for y in inner.operands
            )
        self.memo[x] = result
        return result


    def is_column(self, x: Value) -> bool:
        """Is X the launch's column, %i % per_row?"""
        op = self.defs.get(x)
        return (
            self.launch
            and op is not None
            and op.name in ("arith.remui", "arith.remsi")
            and op.operands[0] is self.iv
            and int_const(op.operands[1]) == self.per_row
        )


def is_loop_index(op: Op, x: Value) -> bool:
    if op.name == "scf.for":
        return x is op.regions[0].args[0]
    return op.name == "scf.parallel" and x in op.regions[0].args
