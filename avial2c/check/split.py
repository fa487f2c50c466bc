"""Can a task be split by rows, and which rows of each memref does a block need?

docs/language.md, "Split tasks".  A task can be split when its body is one
``scf.parallel`` whose first dimension ``%i`` runs over constant ``[lo, hi)``
with step 1, every store into a schedule memref has ``%i`` itself as its
first index, and every load from a schedule memref has as its first index
``%i + c`` (``c`` a constant, through ``arith.addi``/``arith.subi``) or an
index that does not depend on ``%i`` (then the whole memref is needed); and
it does not load a memref it writes at any other row than its own.

:func:`row_split` returns the facts the planner needs (:class:`RowSplit`) or
raises :class:`CannotSplit` naming the op that prevents it.
"""

from __future__ import annotations

from dataclasses import dataclass

from avial2c.ir import Block, Const, Op, Operand, Task, Value, is_gpu_arch, walk_ops


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
    iterations: int  # of the whole scf.parallel

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
        raise CannotSplit("splitting GPU tasks by rows is not supported yet", None)
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
    schedule = set(task.reads) | set(task.writes)
    written = {m.name for m in task.writes}
    reads: dict[str, RowRead] = {}
    for op in walk_ops(body):
        if op.name == "memref.store" and op.operands[1] in schedule:
            m = op.operands[1]
            assert isinstance(m, Value)
            first = op.operands[2] if len(op.operands) > 2 else None
            if first is not rows.iv:
                raise CannotSplit(
                    f"a task split by rows must store into '%{m.name}' at row %{rows.iv.name} "
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
                    f"%{rows.iv.name} other than as %{rows.iv.name} + constant",
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
    ordered = tuple(sorted(reads.values(), key=lambda r: order.index(r.memref)))
    assert lbs[0] is not None and ubs[0] is not None
    return RowSplit(lbs[0], max(lbs[0], ubs[0]), ordered, iterations)


def merge_read(old: RowRead | None, memref: str, offset: int | None) -> RowRead:
    if offset is None:
        return RowRead(memref, 0, 1, whole=True)
    if old is None:
        return RowRead(memref, min(offset, 0), max(offset + 1, 1))
    return RowRead(memref, min(old.before, offset), max(old.after, offset + 1), old.whole)


def int_const(x: Operand) -> int | None:
    return x.value if isinstance(x, Const) and isinstance(x.value, int) else None


class Rows:
    """Row indices in the body of a split scf.parallel: offsets from %i, and
    whether a value depends on %i at all."""

    def __init__(self, body: Block) -> None:
        self.iv = body.args[0]
        self.defs: dict[Value, Op] = {}
        self.arg_of: dict[Value, Op] = {}
        for op in walk_ops(body):
            for r in op.results:
                self.defs[r] = op
            for region in op.regions:
                for a in region.args:
                    self.arg_of[a] = op
        self.memo: dict[Value, bool] = {}

    def offset(self, x: Operand) -> int | None:
        """c when X is %i + c (through addi/subi with constants), else None."""
        if x is self.iv:
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


def is_loop_index(op: Op, x: Value) -> bool:
    if op.name == "scf.for":
        return x is op.regions[0].args[0]
    return op.name == "scf.parallel" and x in op.regions[0].args
