"""Task bodies as NumPy array operations, for the Python backend.

:func:`vectorize` turns a body that is one *elementwise or affine*
``scf.parallel`` or ``gpu.launch`` into a few lines of NumPy that compute
every iteration at once, on slices of the memrefs; for any other body it
says why not, and the program runs the body through the interpreter's
closures instead.

**What is vectorised.** The body is one ``scf.parallel`` with constant
bounds and steps (a split task's first dimension runs over the rank's
block, ``row_lo``..``row_hi``) and no reduction, or one ``gpu.launch``
with constant sizes, whose dimensions are the global ids z, y, x (a thread
or block id counts when it equals the global id or 0, i.e. when its axis
has one block or one thread; no ``gpu.barrier``, no shared memory); and no
op of the body has a region.
Every load and store indexes each dimension of its memref with a constant
or with one induction variable plus a constant (``%i``, ``%i + 1``,
``%i - 1``), the induction variables in loop order, each at most once; a
store uses every induction variable, so no two iterations store into the
same element.  A memref the body stores into is loaded and stored at the
same indices only, so each of its elements is touched by one iteration and
the order of the iterations cannot matter.  Every index is in bounds for
every iteration (otherwise the interpreter, which reports the access, runs
the body).  Induction variables used as data become ``np.arange`` columns.

**Edges.** A body whose one ``scf.if`` tests only whether induction
variables are at the ends of their ranges (``i == 0 || i == n - 1 || j ==
0 || ...``, a stencil's boundary) is vectorised box by box
(:func:`edge_pieces`): each edge with the ``then`` branch, the interior
with the ``else`` branch, the boxes disjoint.

**Bit for bit.** Only ops whose NumPy form gives the interpreter's bits
are accepted (``avial2c.interp.scalars``):

* integers (not ``i1``) ``addi subi muli`` wrap around in NumPy's fixed
  width exactly as MLIR's; ``andi ori xori`` (also on ``i1``, NumPy
  ``bool``), ``minsi maxsi``, the signed and equality ``cmpi`` predicates;
* floats ``addf subf mulf divf`` are single IEEE operations in the operand
  type (float32 arithmetic is float32, never widened; no fused
  multiply-add), ``remf`` is C ``fmod`` (exact), ``negf``, ``absf`` and
  ``sqrt`` (correctly rounded), every ``cmpf`` predicate;
* ``select``; the exact or correctly rounded casts: ``index_cast extsi
  trunci`` between integers (not ``i1``), ``sitofp`` from at most 32 bits
  (or from 64 bits to f64), ``extf``, ``truncf``.

Everything else (divisions, shifts, unsigned predicates, ``fptosi``,
``minimumf`` and kin, whose signed zeros NumPy orders differently, the math
library, whose NumPy kernels may round differently) makes the whole body
run through the closures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from avial2c.interp.arith import const_value
from avial2c.ir import (
    INDEX,
    Block,
    Const,
    MemRefType,
    Op,
    Operand,
    ScalarType,
    Task,
    Value,
    walk_ops,
)

NP_TYPES = {
    "i1": "np.bool_",
    "i8": "np.int8",
    "i16": "np.int16",
    "i32": "np.int32",
    "i64": "np.int64",
    "index": "np.int64",
    "f32": "np.float32",
    "f64": "np.float64",
}

INFIX = {
    "arith.addi": "+",
    "arith.subi": "-",
    "arith.muli": "*",
    "arith.andi": "&",
    "arith.ori": "|",
    "arith.xori": "^",
    "arith.addf": "+",
    "arith.subf": "-",
    "arith.mulf": "*",
    "arith.divf": "/",
}
CALLS = {"arith.minsi": "np.minimum", "arith.maxsi": "np.maximum", "arith.remf": "np.fmod"}
UNARY_CALLS = {"math.sqrt": "np.sqrt", "math.absf": "np.abs"}
# Integer ops that NumPy computes as MLIR does on every integer type but i1.
NOT_ON_I1 = frozenset(["arith.addi", "arith.subi", "arith.muli", "arith.minsi", "arith.maxsi"])
CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}
CMPF: dict[str, Callable[[str, str], str]] = {
    "false": lambda a, b: f"np.zeros(np.broadcast({a}, {b}).shape, dtype=np.bool_)",
    "true": lambda a, b: f"np.ones(np.broadcast({a}, {b}).shape, dtype=np.bool_)",
    "oeq": lambda a, b: f"{a} == {b}",
    "ogt": lambda a, b: f"{a} > {b}",
    "oge": lambda a, b: f"{a} >= {b}",
    "olt": lambda a, b: f"{a} < {b}",
    "ole": lambda a, b: f"{a} <= {b}",
    "one": lambda a, b: f"({a} < {b}) | ({a} > {b})",
    "ord": lambda a, b: f"~(np.isnan({a}) | np.isnan({b}))",
    "ueq": lambda a, b: f"~(({a} < {b}) | ({a} > {b}))",
    "ugt": lambda a, b: f"~({a} <= {b})",
    "uge": lambda a, b: f"~({a} < {b})",
    "ult": lambda a, b: f"~({a} >= {b})",
    "ule": lambda a, b: f"~({a} > {b})",
    "une": lambda a, b: f"{a} != {b}",
    "uno": lambda a, b: f"np.isnan({a}) | np.isnan({b})",
}
INT_CASTS = frozenset(["arith.index_cast", "arith.extsi", "arith.trunci"])
CASTS = INT_CASTS | {"arith.sitofp", "arith.extf", "arith.truncf"}
SUPPORTED = frozenset(
    {"memref.load", "memref.store", "arith.negf", "arith.select", "arith.cmpi", "arith.cmpf"}
    | {*INFIX, *CALLS, *UNARY_CALLS, *CASTS}
)


GPU_IDS = ("block_id", "thread_id", "global_id", "grid_dim", "block_dim")


class NotVectorizable(Exception):
    """Why a body runs through the closures instead."""


@dataclass(frozen=True)
class Dim:
    """One dimension of the iteration space: its first value, trip count and step."""

    name: str  # for comments: %i, or "global id x"
    lo: int
    trips: int
    step: int
    first: str  # its first and last-plus-one values in the generated code
    stop: str

    @property
    def last(self) -> int:
        return self.lo + (self.trips - 1) * self.step


# An index of a load or store: ("dim", d, offset) or ("const", value, 0).
Index = tuple[str, int, int]


def vectorize(
    task: Task,
    memrefs: dict[Value, str],
    loop_ivs: dict[Value, str],
    fresh: Callable[[str], str],
    rows: tuple[str, str] | None = None,
) -> list[str]:
    """NumPy lines computing TASK's body, or NotVectorizable.

    MEMREFS names the task's memref parameters, LOOP_IVS the time loops'
    induction variables it uses; FRESH makes a new local name; ROWS names
    the first and last-plus-one row of a split task's block.  A body that
    branches on the edges of its iteration space (:func:`edge_pieces`) is
    vectorised box by box."""
    try:
        return Vectorizer(task, memrefs, loop_ivs, fresh, rows).lines()
    except NotVectorizable:
        pieces = edge_pieces(task, rows)
        if not pieces:
            raise
    out = ["# scf.if on the edges of the iteration space: one box at a time, disjoint"]
    for piece in pieces:
        lines = Vectorizer(piece.task, memrefs, loop_ivs, fresh, piece.rows).lines()
        out.append(f"{lines[0]} ({piece.what})")
        out += lines[1:]
    return out


class Vectorizer:
    def __init__(
        self,
        task: Task,
        memrefs: dict[Value, str],
        loop_ivs: dict[Value, str],
        fresh: Callable[[str], str],
        rows: tuple[str, str] | None,
    ) -> None:
        self.task = task
        self.memrefs = memrefs
        self.loop_ivs = loop_ivs
        self.fresh = fresh
        self.rows = rows
        self.names: dict[Value, str] = {}
        self.aranges: dict[int, str] = {}  # the values of a dimension, when used as data
        self.out: list[str] = []

    # -- the iteration space

    def lines(self) -> list[str]:
        ops = self.task.body.ops
        self.ivs: dict[Value, int] = {}  # values that run over a dimension
        self.fixed: dict[Value, int] = {}  # values that are the same in every iteration
        self.opaque: set[Value] = set()  # ids that are not a function of one dimension
        what = ops[0].name if len(ops) == 1 else ""
        self.what = what
        if what == "scf.parallel":
            ops = self.parallel(ops[0])
        elif what == "gpu.launch":
            ops = self.launch(ops[0])
        else:
            raise NotVectorizable("the body is not one scf.parallel or gpu.launch")
        other = next((op for op in ops if op.name not in SUPPORTED), None)
        if other is not None:
            raise NotVectorizable(f"its body holds '{other.name}'")
        self.defs = {r: op for op in ops for r in op.results}
        self.check_accesses(ops)
        data = self.data_uses(ops)
        header = " x ".join(
            f"{d.name} in [{d.first}, {d.stop})" + (f" step {d.step}" if d.step != 1 else "")
            for d in self.dims
        )
        self.out.append(f"# {what}, {header or 'once'}: elementwise, as NumPy operations on slices")
        for op in ops:
            if op.name == "memref.store":
                self.store(op)
            elif any(r in data for r in op.results):
                self.names[op.result] = self.fresh(op.result.name)
                self.out.append(f"{self.names[op.result]} = {self.expr(op)}  # {op.name}")
        return self.out

    def parallel(self, par: Op) -> tuple[Op, ...]:
        """The dimensions of an scf.parallel: its induction variables."""
        body = par.regions[0]
        n = len(body.args)
        if len(par.operands) != 3 * n:
            raise NotVectorizable("the scf.parallel reduces")
        bounds = [constant(x) for x in par.operands]
        if any(b is None for b in bounds):
            raise NotVectorizable("the scf.parallel has bounds that are not constants")
        self.dims = []
        for d, iv in enumerate(body.args):
            lo, hi, step = (int(bounds[d + k * n] or 0) for k in range(3))
            self.dims.append(self.dim(d, iv, lo, hi, step))
            self.ivs[iv] = d
        if any(d.trips == 0 for d in self.dims):
            raise NotVectorizable("the scf.parallel runs no iteration")
        return body.ops

    def dim(self, d: int, iv: Value, lo: int, hi: int, step: int) -> Dim:
        if step <= 0:
            raise NotVectorizable("the scf.parallel has a step that is not positive")
        trips = max(0, -(-(hi - lo) // step))
        if d == 0 and self.rows is not None:
            return Dim(f"%{iv.name}", lo, trips, step, self.rows[0], self.rows[1])
        return Dim(f"%{iv.name}", lo, trips, step, str(lo), str(lo + (trips - 1) * step + 1))

    def launch(self, op: Op) -> tuple[Op, ...]:
        """The dimensions of a gpu.launch without barriers: the global ids z, y, x
        (block id * block size + thread id) that are not always 0.  A thread or
        block id is such a global id, or 0, when the grid or the block has one
        block or thread along its axis; the threads' order cannot matter, as for
        an scf.parallel (check_accesses)."""
        sizes = [constant(x) for x in op.operands]
        body = op.regions[0]
        if len(sizes) != 6 or len(body.args) != 12 or any(not n or n < 1 for n in sizes):
            raise NotVectorizable("the gpu.launch has sizes that are not positive constants")
        grid, block = [int(n or 0) for n in sizes[:3]], [int(n or 0) for n in sizes[3:]]
        self.dims = []
        axis_dim: dict[int, int] = {}
        for a in (2, 1, 0):  # z, y, x: a memref indexed [y, x] is in loop order
            if grid[a] * block[a] > 1:
                axis_dim[a] = len(self.dims)
                n = grid[a] * block[a]
                self.dims.append(Dim(f"global id {'xyz'[a]}", 0, n, 1, "0", str(n)))

        def place(v: Value, kind: str, a: int) -> None:
            """Block ids, thread ids, global ids, grid and block sizes along axis A."""
            if kind == "grid_dim":
                self.fixed[v] = grid[a]
            elif kind == "block_dim":
                self.fixed[v] = block[a]
            elif a not in axis_dim:
                self.fixed[v] = 0  # one block of one thread along this axis
            elif kind == "global_id" or block[a] == 1 or grid[a] == 1:
                if (kind == "block_id" and grid[a] == 1) or (kind == "thread_id" and block[a] == 1):
                    self.fixed[v] = 0
                else:
                    self.ivs[v] = axis_dim[a]
            else:
                self.opaque.add(v)

        for k, v in enumerate(body.args):
            place(v, ("block_id", "thread_id", "grid_dim", "block_dim")[k // 3], k % 3)
        ops = []
        for inner in body.ops:
            kind = inner.name.removeprefix("gpu.")
            axis = inner.attr("dimension")
            if kind in GPU_IDS and axis in ("x", "y", "z"):
                place(inner.result, kind, "xyz".index(str(axis)))
            else:
                ops.append(inner)
        return tuple(ops)

    # -- indices

    def index_of(self, x: Operand) -> Index:
        if isinstance(x, Const):
            return ("const", int(const_value(x)), 0)
        if x in self.fixed:
            return ("const", self.fixed[x], 0)
        if x in self.ivs:
            return ("dim", self.ivs[x], 0)
        if x in self.opaque:
            raise NotVectorizable(opaque(x))
        op = self.defs.get(x)
        if op is not None and op.name in ("arith.addi", "arith.subi"):
            a, b = op.operands
            if op.name == "arith.addi" and isinstance(a, Const):
                a, b = b, a
            if isinstance(b, Const):
                kind, d, offset = self.index_of(a)
                c = int(const_value(b))
                if kind == "dim":
                    return ("dim", d, offset + c if op.name == "arith.addi" else offset - c)
        raise NotVectorizable(
            f"an index (%{x.name if isinstance(x, Value) else x.value}) is not an induction "
            "variable plus a constant"
        )

    def access(self, op: Op) -> tuple[Value, tuple[Index, ...]]:
        m = op.operands[0 if op.name == "memref.load" else 1]
        if not isinstance(m, Value) or m not in self.memrefs or not isinstance(m.type, MemRefType):
            raise NotVectorizable(f"'{op.name}' of a memref that is not the task's")
        indices = tuple(
            self.index_of(x) for x in op.operands[1 if op.name == "memref.load" else 2 :]
        )
        used = [d for kind, d, _ in indices if kind == "dim"]
        if used != sorted(set(used)):
            raise NotVectorizable(
                f"'{op.name}' of %{m.name} does not index with the induction variables in loop "
                "order, each once"
            )
        if op.name == "memref.store" and len(used) != len(self.dims):
            raise NotVectorizable(f"'{op.name}' of %{m.name} does not use every induction variable")
        for k, (kind, d, offset) in enumerate(indices):
            size = m.type.shape[k]
            lo, hi = (
                (d, d)
                if kind == "const"
                else (self.dims[d].lo + offset, self.dims[d].last + offset)
            )
            if lo < 0 or hi >= size:
                raise NotVectorizable(
                    f"'{op.name}' of %{m.name} may index out of bounds (the interpreter reports it)"
                )
        return m, indices

    def check_accesses(self, ops: tuple[Op, ...]) -> None:
        self.accesses: dict[Op, tuple[Value, tuple[Index, ...]]] = {
            op: self.access(op) for op in ops if op.name in ("memref.load", "memref.store")
        }
        stored = {m for op, (m, _) in self.accesses.items() if op.name == "memref.store"}
        self.stored = stored
        for m in stored:
            patterns = {ix for (v, ix) in self.accesses.values() if v is m}
            if len(patterns) > 1:
                raise NotVectorizable(
                    f"%{m.name} is stored into and accessed at other indices too: the order of "
                    "the iterations matters"
                )

    def data_uses(self, ops: tuple[Op, ...]) -> set[Operand]:
        """The values some op uses as data (not as an index of a load or store)."""
        used: set[Operand] = set()
        for op in ops:
            if op.name == "memref.load":
                continue
            used.update(op.operands[:1] if op.name == "memref.store" else op.operands)
        return used

    # -- data

    def slices(self, indices: tuple[Index, ...]) -> str:
        parts: list[str] = []
        used = {d for kind, d, _ in indices if kind == "dim"}
        last = -1
        for kind, d, offset in indices:
            if kind == "const":
                parts.append(str(d))
                continue
            if last >= 0:  # new axes for the dimensions it does not use (leading ones broadcast)
                parts += ["None"] * (d - last - 1)
            last = d
            dim = self.dims[d]
            first, stop = shifted(dim.first, offset), shifted(dim.stop, offset)
            if d == 0 and self.rows is not None:
                parts.append(f"{first}:{stop}")
            else:
                step = f":{dim.step}" if dim.step != 1 else ""
                parts.append(f"{first}:{stop}{step}")
        if used:
            parts += ["None"] * (len(self.dims) - 1 - last)
        return ", ".join(parts) if parts else "()"

    def store(self, op: Op) -> None:
        m, indices = self.accesses[op]
        self.out.append(f"{self.memrefs[m]}[{self.slices(indices)}] = {self.value(op.operands[0])}")

    def value(self, x: Operand) -> str:
        if isinstance(x, Const):
            return literal(x)
        if x in self.names:
            return self.names[x]
        if x in self.loop_ivs:
            return f"np.int64({self.loop_ivs[x]})"
        if x in self.fixed:
            return f"np.int64({self.fixed[x]})"
        if x in self.ivs:  # an induction variable as data: its values along its axis
            d = self.ivs[x]
            if d not in self.aranges:
                dim = self.dims[d]
                name = self.aranges[d] = self.fresh(x.name)
                shape = ", ".join(["-1"] + ["1"] * (len(self.dims) - 1 - d))
                arange = f"np.arange({dim.first}, {dim.stop}"
                arange += f", {dim.step}" if dim.step != 1 else ""
                arange += ", dtype=np.int64)"
                if d < len(self.dims) - 1:
                    arange += f".reshape({shape})"
                self.out.append(f"{name} = {arange}  # the values of {dim.name}")
            return self.aranges[d]
        if x in self.opaque:
            raise NotVectorizable(opaque(x))
        raise NotVectorizable(f"'%{x.name}' is defined outside the {self.what}")

    def expr(self, op: Op) -> str:
        name = op.name
        if name == "memref.load":
            m, indices = self.accesses[op]
            copy = ".copy()" if m in self.stored else ""
            return f"{self.memrefs[m]}[{self.slices(indices)}]{copy}"
        t = elem(op.result)
        args = [self.value(x) for x in op.operands]
        if name in INFIX:
            if name in NOT_ON_I1 and t.name == "i1":
                raise NotVectorizable(f"'{name}' on i1")
            return f"{args[0]} {INFIX[name]} {args[1]}"
        if name in CALLS:
            if name in NOT_ON_I1 and t.name == "i1":
                raise NotVectorizable(f"'{name}' on i1")
            return f"{CALLS[name]}({args[0]}, {args[1]})"
        if name in UNARY_CALLS:
            return f"{UNARY_CALLS[name]}({args[0]})"
        if name == "arith.negf":
            return f"-{args[0]}"
        if name == "arith.select":
            return f"np.where({args[0]}, {args[1]}, {args[2]})"
        if name == "arith.cmpi":
            pred = op.attr("predicate")
            if pred not in CMPI or (elem(op.operands[0]).name == "i1" and pred not in ("eq", "ne")):
                raise NotVectorizable(f"'arith.cmpi {pred}' on {elem(op.operands[0])}")
            return f"{args[0]} {CMPI[str(pred)]} {args[1]}"
        if name == "arith.cmpf":
            pred = op.attr("predicate")
            if pred not in CMPF:
                raise NotVectorizable(f"'arith.cmpf {pred}'")
            return CMPF[str(pred)](args[0], args[1])
        return self.cast(op, args[0], t)

    def cast(self, op: Op, arg: str, t: ScalarType) -> str:
        src = elem(op.operands[0])
        exact = (
            (op.name in INT_CASTS and src.is_int and t.is_int and "i1" not in (src.name, t.name))
            or (op.name == "arith.sitofp" and src.name in ("i8", "i16", "i32"))
            or (op.name == "arith.sitofp" and src.bits == 64 and t.name == "f64")
            or (op.name == "arith.extf" and t.name == "f64")
            or (op.name == "arith.truncf" and t.name == "f32")
        )
        if not exact:
            raise NotVectorizable(f"'{op.name}' from {src} to {t} is not vectorised")
        return f"{arg}.astype({NP_TYPES[t.name]})"


def opaque(x: Value) -> str:
    return f"'%{x.name}' is a thread or block id of a grid of several blocks of several threads"


def constant(x: Operand) -> int | None:
    return x.value if isinstance(x, Const) and isinstance(x.value, int) else None


def elem(x: Operand) -> ScalarType:
    if not isinstance(x.type, ScalarType):
        raise NotVectorizable("a value without a scalar type")
    return x.type


def shifted(base: str, offset: int) -> str:
    if offset == 0:
        return base
    if base.lstrip("-").isdigit():
        return str(int(base) + offset)
    return f"{base} + {offset}" if offset > 0 else f"{base} - {-offset}"


def literal(c: Const) -> str:
    """The constant as a NumPy scalar of its type (exactly the interpreter's value)."""
    value = const_value(c)
    np_type = NP_TYPES[c.type.name]
    if c.type.name == "i1":
        return "np.True_" if value else "np.False_"
    if not c.type.is_float:
        return f"{np_type}({int(value)})"
    v = float(value)
    if math.isnan(v):
        text = "np.nan"
    elif math.isinf(v):
        text = "np.inf" if v > 0 else "-np.inf"
    else:
        text = repr(v)
    return f"{np_type}({text})"


# --------------------------------------------------------------------------
# Bodies that branch on the edges of the iteration space


@dataclass(frozen=True)
class Piece:
    """A box of the iteration space in which an edge test has one outcome."""

    task: Task  # the task with the box's scf.parallel, the branch inlined
    rows: tuple[str, str] | None  # a split task's block, clamped to the box
    what: str  # for the comment


def edge_pieces(task: Task, rows: tuple[str, str] | None) -> list[Piece] | None:
    """TASK's scf.parallel cut into boxes, or None when it does not have the form.

    The form: one ``scf.if`` with one result whose condition is an ``or`` of
    ``%iv == c`` tests (a stencil's boundary: ``i == 0 || i == n - 1 || ...``),
    the values c of each dimension at its ends, and unit steps.  The edges
    (each value c of dimension d, the earlier dimensions inside their
    interior) take the ``then`` branch, the interior the ``else`` branch;
    the boxes are disjoint, so each iteration runs once, as in the loop."""
    ops = task.body.ops
    if len(ops) != 1 or ops[0].name != "scf.parallel":
        return None
    par = ops[0]
    body = par.regions[0]
    n = len(body.args)
    bounds = [constant(x) for x in par.operands]
    if len(bounds) != 3 * n or any(b is None for b in bounds):
        return None
    lo, hi, steps = (
        [int(b or 0) for b in bounds[:n]],
        [int(b or 0) for b in bounds[n : 2 * n]],
        bounds[2 * n :],
    )
    ifs = [op for op in body.ops if op.name == "scf.if"]
    if steps != [1] * n or len(ifs) != 1 or len(ifs[0].results) != 1 or len(ifs[0].regions) != 2:
        return None
    branch = ifs[0]
    defs = {r: op for op in body.ops for r in op.results}
    edges: dict[int, set[int]] = {}

    def tests(x: Operand) -> bool:
        op = defs.get(x) if isinstance(x, Value) else None
        if op is not None and op.name == "arith.ori":
            return all(tests(y) for y in op.operands)
        if op is not None and op.name == "arith.cmpi" and op.attr("predicate") == "eq":
            a, b = op.operands
            if isinstance(a, Const):
                a, b = b, a
            if isinstance(a, Value) and a in body.args and isinstance(b, Const):
                edges.setdefault(body.args.index(a), set()).add(int(const_value(b)))
                return True
        return False

    if not tests(branch.operands[0]):
        return None
    inner_lo, inner_hi = list(lo), list(hi)
    for d, values in edges.items():
        changed = True
        while changed:
            changed = False
            if inner_lo[d] in values and inner_lo[d] < inner_hi[d]:
                inner_lo[d], changed = inner_lo[d] + 1, True
            if inner_hi[d] - 1 in values and inner_lo[d] < inner_hi[d]:
                inner_hi[d], changed = inner_hi[d] - 1, True
        if any(inner_lo[d] <= c < inner_hi[d] for c in values):
            return None  # a test inside the range: not one interior box
    boxes: list[tuple[list[int], list[int], int, str]] = []
    for d in range(n):
        for c in sorted(v for v in edges.get(d, ()) if lo[d] <= v < hi[d]):
            first = [*inner_lo[:d], c, *lo[d + 1 :]]
            stop = [*inner_hi[:d], c + 1, *hi[d + 1 :]]
            boxes.append((first, stop, 0, f"%{body.args[d].name} = {c}"))
    if all(a < b for a, b in zip(inner_lo, inner_hi, strict=True)):
        boxes.append((inner_lo, inner_hi, 1, "the interior"))
    pieces = []
    for first, stop, which, what in boxes:
        if any(a >= b for a, b in zip(first, stop, strict=True)):
            continue
        ops_of = inline_branch(body.ops, branch, which)
        index = lambda v: Const(v, INDEX)  # noqa: E731
        operands = tuple(map(index, first)) + tuple(map(index, stop)) + tuple(map(index, [1] * n))
        inner = Op(
            par.name, operands, par.results, par.attrs, (Block(body.args, ops_of),), par.span
        )
        piece_rows = rows
        if rows is not None:
            a = rows[0] if first[0] == lo[0] else f"max({rows[0]}, {first[0]})"
            # Never below the first row: a block that ends before the box
            # starts gives an empty box, not a negative slice bound.
            b = rows[1] if stop[0] == hi[0] else f"max({a}, min({rows[1]}, {stop[0]}))"
            piece_rows = (a, b)
        piece = Task(task.value, task.target, task.reads, task.writes, Block(task.body.args, (inner,)),
                     task.rank, task.display_name, task.span, task.split)  # fmt: skip
        pieces.append(Piece(piece, piece_rows, what))
    return pieces


def inline_branch(ops: tuple[Op, ...], branch: Op, which: int) -> tuple[Op, ...]:
    """OPS with BRANCH replaced by the ops of its region WHICH, its result by the
    value that region yields, and the pure ops nothing stored depends on left
    out (stores, loads, which may be out of bounds, ops without results and
    ops with regions stay, and so does what they use)."""
    region = branch.regions[which]
    inner, last = region.ops[:-1], region.ops[-1] if region.ops else None
    if last is None or last.name != "scf.yield" or len(last.operands) != 1:
        raise NotVectorizable("the scf.if does not yield one value")
    subst: dict[Operand, Operand] = {branch.results[0]: last.operands[0]}
    out: list[Op] = []
    for op in ops:
        if op is branch:
            out += inner
            continue
        if any(x in subst for x in op.operands):
            op = Op(op.name, tuple(subst.get(x, x) for x in op.operands), op.results, op.attrs,
                    op.regions, op.span)  # fmt: skip
        out.append(op)
    live: set[Operand] = set()
    kept: list[Op] = []
    for op in reversed(out):
        effects = op.name in ("memref.store", "memref.load") or not op.results or op.regions
        if effects or any(r in live for r in op.results):
            kept.append(op)
            live.update(op.operands)
            live.update(x for region in op.regions for inner in walk_ops(region)
                        for x in inner.operands)  # fmt: skip
    return tuple(reversed(kept))
