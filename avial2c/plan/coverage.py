"""Does a task body overwrite every element of a memref before reading it?

The planner needs to know whether a written memref must hold its current
contents on the rank that runs the task (a partial write keeps the elements it
does not store) or whether the body replaces all of them.  The answer here is
conservative: ``True`` only when it is provable from the shape of the body.

The stores of a memref that sit directly in one block *cover* it when the
block runs for every point of an iteration space reached unconditionally from
the top of the body through

* ``scf.for`` / ``scf.parallel`` with constant bounds, step 1 and at least one
  iteration (their induction variables range over ``[lb, ub)``);
* ``gpu.launch`` with constant sizes (block ids over ``[0, grid)``, thread ids
  over ``[0, block)`` and the global id ``block_id * block_dim + thread_id``
  over ``[0, grid * block)``);
* ``scf.execute_region``;
* the ``then`` branch of an ``scf.if`` whose condition compares one of those
  variables (plus a constant) with a constant, which narrows its range,

and the elements they store, over all points, are every element of the
memref.  An index is understood when it is a constant, one of those variables
plus a constant, or ``x * S + y`` with ``y`` taking S consecutive values; the
indices of one store must not share a variable.

The old contents cannot be observed when every load of the memref in the body
either comes after the top-level op holding those stores, or comes after one
of them in the same block at exactly the same indices.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from avial2c.ir import Block, Const, MemRefType, Op, Operand, Task, Value, walk_ops

OVERWRITES = "body overwrites every element"
PARTIAL = "partial write: needs current contents"

# How deep an index expression (iv + c1 + c2 ...) is followed.
MAX_INDEX_DEPTH = 16
DIM_NAMES = "xyz"

Key = Value | str  # a loop or launch variable, or "gid.x" for a global id


@dataclass(frozen=True)
class Var:
    """A variable of the iteration space taking every value of [lo, hi)."""

    uses: frozenset[Key]  # the independent variables it is made of
    lo: int
    hi: int


@dataclass(frozen=True)
class Term:
    """An index: variable ``key`` (None for a constant) plus ``off``."""

    key: Key | None
    off: int
    uses: frozenset[Key]
    lo: int
    hi: int

    def shifted(self, c: int) -> Term:
        return Term(self.key, self.off + c, self.uses, self.lo + c, self.hi + c)


@dataclass(frozen=True)
class Launch:
    args: tuple[Value, ...]  # the 12 body arguments of the gpu.launch
    block: tuple[int, int, int]


@dataclass(frozen=True)
class Scope:
    vars: Mapping[Key, Var]
    launch: Launch | None = None

    def with_vars(self, new: Mapping[Key, Var], launch: Launch | None = None) -> Scope:
        return Scope({**self.vars, **new}, launch if launch is not None else self.launch)


def overwrites_all(task: Task, memref: Value) -> bool:
    """True only when the body provably stores every element of MEMREF before any
    load of it could observe the contents it had before the task."""
    if not isinstance(memref.type, MemRefType):
        return False
    body = task.body
    analysis = Coverage(memref, memref.type.shape, definitions(body))
    loads = [op for op in walk_ops(body) if is_access(op, "memref.load", 0, memref)]
    for pos, stores, block in analysis.candidates(body):
        safe = safe_loads(body, pos, stores, block, memref)
        if all(load in safe for load in loads):
            return True
    return False


def reason(task: Task, memref: Value) -> str:
    """Why MEMREF, written by TASK, does or does not need its current contents."""
    return OVERWRITES if overwrites_all(task, memref) else PARTIAL


# --------------------------------------------------------------------------
# Loads that cannot observe old contents


def safe_loads(body: Block, pos: int, stores: Sequence[Op], block: Block, memref: Value) -> set[Op]:
    """Loads after top-level op POS, and loads after one of STORES at its indices."""
    safe = set(loads_in(body.ops[pos + 1 :], memref))
    for store in stores:
        after = block.ops[block.ops.index(store) + 1 :]
        indices = store.operands[2:]
        safe.update(op for op in loads_in(after, memref) if same_indices(op.operands[1:], indices))
    return safe


def loads_in(ops: Sequence[Op], memref: Value) -> list[Op]:
    return [op for op in walk_ops(Block((), tuple(ops))) if is_access(op, "memref.load", 0, memref)]


def is_access(op: Op, name: str, position: int, memref: Value) -> bool:
    return op.name == name and len(op.operands) > position and op.operands[position] is memref


def same_indices(a: tuple[Operand, ...], b: tuple[Operand, ...]) -> bool:
    return len(a) == len(b) and all(same_operand(x, y) for x, y in zip(a, b, strict=True))


def same_operand(x: Operand, y: Operand) -> bool:
    if isinstance(x, Const) and isinstance(y, Const):
        return x.value == y.value
    return x is y


def definitions(body: Block) -> dict[Value, Op]:
    return {r: op for op in walk_ops(body) for r in op.results}


def int_const(x: Operand) -> int | None:
    if isinstance(x, Const) and isinstance(x.value, int):
        return x.value
    return None


# --------------------------------------------------------------------------
# Stores that cover the memref


@dataclass(frozen=True)
class Coverage:
    memref: Value
    shape: tuple[int, ...]
    defs: Mapping[Value, Op]

    def candidates(self, body: Block) -> Iterator[tuple[int, tuple[Op, ...], Block]]:
        """Covering groups of stores: (top-level op index, stores, their block)."""
        top = self.group(body, Scope({}))
        if top:
            yield body.ops.index(top[-1]), top, body
        for pos, op in enumerate(body.ops):
            for inner, scope in self.enter(op, Scope({})):
                for stores, block in self.covering(inner, scope):
                    yield pos, stores, block

    def covering(self, block: Block, scope: Scope) -> Iterator[tuple[tuple[Op, ...], Block]]:
        """Covering groups in BLOCK and in the regions it always runs."""
        stores = self.group(block, scope)
        if stores:
            yield stores, block
        for op in block.ops:
            for inner, inner_scope in self.enter(op, scope):
                yield from self.covering(inner, inner_scope)

    def group(self, block: Block, scope: Scope) -> tuple[Op, ...]:
        """The stores directly in BLOCK when together they cover the memref, else ()."""
        found = []
        for op in block.ops:
            if is_access(op, "memref.store", 1, self.memref):
                box = self.box(op, scope)
                if box is not None:
                    found.append((op, box))
        if not found or not union_covers([box for _, box in found], self.shape):
            return ()
        return tuple(op for op, _ in found)

    def box(self, store: Op, scope: Scope) -> Box | None:
        """The elements STORE writes over all points: a range per dimension."""
        indices = store.operands[2:]
        if len(indices) != len(self.shape):
            return None
        box = []
        used: set[Key] = set()
        for x, extent in zip(indices, self.shape, strict=True):
            t = self.term(x, scope, 0)
            if t is None or t.uses & used:
                return None
            used |= t.uses
            box.append((max(t.lo, 0), min(t.hi, extent)))
        return tuple(box)

    # Regions that run for every point of the current iteration space

    def enter(self, op: Op, scope: Scope) -> list[tuple[Block, Scope]]:
        if op.name == "scf.execute_region" and op.regions:
            return [(op.regions[0], scope)]
        if op.name == "scf.for":
            return enter_for(op, scope)
        if op.name == "scf.parallel":
            return enter_parallel(op, scope)
        if op.name == "gpu.launch" and scope.launch is None:
            return enter_launch(op, scope)
        if op.name == "scf.if" and op.regions:
            narrowed = self.guarded(op.operands[0], scope)
            return [] if narrowed is None else [(op.regions[0], narrowed)]
        return []

    def guarded(self, cond: Operand, scope: Scope) -> Scope | None:
        """The scope inside `scf.if COND` when COND is a bound on one variable."""
        if int_const(cond) == 1:
            return scope
        cmp = self.defs.get(cond) if isinstance(cond, Value) else None
        if cmp is None or cmp.name != "arith.cmpi" or len(cmp.operands) != 2:
            return None
        pred = str(cmp.attr("predicate", ""))
        lhs, rhs = cmp.operands
        n = int_const(rhs)
        if n is None:
            n, lhs, pred = int_const(lhs), rhs, SWAPPED.get(pred, "")
        t = None if n is None else self.term(lhs, scope, 0)
        if t is None or t.key is None or n is None:
            return None
        return narrow(scope, t, pred, n)

    # Index expressions

    def term(self, x: Operand, scope: Scope, depth: int) -> Term | None:
        c = int_const(x)
        if c is not None:
            return Term(None, c, frozenset(), c, c + 1)
        if not isinstance(x, Value) or depth > MAX_INDEX_DEPTH:
            return None
        var = scope.vars.get(x)
        if var is not None:
            return Term(x, 0, var.uses, var.lo, var.hi)
        op = self.defs.get(x)
        if op is None:
            return None
        if op.name == "gpu.global_id":
            return gid_term(DIM_NAMES.find(str(op.attr("dimension", "x"))), scope)
        if op.name == "arith.addi":
            return (
                self.global_id(op, scope)
                or self.linear(op, scope, depth)
                or self.offset(op, scope, depth)
            )
        if op.name == "arith.subi":
            return self.offset(op, scope, depth)
        return None

    def offset(self, op: Op, scope: Scope, depth: int) -> Term | None:
        """``v + c``, ``c + v`` or ``v - c``."""
        a, b = op.operands
        c = int_const(b)
        if op.name == "arith.subi":
            inner = None if c is None else self.term(a, scope, depth + 1)
            return None if inner is None or c is None else inner.shifted(-c)
        if c is None:
            a, c = b, int_const(a)
        inner = None if c is None else self.term(a, scope, depth + 1)
        return None if inner is None or c is None else inner.shifted(c)

    def linear(self, op: Op, scope: Scope, depth: int) -> Term | None:
        """``x * S + y`` (either order) where y takes S consecutive values."""
        for a, b in (op.operands, op.operands[::-1]):
            mul = self.defs.get(a) if isinstance(a, Value) else None
            if mul is None or mul.name != "arith.muli":
                continue
            for x, s in (mul.operands, mul.operands[::-1]):
                size = self.stride(s, scope)
                tx = None if size is None else self.term(x, scope, depth + 1)
                ty = None if tx is None else self.term(b, scope, depth + 1)
                if size is None or tx is None or ty is None:
                    continue
                if ty.hi - ty.lo == size and not tx.uses & ty.uses:
                    lo, hi = tx.lo * size + ty.lo, (tx.hi - 1) * size + ty.hi
                    return Term(None, 0, tx.uses | ty.uses, lo, hi)
        return None

    def stride(self, s: Operand, scope: Scope) -> int | None:
        """A positive constant, or a block size of the enclosing launch."""
        c = int_const(s)
        if c is not None:
            return c if c > 0 else None
        launch = scope.launch
        if launch is None or s not in launch.args[9:]:
            return None
        return launch.block[launch.args[9:].index(s)]

    def global_id(self, op: Op, scope: Scope) -> Term | None:
        """``block_id * block_dim + thread_id`` in one dimension of the launch."""
        launch = scope.launch
        if launch is None:
            return None
        for d in range(3):
            tid, bid, bdim = launch.args[3 + d], launch.args[d], launch.args[9 + d]
            for a, b in (op.operands, op.operands[::-1]):
                if a is tid and self.is_product(b, bid, bdim, launch.block[d]):
                    return gid_term(d, scope)
        return None

    def is_product(self, x: Operand, bid: Value, bdim: Value, size: int) -> bool:
        op = self.defs.get(x) if isinstance(x, Value) else None
        if op is None or op.name != "arith.muli":
            return False
        for a, b in (op.operands, op.operands[::-1]):
            if a is bid and (b is bdim or int_const(b) == size):
                return True
        return False


Box = tuple[tuple[int, int], ...]  # a half-open range per dimension
MAX_UNION_ELEMENTS = 1 << 16  # larger memrefs are covered by one store only


def union_covers(boxes: Sequence[Box], shape: tuple[int, ...]) -> bool:
    full = tuple((0, d) for d in shape)
    if full in boxes:
        return True
    numel = math.prod(shape)
    if numel > MAX_UNION_ELEMENTS:
        return False
    seen: set[tuple[int, ...]] = set()
    for box in boxes:
        seen.update(itertools.product(*(range(lo, hi) for lo, hi in box)))
    return len(seen) == numel


SWAPPED = {
    "slt": "sgt", "sle": "sge", "sgt": "slt", "sge": "sle",
    "ult": "ugt", "ule": "uge", "ugt": "ult", "uge": "ule",
}  # fmt: skip


def gid_term(d: int, scope: Scope) -> Term | None:
    if d < 0:
        return None
    key = f"gid.{DIM_NAMES[d]}"
    var = scope.vars.get(key)
    return None if var is None else Term(key, 0, var.uses, var.lo, var.hi)


def narrow(scope: Scope, t: Term, pred: str, n: int) -> Scope | None:
    """Scope where ``t PRED n`` holds: the variable of T gets a smaller range."""
    assert t.key is not None
    var = scope.vars[t.key]
    if pred.startswith("u") and (var.lo + t.off < 0 or n < 0):
        return None  # unsigned and signed order differ on negative values
    bound = n - t.off
    lo, hi = var.lo, var.hi
    kind = pred[1:]
    if kind == "lt":
        hi = min(hi, bound)
    elif kind == "le":
        hi = min(hi, bound + 1)
    elif kind == "gt":
        lo = max(lo, bound + 1)
    elif kind == "ge":
        lo = max(lo, bound)
    else:
        return None
    if lo >= hi:
        return None
    kept = {k: v for k, v in scope.vars.items() if k == t.key or not v.uses & var.uses}
    kept[t.key] = Var(var.uses, lo, hi)
    return Scope(kept, scope.launch)


def const_operands(ops: tuple[Operand, ...]) -> list[int] | None:
    values = [int_const(x) for x in ops]
    return None if any(v is None for v in values) else [v for v in values if v is not None]


def loop_vars(ivs: tuple[Value, ...], lbs: list[int], ubs: list[int]) -> dict[Key, Var]:
    return {iv: Var(frozenset([iv]), lb, ub) for iv, lb, ub in zip(ivs, lbs, ubs, strict=True)}


def enter_for(op: Op, scope: Scope) -> list[tuple[Block, Scope]]:
    bounds = const_operands(op.operands[:3])
    if bounds is None or not op.regions or not op.regions[0].args:
        return []
    lb, ub, step = bounds
    if step != 1 or ub <= lb:
        return []
    body = op.regions[0]
    return [(body, scope.with_vars(loop_vars(body.args[:1], [lb], [ub])))]


def enter_parallel(op: Op, scope: Scope) -> list[tuple[Block, Scope]]:
    if not op.regions:
        return []
    body = op.regions[0]
    n = len(body.args)
    bounds = const_operands(op.operands[: 3 * n])
    if n == 0 or bounds is None or len(bounds) != 3 * n:
        return []
    lbs, ubs, steps = bounds[:n], bounds[n : 2 * n], bounds[2 * n :]
    if any(s != 1 for s in steps) or any(ub <= lb for lb, ub in zip(lbs, ubs, strict=True)):
        return []
    return [(body, scope.with_vars(loop_vars(body.args, lbs, ubs)))]


def enter_launch(op: Op, scope: Scope) -> list[tuple[Block, Scope]]:
    sizes = const_operands(op.operands)
    if sizes is None or len(sizes) != 6 or any(s < 1 for s in sizes) or not op.regions:
        return []
    body = op.regions[0]
    if len(body.args) != 12:
        return []
    grid, block = sizes[:3], sizes[3:]
    new: dict[Key, Var] = {}
    for d in range(3):
        bid, tid = body.args[d], body.args[3 + d]
        new[bid] = Var(frozenset([bid]), 0, grid[d])
        new[tid] = Var(frozenset([tid]), 0, block[d])
        new[f"gid.{DIM_NAMES[d]}"] = Var(frozenset([bid, tid]), 0, grid[d] * block[d])
    launch = Launch(body.args, (block[0], block[1], block[2]))
    return [(body, scope.with_vars(new, launch))]
